using System.Text.Json.Nodes;
using Vigil.Monitoring;
using Vigil.Server.Monitoring;

namespace Vigil.Cli.Client;

public sealed partial class VigilClient
{
    /// <summary>GET /v1/alerts, optionally of one service.</summary>
    public Task<AlertList> ListAlertsAsync(string? service, CancellationToken cancellationToken) =>
        SendAsync<AlertList>(HttpMethod.Get, "v1/alerts" + Query(("service", service)), null, cancellationToken);

    /// <summary>POST /v1/services/{s}/versions/{n}/baseline/window: the version's logged requests in [from, to) become its baseline.</summary>
    public Task<BaselineView> SetBaselineFromWindowAsync(string service, int version, DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken) =>
        SendAsync<BaselineView>(HttpMethod.Post, $"v1/services/{Segment(service)}/versions/{version}/baseline/window", new BaselineWindowRequest(from, to), cancellationToken);

    /// <summary>GET /v1/alerts/{id}.</summary>
    public Task<AlertView> GetAlertAsync(string id, CancellationToken cancellationToken) =>
        SendAsync<AlertView>(HttpMethod.Get, $"v1/alerts/{Segment(id)}", null, cancellationToken);

    /// <summary>POST /v1/alerts/{id}/ack with a reason.</summary>
    public Task<AlertView> AckAlertAsync(string id, string reason, CancellationToken cancellationToken) =>
        SendAsync<AlertView>(HttpMethod.Post, $"v1/alerts/{Segment(id)}/ack", new AckRequest(reason), cancellationToken);

    /// <summary>POST /v1/silences.</summary>
    public Task<Silence> CreateSilenceAsync(CreateSilenceRequest request, CancellationToken cancellationToken) =>
        SendAsync<Silence>(HttpMethod.Post, "v1/silences", request, cancellationToken);

    /// <summary>GET /v1/silences[?all=true].</summary>
    public Task<SilenceList> ListSilencesAsync(bool all, CancellationToken cancellationToken) =>
        SendAsync<SilenceList>(HttpMethod.Get, "v1/silences" + (all ? "?all=true" : string.Empty), null, cancellationToken);

    /// <summary>DELETE /v1/silences/{id}: ends the silence now.</summary>
    public Task<Silence> ExpireSilenceAsync(string id, CancellationToken cancellationToken) =>
        SendAsync<Silence>(HttpMethod.Delete, $"v1/silences/{Segment(id)}", null, cancellationToken);

    /// <summary>GET /v1/monitors.</summary>
    public Task<MonitorList> ListMonitorsAsync(CancellationToken cancellationToken) =>
        SendAsync<MonitorList>(HttpMethod.Get, "v1/monitors", null, cancellationToken);

    /// <summary>PUT /v1/services/{s}/versions/{n}/baseline with the training rows.</summary>
    public Task<BaselineView> PutBaselineAsync(string service, int version, JsonArray rows, CancellationToken cancellationToken) =>
        SendAsync<BaselineView>(HttpMethod.Put, $"v1/services/{Segment(service)}/versions/{version}/baseline", new JsonObject { ["rows"] = rows }, cancellationToken);
}

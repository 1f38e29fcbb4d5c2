using System.Text.Json.Nodes;
using Vigil.Server.Monitoring;

namespace Vigil.Cli.Client;

public sealed partial class VigilClient
{
    /// <summary>GET /v1/alerts, optionally of one service.</summary>
    public Task<AlertList> ListAlertsAsync(string? service, CancellationToken cancellationToken) =>
        SendAsync<AlertList>(HttpMethod.Get, "v1/alerts" + Query(("service", service)), null, cancellationToken);

    /// <summary>GET /v1/monitors.</summary>
    public Task<MonitorList> ListMonitorsAsync(CancellationToken cancellationToken) =>
        SendAsync<MonitorList>(HttpMethod.Get, "v1/monitors", null, cancellationToken);

    /// <summary>PUT /v1/services/{s}/versions/{n}/baseline with the training rows.</summary>
    public Task<BaselineView> PutBaselineAsync(string service, int version, JsonArray rows, CancellationToken cancellationToken) =>
        SendAsync<BaselineView>(HttpMethod.Put, $"v1/services/{Segment(service)}/versions/{version}/baseline", new JsonObject { ["rows"] = rows }, cancellationToken);
}

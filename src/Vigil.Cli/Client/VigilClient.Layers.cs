using System.Text.Json.Nodes;
using Vigil.Monitoring.Layers;
using Vigil.Server.Monitoring.Layers;

namespace Vigil.Cli.Client;

/// <summary>The monitoring layers' endpoints: monitoring settings, business metrics, performance (docs/monitoring.md).</summary>
public sealed partial class VigilClient
{
    public Task<MonitoringSettingsView> GetMonitoringSettingsAsync(string service, CancellationToken cancellationToken) =>
        SendAsync<MonitoringSettingsView>(HttpMethod.Get, $"v1/services/{Segment(service)}/monitoring", null, cancellationToken);

    public Task<MonitoringSettingsView> PutMonitoringSettingsAsync(string service, MonitoringSettings settings, CancellationToken cancellationToken) =>
        SendAsync<MonitoringSettingsView>(HttpMethod.Put, $"v1/services/{Segment(service)}/monitoring", settings, cancellationToken);

    /// <summary>Sends <c>{"points": [...]}</c> as given (the server validates every point and stores all or none).</summary>
    public Task<BusinessMetricsStored> PushBusinessMetricsAsync(JsonArray points, CancellationToken cancellationToken) =>
        SendAsync<BusinessMetricsStored>(HttpMethod.Post, "v1/business-metrics", new JsonObject { ["points"] = points }, cancellationToken);

    public Task<MonitorTestView> TestMonitorsAsync(string service, IReadOnlyList<Vigil.Monitoring.MonitorDefinition> monitors, DateTimeOffset? from, DateTimeOffset? to, string? step, CancellationToken cancellationToken) =>
        SendAsync<MonitorTestView>(
            HttpMethod.Post,
            $"v1/services/{Segment(service)}/monitors/test" + Query(("from", Time(from)), ("to", Time(to)), ("step", step)),
            new MonitorTestRequest(monitors),
            cancellationToken);

    public Task<BusinessMetricList> ListBusinessMetricsAsync(string? name, string? service, DateTimeOffset? from, DateTimeOffset? to, CancellationToken cancellationToken) =>
        SendAsync<BusinessMetricList>(HttpMethod.Get, "v1/business-metrics" + Query(("name", name), ("service", service), ("from", Time(from)), ("to", Time(to))), null, cancellationToken);
}

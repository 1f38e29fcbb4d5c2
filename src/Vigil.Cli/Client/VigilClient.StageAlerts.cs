using Vigil.Server.Pipelines;

namespace Vigil.Cli.Client;

public sealed partial class VigilClient
{
    /// <summary>GET /v1/pipelines/{name}/alerts: each stage's alert as the stage monitor last evaluated it.</summary>
    public Task<StageAlertList> GetStageAlertsAsync(string name, CancellationToken cancellationToken) =>
        SendAsync<StageAlertList>(HttpMethod.Get, $"v1/pipelines/{Segment(name)}/alerts", null, cancellationToken);
}

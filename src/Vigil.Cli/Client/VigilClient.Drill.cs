using Vigil.Server.Retraining;

namespace Vigil.Cli.Client;

public sealed partial class VigilClient
{
    /// <summary>POST /v1/services/{service}/drill: a detection drill in a sandbox.</summary>
    public Task<DrillReport> DrillAsync(string service, DrillRequest request, CancellationToken cancellationToken) =>
        SendAsync<DrillReport>(HttpMethod.Post, $"v1/services/{Segment(service)}/drill", request, cancellationToken);
}

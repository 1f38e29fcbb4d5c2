using Vigil.Server.Api;

namespace Vigil.Cli.Demo;

/// <summary>
/// What one demo run did, written to <c>summary.json</c> in the demo folder (Vigil's JSON convention) so that CI and
/// scripts can check a run without reading its console output.
/// </summary>
/// <param name="Server">The address the demo server listened on.</param>
/// <param name="Seed">The run's seed.</param>
/// <param name="Days">Simulated days of traffic.</param>
/// <param name="Speed">Simulated seconds per real second.</param>
/// <param name="RequestsPerDay">Requests per simulated day.</param>
/// <param name="CanaryRequestsPerDay">Requests per simulated day in the bad-canary scenario.</param>
/// <param name="RolloutSpeed">Simulated seconds per real second in the rollout scenario.</param>
/// <param name="RolloutRequestsPerDay">Requests per simulated day in the rollout scenario.</param>
/// <param name="TrainingRows">Rows the model was trained on.</param>
/// <param name="ModelPath">The trained model.</param>
/// <param name="OfflineMetrics">The model's metrics on held-out rows.</param>
/// <param name="Scenarios">What each scenario's simulated users saw.</param>
/// <param name="ServiceStatus">What Vigil itself recorded for the service (GET /v1/services/recommender/status).</param>
/// <param name="RealSeconds">Real time the run took up to the summary, in seconds.</param>
public sealed record DemoSummary(
    string Server,
    int Seed,
    int Days,
    double Speed,
    int RequestsPerDay,
    int CanaryRequestsPerDay,
    double RolloutSpeed,
    int RolloutRequestsPerDay,
    int TrainingRows,
    string ModelPath,
    IReadOnlyDictionary<string, double> OfflineMetrics,
    IReadOnlyList<TrafficReport> Scenarios,
    ServiceStatusView? ServiceStatus,
    double RealSeconds)
{
    /// <summary>The file name of the summary in the demo folder.</summary>
    public const string FileName = "summary.json";

    /// <summary>How each release scenario's release went (the release table).</summary>
    public IReadOnlyList<ReleaseReport> Releases => [.. Scenarios.Select(s => s.Release).OfType<ReleaseReport>()];

    /// <summary>True when no prediction and no feedback failed.</summary>
    public bool Clean => Scenarios.All(s => s.Errors == 0 && s.FeedbackErrors == 0);
}

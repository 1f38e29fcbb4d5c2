namespace Vigil.Releases;

/// <summary>What a release metric measures and how it is counted.</summary>
public enum MetricKind
{
    /// <summary>A share of predictions with a delayed outcome (task completed, accepted …): counted only over matured predictions.</summary>
    Outcome,

    /// <summary>A share of requests that failed: known when the request is served.</summary>
    Error,

    /// <summary>A latency quantile, judged as the share of requests slower than the threshold: known when the request is served.</summary>
    Latency,
}

/// <summary>One metric a trigger or promotion criterion may name.</summary>
/// <param name="Name">The name used in plans.</param>
/// <param name="Kind">How it is counted.</param>
/// <param name="HigherIsBetter">True for task_completed, accepted, accuracy; false for escalated, error_rate and latencies.</param>
/// <param name="InShadow">True when it can be measured on shadow traffic (users never see a shadow answer, so behavioural outcomes cannot).</param>
/// <param name="Quantile">For latency metrics, the quantile (0.99 for latency_p99); else null.</param>
/// <param name="Description">For people.</param>
public sealed record ReleaseMetric(string Name, MetricKind Kind, bool HigherIsBetter, bool InShadow, double? Quantile, string Description)
{
    /// <summary>
    /// For latency metrics, the share of requests that may be slower than the threshold while the quantile is still
    /// within it: 1% for p99, 50% for p50 (p99 ≤ 250ms ⇔ at most 1% of requests take longer than 250ms).
    /// </summary>
    public double? AllowedShareOver => Quantile is { } q ? Math.Round(1 - q, 12) : null;
}

/// <summary>The metrics releases know, defined in this one place.</summary>
public static class ReleaseMetrics
{
    public const string TaskCompleted = "task_completed";
    public const string Accepted = "accepted";
    public const string Escalated = "escalated";
    public const string Accuracy = "accuracy";
    public const string ErrorRate = "error_rate";
    public const string LatencyP99 = "latency_p99";
    public const string LatencyP50 = "latency_p50";

    /// <summary>The default confidence of triggers and promotion criteria.</summary>
    public const double DefaultConfidence = 0.95;

    public static IReadOnlyList<ReleaseMetric> All { get; } =
    [
        new(TaskCompleted, MetricKind.Outcome, HigherIsBetter: true, InShadow: false, null, "share of matured predictions whose task was completed"),
        new(Accepted, MetricKind.Outcome, HigherIsBetter: true, InShadow: false, null, "share of matured predictions the user accepted"),
        new(Escalated, MetricKind.Outcome, HigherIsBetter: false, InShadow: false, null, "share of matured predictions escalated to a person"),
        new(Accuracy, MetricKind.Outcome, HigherIsBetter: true, InShadow: true, null, "share of matured predictions whose label matched the prediction (ground truth does not depend on what users saw, so it is measured in shadow too)"),
        new(ErrorRate, MetricKind.Error, HigherIsBetter: false, InShadow: true, null, "share of requests the version failed to answer"),
        new(LatencyP99, MetricKind.Latency, HigherIsBetter: false, InShadow: true, 0.99, "99th percentile of the version's latency"),
        new(LatencyP50, MetricKind.Latency, HigherIsBetter: false, InShadow: true, 0.50, "median of the version's latency"),
    ];

    public static IReadOnlyList<string> Names { get; } = All.Select(m => m.Name).ToArray();

    public static bool TryGet(string? name, out ReleaseMetric metric)
    {
        metric = All.FirstOrDefault(m => m.Name == name)!;
        return metric is not null;
    }

    public static ReleaseMetric Get(string name) =>
        TryGet(name, out var metric) ? metric : throw new ArgumentOutOfRangeException(nameof(name), name, "unknown release metric");

    /// <summary>
    /// The key under which an <see cref="ArmCounts"/> holds the counts a trigger reads: the metric name for proportions,
    /// <c>latency_over_250ms</c> (requests slower than the threshold / requests) for latency triggers.
    /// </summary>
    public static string CountKey(string metric, Threshold? threshold = null) =>
        TryGet(metric, out var m) && m.Kind == MetricKind.Latency && threshold is { } t
            ? LatencyOverKey(t.Value)
            : metric;

    /// <summary>The count key of "requests slower than <paramref name="milliseconds"/>".</summary>
    public static string LatencyOverKey(double milliseconds) => $"latency_over_{UnitText.Format(milliseconds)}ms";
}

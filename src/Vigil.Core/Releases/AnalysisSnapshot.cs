using Vigil.Predictions;

namespace Vigil.Releases;

/// <summary>A count of events among trials: task completions among matured predictions, errors among requests, requests slower than a threshold among requests.</summary>
public sealed record MetricCounts(long Events, long Trials)
{
    public static MetricCounts Zero { get; } = new(0, 0);
}

/// <summary>
/// The counts of one arm (the challenger, or the control), by count key (<see cref="ReleaseMetrics.CountKey"/>):
/// <c>task_completed</c>, <c>error_rate</c>, <c>latency_over_250ms</c> … A missing key counts as no trials.
/// </summary>
public sealed record ArmCounts(IReadOnlyDictionary<string, MetricCounts> Metrics)
{
    public static ArmCounts Empty { get; } = new(new Dictionary<string, MetricCounts>());

    public MetricCounts Get(string key) => Metrics.TryGetValue(key, out var counts) && counts is not null ? counts : MetricCounts.Zero;

    /// <summary>
    /// The counts of one arm from the store's <see cref="ArmWindowCounts"/> rows (summed when there are several, e.g. one
    /// per segment): <c>error_rate</c> = errors / requests; <c>latency_over_Xms</c> = requests slower than
    /// <paramref name="latencyThresholdMs"/> / requests (when given); and for each outcome name, successes (the sum of
    /// its values, rounded) / matured predictions that have the outcome.
    /// </summary>
    public static ArmCounts From(IEnumerable<ArmWindowCounts> rows, double? latencyThresholdMs = null)
    {
        ArgumentNullException.ThrowIfNull(rows);
        long requests = 0, errors = 0, slow = 0;
        var outcomes = new Dictionary<string, (double Sum, long Count)>(StringComparer.Ordinal);
        foreach (var row in rows)
        {
            requests += row.Requests;
            errors += row.Errors;
            slow += row.OverLatency;
            foreach (var outcome in row.Outcomes)
            {
                var (sum, count) = outcomes.GetValueOrDefault(outcome.Name);
                outcomes[outcome.Name] = (sum + outcome.Sum, count + outcome.Count);
            }
        }

        var metrics = new Dictionary<string, MetricCounts>(StringComparer.Ordinal)
        {
            [ReleaseMetrics.ErrorRate] = new(errors, requests),
        };
        if (latencyThresholdMs is { } threshold)
        {
            metrics[ReleaseMetrics.LatencyOverKey(threshold)] = new(slow, requests);
        }

        foreach (var (name, (sum, count)) in outcomes)
        {
            metrics[name] = new MetricCounts(Math.Clamp((long)Math.Round(sum), 0, count), count);
        }

        return new ArmCounts(metrics);
    }

    /// <summary>These counts with <paramref name="other"/>'s added, key by key (to combine queries for several latency thresholds).</summary>
    public ArmCounts With(ArmCounts other)
    {
        ArgumentNullException.ThrowIfNull(other);
        var merged = new Dictionary<string, MetricCounts>(Metrics, StringComparer.Ordinal);
        foreach (var (key, counts) in other.Metrics)
        {
            merged[key] = merged.TryGetValue(key, out var mine) ? mine : counts;
        }

        return new ArmCounts(merged);
    }
}

/// <summary>The counts of both arms within one segment (<c>country = DE</c>).</summary>
public sealed record SegmentCounts(string Attribute, string Value, ArmCounts Challenger, ArmCounts Control);

/// <summary>
/// What the caller measured for one analysis tick of a release (docs/releases.md, "Wiring"). Counts are cumulative
/// since the current phase of the release began exposing the challenger (the start of the shadow phase while shadowing,
/// the start of the first canary step afterwards), never a sliding window, so the confidence sequences stay valid.
/// Outcome metrics count only matured predictions (older than the plan's outcome_window); a pending outcome is neither
/// a success nor a failure. Error and latency counts cover every request served.
/// </summary>
/// <param name="AsOf">When the counts were read.</param>
/// <param name="StepSamples">Challenger samples since the current step (or shadow phase) began, counted like <c>min_samples_per_step</c>: matured predictions when the plan has outcome metrics, else requests.</param>
/// <param name="Challenger">The challenger's arm: the shadow arm while shadowing, the canary arm afterwards.</param>
/// <param name="Control">The champion's traffic of the same window (and segments).</param>
/// <param name="Segments">Per-segment counts of the attributes named by <c>per_segment</c> triggers.</param>
public sealed record AnalysisSnapshot(
    DateTimeOffset AsOf,
    long StepSamples,
    ArmCounts Challenger,
    ArmCounts Control,
    IReadOnlyList<SegmentCounts>? Segments = null)
{
    /// <summary>A snapshot with no data: every trigger is inconclusive.</summary>
    public static AnalysisSnapshot Empty(DateTimeOffset asOf) => new(asOf, 0, ArmCounts.Empty, ArmCounts.Empty);
}

/// <summary>What a release's analysis needs the caller to count, derived from its plan.</summary>
/// <param name="CountKeys">The count keys each arm needs (<see cref="ArmCounts"/>).</param>
/// <param name="SegmentAttributes">The attributes whose segments need their own counts.</param>
/// <param name="LatencyThresholdsMs">The latency thresholds whose "slower than" counts are needed.</param>
public sealed record AnalysisRequirements(IReadOnlyList<string> CountKeys, IReadOnlyList<string> SegmentAttributes, IReadOnlyList<double> LatencyThresholdsMs)
{
    /// <summary>The counts <paramref name="plan"/>'s triggers and promotion criteria read.</summary>
    public static AnalysisRequirements For(ReleasePlan plan)
    {
        ArgumentNullException.ThrowIfNull(plan);
        var keys = new List<string>();
        var thresholds = new List<double>();
        foreach (var trigger in plan.TriggerList)
        {
            keys.Add(ReleaseMetrics.CountKey(trigger.Metric, trigger.Max));
            if (ReleaseMetrics.TryGet(trigger.Metric, out var metric) && metric.Kind == MetricKind.Latency && trigger.Max is { } max)
            {
                thresholds.Add(max.Value);
            }
        }

        keys.AddRange(plan.PromotionList.Select(c => c.Metric));
        return new AnalysisRequirements(
            keys.Distinct(StringComparer.Ordinal).ToArray(),
            plan.TriggerList.Select(t => t.PerSegment).OfType<string>().Distinct(StringComparer.Ordinal).ToArray(),
            thresholds.Distinct().ToArray());
    }
}

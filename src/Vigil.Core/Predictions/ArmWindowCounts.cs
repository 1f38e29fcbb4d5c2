namespace Vigil.Predictions;

/// <summary>What the release controller asks of the store at each analysis tick.</summary>
/// <param name="Service">The service.</param>
/// <param name="From">Predictions at or after this time (the release or the step started) …</param>
/// <param name="To">… and before this time (now).</param>
/// <param name="MaturedBefore">Outcomes count only for predictions made before this time (now − outcome window); younger ones are pending.</param>
/// <param name="LatencyThresholdMs">When set, also count predictions slower than this.</param>
/// <param name="SegmentAttribute">When set, split the counts by this request attribute (missing → null segment).</param>
public sealed record ArmCountsQuery(
    string Service,
    DateTimeOffset From,
    DateTimeOffset To,
    DateTimeOffset MaturedBefore,
    double? LatencyThresholdMs = null,
    string? SegmentAttribute = null);

/// <summary>Counts of one (version, arm, segment) for a window.</summary>
/// <param name="Version">The version that served (or saw) the requests.</param>
/// <param name="Arm">champion, canary or shadow.</param>
/// <param name="Segment">The segment attribute's value, or null.</param>
/// <param name="Requests">Predictions in the window.</param>
/// <param name="Errors">Of those, the ones that failed.</param>
/// <param name="OverLatency">Of those, the ones slower than the query's threshold (0 without one).</param>
/// <param name="Matured">Predictions in the window made before MaturedBefore: the denominator for outcome rates.</param>
/// <param name="Outcomes">Per outcome name, over matured predictions: how many have the outcome and the sum of their numeric values.</param>
public sealed record ArmWindowCounts(
    int Version,
    string Arm,
    string? Segment,
    long Requests,
    long Errors,
    long OverLatency,
    long Matured,
    IReadOnlyList<OutcomeCount> Outcomes);

/// <summary>Matured outcomes of one name: how many predictions have it, and the sum of its numeric values (successes for booleans).</summary>
public sealed record OutcomeCount(string Name, long Count, double Sum);

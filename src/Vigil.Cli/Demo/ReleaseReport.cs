namespace Vigil.Cli.Demo;

/// <summary>How a release scenario's release went, for the summary's release table and <c>summary.json</c>.</summary>
/// <param name="Id">The release id.</param>
/// <param name="Scenario">The scenario that started it.</param>
/// <param name="Challenger">The version released.</param>
/// <param name="Champion">The champion it was compared with.</param>
/// <param name="Expected">The status the scenario expects it to end in (<c>rolled_back</c>, <c>promoted</c>).</param>
/// <param name="Outcome">The status it ended in (or was in when the scenario gave up).</param>
/// <param name="StartedAt">Simulated time the release started.</param>
/// <param name="EndedAt">Simulated time it ended (its last transition), or when the scenario stopped watching.</param>
/// <param name="DurationDays">Simulated days from start to end.</param>
/// <param name="TimeToDetectHours">For a rollback: simulated hours from the challenger's first canary traffic to the rollback.</param>
/// <param name="FiredTrigger">For a rollback: the trigger that fired, with its numbers.</param>
/// <param name="KilledRequests">With a kill switch: requests sent while it was off.</param>
/// <param name="KilledCanaryRequests">With a kill switch: how many of those the challenger served (0 expected).</param>
/// <param name="Transitions">Every transition, one line each: simulated time, from → to, actor, reason.</param>
public sealed record ReleaseReport(
    string Id,
    string Scenario,
    int Challenger,
    int? Champion,
    string Expected,
    string Outcome,
    DateTimeOffset StartedAt,
    DateTimeOffset EndedAt,
    double DurationDays,
    double? TimeToDetectHours,
    string? FiredTrigger,
    long? KilledRequests,
    long? KilledCanaryRequests,
    IReadOnlyList<string> Transitions)
{
    /// <summary>True when the release ended as the scenario expected.</summary>
    public bool AsExpected => Outcome == Expected;
}

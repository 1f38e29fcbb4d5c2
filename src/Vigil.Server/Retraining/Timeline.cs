using Vigil.Audit;
using Vigil.Persistence;
using Vigil.Retraining;

namespace Vigil.Server.Retraining;

/// <summary>
/// A service's loop as one timeline (<c>vigil timeline</c>): detection → trigger → training → evaluation → release →
/// promotion or rollback, read from its audit events (every step of the loop writes one).
/// </summary>
public static class Timeline
{
    public static async Task<IReadOnlyList<TimelineEntry>> BuildAsync(IVigilStore store, string service, int limit, CancellationToken ct)
    {
        var events = await store.QueryAuditAsync(new AuditQuery(Service: service, Limit: limit), ct);
        var entries = new List<TimelineEntry>();
        foreach (var e in events.OrderBy(e => e.Id))
        {
            if (Stage(e) is not { } stage)
            {
                continue;
            }

            if (e.Action == RetrainActions.Triggered && e.Reason?.StartsWith("performance:", StringComparison.Ordinal) == true)
            {
                entries.Add(new TimelineEntry(e.At, "detection", e.Action, e.Actor, e.Target, "performance drop reported: " + e.Reason["performance:".Length..].Trim()));
            }

            entries.Add(new TimelineEntry(e.At, stage, e.Action, e.Actor, e.Target, e.Reason ?? e.Action));
        }

        return entries;
    }

    private static string? Stage(AuditEvent e) => e.Action switch
    {
        RetrainActions.Triggered or RetrainActions.Coalesced or RetrainActions.Suppressed => "trigger",
        RetrainActions.JobStarted or RetrainActions.JobSucceeded or RetrainActions.JobFailed or RetrainActions.JobCancelled or RetrainActions.JobInterrupted => "training",
        AuditActions.VersionRegistered => "training",
        RetrainActions.Evaluated => "evaluation",
        RetrainActions.ReleaseStarted => "release",
        AuditActions.AliasPromoted => "promotion",
        AuditActions.AliasRolledBack => "rollback",
        RetrainActions.PolicySet => "policy",
        _ when e.Action.StartsWith("release.", StringComparison.Ordinal) => e.Action.Contains("rolled_back", StringComparison.Ordinal) ? "rollback"
            : e.Action.Contains("promoted", StringComparison.Ordinal) ? "promotion" : "release",
        _ when e.Action.StartsWith("alert.", StringComparison.Ordinal) || e.Action.StartsWith("monitor.", StringComparison.Ordinal) => "detection",
        _ => null,
    };
}

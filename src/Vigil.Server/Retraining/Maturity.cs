using System.Globalization;
using System.Text.Json;
using Vigil.Audit;
using Vigil.Persistence;
using Vigil.Registry;
using Vigil.Releases;
using Vigil.Retraining;

namespace Vigil.Server.Retraining;

/// <summary>
/// The maturity report (docs/retraining.md, "Maturity levels"), answered from Vigil's own records over the last 90 days:
/// Level 0 — retraining and evaluation are manual; Level 1 — a retraining cadence is defined and every candidate is evaluated
/// automatically against the champion; Level 2 — the loop runs by itself: an automatic trigger, a release template so a
/// passing candidate reaches users with no human action unless a gate asks, every release with triggers declared before it
/// started, and at least one retrained model that reached production.
/// </summary>
public static class Maturity
{
    public static readonly TimeSpan Window = TimeSpan.FromDays(90);

    public static async Task<MaturityView> AssessAsync(IVigilStore store, string service, DateTimeOffset now, CancellationToken ct)
    {
        var since = now - Window;
        var policy = (await store.GetRetrainingPolicyAsync(service, ct))?.Policy;
        var jobs = (await store.ListJobsAsync(service, activeOnly: false, limit: 10_000, ct)).Where(j => j.CreatedAt >= since).ToList();
        var versions = await store.ListVersionsAsync(service, ct);
        var evaluations = (await store.ListEvaluationsAsync(service, ct)).Select(e => e.Version).ToHashSet();
        var releases = (await store.ListReleasesAsync(service, activeOnly: false, ct)).Where(r => r.CreatedAt >= since).ToList();
        var promotions = await store.QueryAuditAsync(new AuditQuery(Service: service, Action: AuditActions.AliasPromoted, Since: since, Limit: AuditQuery.MaxLimit), ct);
        var checks = new List<MaturityCheck>();
        var next = new List<string>();

        var automatic = policy is not null && (policy.Schedule is not null || policy.Data is not null || policy.Performance);
        var cadence = policy is null ? "no retraining policy"
            : string.Join(", ", new[]
            {
                policy.Schedule is { } s ? $"schedule '{s.Cron}' ({s.TimeZone ?? "UTC"})" : null,
                policy.Data is { } d ? $"every {d.NewLabels} new labels" : null,
                policy.Performance ? "on a monitor's retrain action" : null,
                "manual",
            }.Where(x => x is not null));
        checks.Add(new MaturityCheck("Is a retraining cadence defined?", automatic, cadence));
        if (!automatic)
        {
            next.Add($"set a retraining policy with a schedule, a data trigger or the performance trigger: vigil retrain policy set {service} FILE");
        }

        // Candidates: every version after the first, registered in the window since the retraining policy was first set
        // (evaluation runs for services with a policy; earlier versions are counted apart).
        var policySet = (await store.QueryAuditAsync(new AuditQuery(Service: service, Action: RetrainActions.PolicySet, Limit: AuditQuery.MaxLimit), ct))
            .Select(e => (DateTimeOffset?)e.At).LastOrDefault();
        var from = policySet is { } first && first > since ? first : since;
        var candidates = versions.Skip(1).Where(v => v.CreatedAt >= from).ToList();
        var before = policy is null ? 0 : versions.Skip(1).Count(v => v.CreatedAt >= since && v.CreatedAt < from);
        var evaluated = candidates.Count(v => evaluations.Contains(v.Number));
        var allEvaluated = policy is not null && (candidates.Count == 0 || evaluated == candidates.Count);
        checks.Add(new MaturityCheck("Was every candidate evaluated automatically against the champion?", allEvaluated,
            policy is null
                ? $"no retraining policy: none of {candidates.Count} candidates registered in the last 90 days was evaluated automatically"
                : $"{evaluated} of {candidates.Count} candidates registered since the retraining policy was set ({policySet:yyyy-MM-dd}) have an evaluation report"
                    + (before > 0 ? $"; {before} earlier candidate(s) predate the policy" : "")));
        if (!allEvaluated)
        {
            next.Add("evaluate every candidate against the champion: a retraining policy turns the evaluation harness on for every new version");
        }

        var withTriggers = releases.Count(r => VigilJson.Deserialize<ReleasePlan>(r.Plan)?.TriggerList.Count > 0);
        var triggersDeclared = releases.Count > 0 && withTriggers == releases.Count;
        checks.Add(new MaturityCheck("Did every release declare rollback triggers before it started?", triggersDeclared,
            releases.Count == 0 ? "no release in the last 90 days" : $"{withTriggers} of {releases.Count} releases declared triggers"));
        if (!triggersDeclared)
        {
            next.Add("release through plans with rollback triggers (error rate, task completion against control)");
        }

        var handsOff = policy?.ReleaseTemplate is not null;
        checks.Add(new MaturityCheck("Does a passing candidate reach users without a person?", handsOff,
            handsOff ? $"release template: {policy!.ReleaseTemplate!.Strategy.ToString().ToLowerInvariant()}, {policy.ReleaseTemplate.StepList.Count} steps, {policy.ReleaseTemplate.ApprovalList.Count} approval gates"
                : "no release template: a person starts every release"));
        if (!handsOff)
        {
            next.Add("add a release_template to the retraining policy (shadow, canary steps, triggers; approval only where you want a person)");
        }

        // Loop closed: a job's version that later became champion; time from the trigger (or the detection it reports) to production.
        var durations = new List<double>();
        foreach (var job in jobs.Where(j => j is { Status: JobStatus.Succeeded, Version: not null }))
        {
            var promoted = promotions.Where(p => ChampionAfter(p) == job.Version).OrderBy(p => p.At).FirstOrDefault();
            if (promoted is not null)
            {
                var detected = DetectedAt(job) ?? job.CreatedAt;
                durations.Add((promoted.At - detected).TotalHours);
            }
        }

        durations.Sort();
        var closed = durations.Count > 0;
        checks.Add(new MaturityCheck("Did a retrained model reach production in the last 90 days?", closed,
            closed ? $"{durations.Count} retrained model(s) promoted; detection to production median {Median(durations):0.##} h, worst {durations[^1]:0.##} h"
                : $"{jobs.Count} retraining jobs, none of whose models was promoted"));
        if (!closed)
        {
            next.Add("let one retraining run through evaluation and release to promotion");
        }

        var performanceTriggers = jobs.Count(j => j.Cause.Kind == "performance");
        checks.Add(new MaturityCheck("Which monitoring layers feed the loop?", performanceTriggers > 0,
            $"performance layer: {performanceTriggers} retraining job(s) started by a performance drop in the last 90 days" +
            (policy?.Performance == true ? "; the policy accepts monitors' retrain actions" : "; the policy's performance trigger is off")));

        var rollbacks = new List<double>();
        foreach (var release in releases.Where(r => r.Status == "rolled_back"))
        {
            var events = await store.GetReleaseEventsAsync(release.Id, ct);
            if (events.LastOrDefault(e => e.To == "rolled_back") is { } rolled && FirstBreach(rolled.Details) is { } breach)
            {
                rollbacks.Add((rolled.At - breach).TotalSeconds);
            }
        }

        rollbacks.Sort();
        checks.Add(new MaturityCheck("How fast was rollback when it happened?", true,
            rollbacks.Count == 0 ? "no rollback in the last 90 days" : $"{rollbacks.Count} rollback(s); first breach to rollback median {Median(rollbacks):0.#} s, worst {rollbacks[^1]:0.#} s"));

        var level = !(automatic && allEvaluated) ? 0 : (handsOff && triggersDeclared && closed) ? 2 : 1;
        var summary = level switch
        {
            0 => "Level 0: retraining and evaluation depend on people",
            1 => "Level 1: retraining is automated and candidates are evaluated, but the loop does not yet reach users by itself",
            _ => "Level 2: the loop closes by itself — detection, retraining, evaluation and release with people at the gates only",
        };
        return new MaturityView(service, level, summary, checks, closed ? Median(durations) : null, closed ? durations[^1] : null,
            rollbacks.Count > 0 ? Median(rollbacks) : null, next);
    }

    private static double Median(List<double> sorted) =>
        sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[(sorted.Count / 2) - 1] + sorted[sorted.Count / 2]) / 2;

    private static int? ChampionAfter(AuditEvent e)
    {
        try
        {
            return e.After is null ? null : VigilJson.Deserialize<AliasSet>(e.After)?.Champion;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static DateTimeOffset? DetectedAt(RetrainJob job) =>
        job.Cause.Evidence?["detected_at"]?.GetValue<string>() is { } text
        && DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at) ? at : null;

    private static DateTimeOffset? FirstBreach(string? details)
    {
        if (details is null)
        {
            return null;
        }

        using var document = JsonDocument.Parse(details);
        return document.RootElement.TryGetProperty("first_breach_at", out var value) && value.ValueKind == JsonValueKind.String
            && value.TryGetDateTimeOffset(out var at) ? at : null;
    }
}

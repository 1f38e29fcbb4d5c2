using System.Text.Json.Nodes;
using Vigil.Audit;
using Vigil.Persistence;
using Vigil.Retraining;
using Vigil.Server.Releases;

namespace Vigil.Server.Retraining;

/// <summary>
/// What follows a new version (docs/retraining.md, "Hands-off release"): the evaluation against the champion and, when the
/// gate passes and the policy has a release template, a release of the candidate through <see cref="ReleaseService"/> —
/// the candidate becomes challenger and goes through the template's shadow and canary steps, with people asked only at the
/// template's approval gates. A candidate that fails stays registered and is not released.
/// </summary>
public sealed partial class HandsOffRelease(IVigilStore store, CandidateEvaluator evaluator, ReleaseService releases, TimeProvider time, ILogger<HandsOffRelease> logger)
{
    /// <summary>Evaluates the version and releases it when it passes; returns the report and the release started, if any.</summary>
    public async Task<(EvaluationReport? Report, string? ReleaseId, string Message)> RunAsync(string service, int version, string? jobId, CancellationToken ct)
    {
        var report = await store.GetEvaluationAsync(service, version, ct);
        if (report is null)
        {
            var evaluated = await evaluator.EvaluateAsync(service, version, RetrainActions.Runner, ct);
            if (!evaluated.IsSuccess)
            {
                return (null, null, evaluated.Failure!.Message);
            }

            report = evaluated.Value!;
        }

        if (!report.IsPassed)
        {
            return (report, null, $"version {version} {report.Decision} the evaluation; it stays registered and is not released");
        }

        var template = (await store.GetRetrainingPolicyAsync(service, ct))?.Policy.ReleaseTemplate;
        if (template is null)
        {
            return (report, null, $"version {version} passed the evaluation; the policy has no release template, so it waits for a person to release it");
        }

        if ((await store.ListReleasesAsync(service, activeOnly: true, ct)).FirstOrDefault() is { } active)
        {
            return (report, null, $"version {version} passed the evaluation; release {active.Id} is still active, so it was not started");
        }

        var who = new AuditContext(RetrainActions.Runner, time.GetUtcNow(),
            $"version {version} passed evaluation against champion {report.Champion}" + (jobId is null ? "" : $" (job {jobId})") + "; release template started");
        var started = await releases.StartAsync(template with { Challenger = version }, who, ct);
        if (!started.IsSuccess)
        {
            var failure = $"version {version} passed the evaluation, but its release could not start: {started.Failure!.Message}";
            await store.AppendAuditAsync(new AuditEvent(0, who.At, who.Actor, RetrainActions.ReleaseStarted, service, $"{service}/{version}", null,
                new JsonObject { ["error"] = started.Failure.Message, ["errors"] = new JsonArray([.. started.Failure.Errors.Select(e => JsonValue.Create(e))]) }.ToJsonString(), failure), ct);
            LogReleaseFailed(logger, service, version, started.Failure.Message);
            return (report, null, failure);
        }

        return (report, started.Value!.Id, $"version {version} passed the evaluation and release {started.Value.Id} started ({started.Value.Status})");
    }

    [LoggerMessage(EventId = 1620, Level = LogLevel.Warning, Message = "Version {Version} of {Service} passed evaluation but its release did not start: {Why}")]
    private static partial void LogReleaseFailed(ILogger logger, string service, int version, string why);
}

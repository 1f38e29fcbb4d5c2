using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Vigil.Audit;
using Vigil.Persistence;
using Vigil.Retraining;

namespace Vigil.Server.Retraining;

/// <summary>What became of a trigger.</summary>
/// <param name="Result"><c>queued</c> (a new job), <c>coalesced</c> (folded into the running job) or <c>suppressed</c> (a guard held it back).</param>
/// <param name="Job">The new or running job; null when suppressed.</param>
/// <param name="Message">One line for people.</param>
public sealed record TriggerOutcome(string Result, RetrainJob? Job, string Message)
{
    public const string Queued = "queued";
    public const string Coalesced = "coalesced";
    public const string Suppressed = "suppressed";
}

/// <summary>
/// The retraining loop's entry point (<see cref="IRetrainTrigger"/>): applies the guards — one job at a time per service
/// (a trigger during a run is recorded and coalesced into it), the cooldown, the daily maximum — and queues jobs. Every
/// trigger and its cause is an audit event: <c>retrain.triggered</c>, <c>retrain.coalesced</c> or <c>retrain.suppressed</c>.
/// </summary>
public sealed partial class RetrainingService(IVigilStore store, TimeProvider time, ILogger<RetrainingService> logger) : IRetrainTrigger
{
    private static readonly string[] Kinds = ["schedule", "performance", "data", "manual"];

    private readonly ConcurrentDictionary<string, CancellationTokenSource> _running = new(StringComparer.Ordinal);

    /// <summary>Raised after a job is queued, so the controller can start it without waiting for its next tick.</summary>
    public event EventHandler<RetrainJob>? JobQueued;

    /// <inheritdoc />
    public async Task TriggerAsync(RetrainCause cause, CancellationToken cancellationToken)
    {
        var outcome = await RequestAsync(cause, cancellationToken);
        if (!outcome.IsSuccess)
        {
            LogTriggerRefused(logger, cause.Service, cause.Kind, outcome.Failure!.Message);
        }
    }

    /// <summary>Applies the guards to <paramref name="cause"/> and queues, coalesces or suppresses it (each audited).</summary>
    public async Task<Result<TriggerOutcome>> RequestAsync(RetrainCause cause, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(cause);
        if (!Kinds.Contains(cause.Kind, StringComparer.Ordinal))
        {
            return Failure.Invalid($"kind '{cause.Kind}' is not a retraining trigger; use schedule, performance, data or manual");
        }

        if (string.IsNullOrWhiteSpace(cause.Reason) || cause.Reason.Length > 1_000)
        {
            return Failure.Invalid("a retraining needs a reason of 1–1,000 characters (it goes into the audit log)");
        }

        if (await store.GetServiceAsync(cause.Service, ct) is null)
        {
            return Failure.NotFound($"there is no service '{cause.Service}'; list them with 'vigil services list'");
        }

        var now = time.GetUtcNow();
        var stored = await store.GetRetrainingPolicyAsync(cause.Service, ct);
        if (stored is null)
        {
            await SuppressAsync(cause, now, "the service has no retraining policy", ct);
            return Failure.Invalid($"service '{cause.Service}' has no retraining policy; set one with 'vigil retrain policy set {cause.Service} FILE' or PUT /v1/services/{cause.Service}/retraining");
        }

        var policy = stored.Policy;
        for (var attempt = 0; attempt < 5; attempt++)
        {
            var jobs = await store.ListJobsAsync(cause.Service, activeOnly: false, limit: 500, ct);
            if (jobs.FirstOrDefault(j => j.IsActive) is { } active)
            {
                var coalesced = await store.UpdateJobAsync(active with { Coalesced = active.Coalesced + 1 }, active.Revision, RetrainActions.Coalesced, Who(cause, now), ct);
                if (coalesced.Failure is { Kind: FailureKind.Conflict })
                {
                    continue;
                }

                if (!coalesced.IsSuccess)
                {
                    return coalesced.Failure!;
                }

                return Result<TriggerOutcome>.Ok(new TriggerOutcome(TriggerOutcome.Coalesced, coalesced.Value,
                    $"job {active.Id} is already {active.Status}; this {cause.Kind} trigger was recorded and coalesced into it"));
            }

            if (cause.Kind == "performance" && !policy.Performance)
            {
                return await SuppressedAsync(cause, now, "the policy's performance trigger is off", ct);
            }

            var today = jobs.Count(j => j.CreatedAt > now - TimeSpan.FromDays(1));
            if (today >= policy.MaxPerDay)
            {
                return await SuppressedAsync(cause, now, $"the daily maximum of {policy.MaxPerDay} jobs is reached ({today} in the last 24 hours)", ct);
            }

            if (cause.Kind != "manual" && jobs.Where(j => j.FinishedAt is not null).Select(j => j.FinishedAt!.Value).DefaultIfEmpty().Max() is var last
                && last != default && now - last < policy.EffectiveCooldown)
            {
                return await SuppressedAsync(cause, now, $"cooldown: the last job ended at {last:u}, the policy waits {policy.Cooldown ?? RetrainingPolicy.DefaultCooldown} (a manual trigger skips the cooldown)", ct);
            }

            var job = new RetrainJob(
                "job-" + Guid.CreateVersion7(now).ToString("N")[..16], cause.Service, JobStatus.Queued, cause, Name(policy.Trainer.Kind),
                Attempt: 1, Coalesced: 0, Version: null, Error: null, Details: null, Log: "", Revision: 1, now, null, null);
            var created = await store.CreateJobAsync(job, RetrainActions.Triggered, Who(cause, now), ct);
            if (created.Failure is { Kind: FailureKind.Conflict })
            {
                continue; // another trigger won the race: coalesce into its job
            }

            if (!created.IsSuccess)
            {
                return created.Failure!;
            }

            LogQueued(logger, job.Id, cause.Service, cause.Kind, cause.Reason);
            JobQueued?.Invoke(this, created.Value!);
            return Result<TriggerOutcome>.Ok(new TriggerOutcome(TriggerOutcome.Queued, created.Value, $"job {job.Id} queued ({cause.Kind}: {cause.Reason})"));
        }

        return Failure.Conflict($"service '{cause.Service}' kept changing while the trigger was applied; try again");
    }

    /// <summary>Cancels a queued or running job: the decision is persisted, then a running trainer is stopped.</summary>
    public async Task<Result<RetrainJob>> CancelAsync(string id, AuditContext who, CancellationToken ct)
    {
        for (var attempt = 0; attempt < 5; attempt++)
        {
            var job = await store.GetJobAsync(id, ct);
            if (job is null)
            {
                return Failure.NotFound($"there is no job '{id}'; list them with 'vigil jobs list'");
            }

            if (!job.IsActive)
            {
                return Failure.Conflict($"job '{id}' is already {job.Status}; only queued or running jobs can be cancelled");
            }

            var next = job with { Status = JobStatus.Cancelled, FinishedAt = who.At, Error = $"cancelled by {who.Actor}" + (who.Reason is null ? "" : ": " + who.Reason) };
            var saved = await store.UpdateJobAsync(next, job.Revision, RetrainActions.JobCancelled, who, ct);
            if (saved.Failure is { Kind: FailureKind.Conflict })
            {
                continue;
            }

            if (saved.IsSuccess && _running.TryGetValue(id, out var running))
            {
                await running.CancelAsync();
            }

            return saved;
        }

        return Failure.Conflict($"job '{id}' kept changing; try again");
    }

    /// <summary>Registers the cancellation source of a job this process runs.</summary>
    internal void Track(string id, CancellationTokenSource source) => _running[id] = source;

    internal void Untrack(string id) => _running.TryRemove(id, out _);

    internal static string Name(TrainerKind kind) => kind.ToString().ToLowerInvariant();

    private static AuditContext Who(RetrainCause cause, DateTimeOffset now) => new(cause.Actor, now, $"{cause.Kind}: {cause.Reason}");

    private async Task<Result<TriggerOutcome>> SuppressedAsync(RetrainCause cause, DateTimeOffset now, string why, CancellationToken ct)
    {
        await SuppressAsync(cause, now, why, ct);
        return Result<TriggerOutcome>.Ok(new TriggerOutcome(TriggerOutcome.Suppressed, null, $"the {cause.Kind} trigger was suppressed: {why}"));
    }

    private async Task SuppressAsync(RetrainCause cause, DateTimeOffset now, string why, CancellationToken ct)
    {
        var after = new JsonObject { ["cause"] = JsonNode.Parse(VigilJson.Serialize(cause)), ["suppressed_because"] = why };
        await store.AppendAuditAsync(
            new AuditEvent(0, now, cause.Actor, RetrainActions.Suppressed, cause.Service, $"{cause.Service}/retraining", null, after.ToJsonString(), $"{cause.Kind}: {cause.Reason} — suppressed: {why}"),
            ct);
        LogSuppressed(logger, cause.Service, cause.Kind, why);
    }

    [LoggerMessage(EventId = 1600, Level = LogLevel.Information, Message = "Retraining job {Job} of {Service} queued ({Kind}: {Reason})")]
    private static partial void LogQueued(ILogger logger, string job, string service, string kind, string reason);

    [LoggerMessage(EventId = 1601, Level = LogLevel.Information, Message = "Retraining trigger {Kind} of {Service} suppressed: {Why}")]
    private static partial void LogSuppressed(ILogger logger, string service, string kind, string why);

    [LoggerMessage(EventId = 1602, Level = LogLevel.Warning, Message = "Retraining trigger {Kind} of {Service} refused: {Why}")]
    private static partial void LogTriggerRefused(ILogger logger, string service, string kind, string why);
}

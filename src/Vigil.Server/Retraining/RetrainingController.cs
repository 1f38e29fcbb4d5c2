using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;
using Vigil.Audit;
using Vigil.Persistence;
using Vigil.Retraining;
using Vigil.Server.Hosting;

namespace Vigil.Server.Retraining;

/// <summary>
/// The retraining scheduler, on the server's clock (every <see cref="VigilServerOptions.ControllerTick"/>): on its first tick
/// it recovers jobs left running by a server that stopped (requeued while attempts remain, else failed); then on each tick it
/// fires due <c>schedule</c> and <c>data</c> policies through <see cref="RetrainingService"/>, starts queued jobs, completes
/// or times out webhook jobs, and evaluates versions registered by other means (every new version of a service with a
/// policy is evaluated before it may be released by the loop).
/// </summary>
public sealed partial class RetrainingController(
    IVigilStore store,
    RetrainingService retraining,
    JobRunner runner,
    HandsOffRelease handsOff,
    TimeProvider time,
    IOptions<VigilServerOptions> options,
    ILogger<RetrainingController> logger,
    ILeaderElection leader,
    Observability.VigilMetrics? metrics = null) : BackgroundService
{
    private readonly ConcurrentDictionary<string, Task> _inFlight = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, DateTimeOffset> _nextSchedule = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<(string, int), bool> _evaluating = new();
    private readonly SemaphoreSlim _tick = new(1, 1);
    private readonly CancellationTokenSource _stopping = new();
    private int _recoveredTerm = -1;

    /// <summary>One pass (the loop calls it; tests call it after advancing a fake clock). Jobs it starts run on; <see cref="DrainAsync"/> waits for them.</summary>
    public async Task TickAsync(CancellationToken ct)
    {
        await _tick.WaitAsync(ct);
        try
        {
            // Once per leadership term: a job left running belongs to a leader that stopped (only the leader runs jobs).
            if (_recoveredTerm != leader.Term)
            {
                var term = leader.Term;
                await RecoverAsync(ct);
                _recoveredTerm = term;
            }

            foreach (var stored in await store.ListRetrainingPoliciesAsync(ct))
            {
                try
                {
                    await TickServiceAsync(stored, ct);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    LogServiceTickFailed(logger, stored.Service, ex);
                }
            }
        }
        finally
        {
            _tick.Release();
        }
    }

    /// <summary>Waits until every job and evaluation this process started has ended (or handed over to a webhook).</summary>
    public async Task DrainAsync()
    {
        while (true)
        {
            foreach (var (key, task) in _inFlight)
            {
                if (task.IsCompleted)
                {
                    _inFlight.TryRemove(key, out _);
                }
            }

            if (_inFlight.IsEmpty)
            {
                return;
            }

            await Task.WhenAll(_inFlight.Values);
        }
    }

    /// <summary>Starts a queued job now (the trigger endpoint calls it so a manual trigger does not wait for the next tick).</summary>
    public void Start(RetrainJob job)
    {
        if (job.Status != JobStatus.Queued)
        {
            return;
        }

        _ = _inFlight.GetOrAdd(job.Id, id => Task.Run(async () =>
        {
            try
            {
                await runner.RunAsync(job, _stopping.Token);
            }
            finally
            {
                _inFlight.TryRemove(id, out _);
            }
        }));
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync();
        await base.StopAsync(cancellationToken);
    }

    public override void Dispose()
    {
        // _stopping is not disposed: it has no timer, and a host stopped twice must still be able to cancel it.
        _tick.Dispose();
        base.Dispose();
    }

    protected override Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Only the leader runs jobs; on a follower a queued job waits for the leader's next tick.
        retraining.JobQueued += (_, job) =>
        {
            if (leader.IsLeader)
            {
                Start(job);
            }
        };
        return ControlLoop.RunAsync(TickAsync, options.Value.ControllerTick, time, ex =>
            {
                metrics?.LoopFailed("retraining-controller");
                LogLoopFailed(logger, ex);
            }, stoppingToken, tickFirst: true, leader: leader);
    }

    private async Task RecoverAsync(CancellationToken ct)
    {
        foreach (var job in await store.ListJobsAsync(null, activeOnly: true, limit: 10_000, ct))
        {
            if (job.Status != JobStatus.Running || _inFlight.ContainsKey(job.Id) || job.Trainer == "webhook")
            {
                continue; // queued jobs start below; webhook jobs wait for their external system across restarts
            }

            // The model may have been registered before the stop: then the job is completed, not trained again.
            if ((await store.ListVersionsAsync(job.Service, ct)).FirstOrDefault(v => v.Metadata.GetValueOrDefault("job_id") == job.Id) is { } registered)
            {
                await runner.CompleteAsync(job.Id, job.Service, new TrainedModel(null, registered.Metadata, null, registered.Number), ct);
                continue;
            }

            var policy = (await store.GetRetrainingPolicyAsync(job.Service, ct))?.Policy;
            var maxAttempts = policy?.MaxAttempts ?? 1;
            var now = time.GetUtcNow();
            var retry = job.Attempt < maxAttempts;
            var reason = $"the server stopped while job {job.Id} was running (attempt {job.Attempt} of {maxAttempts})" + (retry ? "; queued again" : "; no attempts left");
            var next = retry
                ? job with { Status = JobStatus.Queued, Attempt = job.Attempt + 1, StartedAt = null }
                : job with { Status = JobStatus.Failed, Error = reason, FinishedAt = now };
            var saved = await store.UpdateJobAsync(next, job.Revision, RetrainActions.JobInterrupted, new AuditContext(RetrainActions.Scheduler, now, reason), ct);
            if (saved.IsSuccess)
            {
                await store.AppendJobLogAsync(job.Id, $"[{now:yyyy-MM-ddTHH:mm:ssZ}] INTERRUPTED: {reason}\n", ct);
                LogRecovered(logger, job.Id, reason);
            }
        }
    }

    private async Task TickServiceAsync(StoredRetrainingPolicy stored, CancellationToken ct)
    {
        var service = stored.Service;
        var policy = stored.Policy;
        var now = time.GetUtcNow();
        var jobs = await store.ListJobsAsync(service, activeOnly: false, limit: 200, ct);
        var active = jobs.FirstOrDefault(j => j.IsActive);

        // Schedule: the next occurrence after the later of the policy's last change and the last scheduled job; an
        // occurrence missed while the server was down fires once.
        if (policy.Schedule is { } schedule)
        {
            var next = _nextSchedule.GetOrAdd(service, _ =>
            {
                var lastScheduled = jobs.Where(j => j.Cause.Kind == "schedule").Select(j => j.CreatedAt).DefaultIfEmpty(stored.UpdatedAt).Max();
                return schedule.Next(lastScheduled > stored.UpdatedAt ? lastScheduled : stored.UpdatedAt) ?? DateTimeOffset.MaxValue;
            });
            if (now >= next)
            {
                _nextSchedule[service] = schedule.Next(now) ?? DateTimeOffset.MaxValue;
                await retraining.RequestAsync(new RetrainCause(service, "schedule", $"cron '{schedule.Cron}' ({schedule.TimeZone ?? "UTC"}) was due at {next:u}", RetrainActions.Scheduler,
                    new JsonObject { ["cron"] = schedule.Cron, ["time_zone"] = schedule.TimeZone ?? "UTC", ["due_at"] = next.ToString("O") }), ct);
            }
        }

        // Data: N labels received since the last training started (or since the policy was set).
        if (policy.Data is { } data && active is null)
        {
            var since = jobs.Where(j => j.Status != JobStatus.Cancelled).Select(j => j.StartedAt ?? j.CreatedAt).DefaultIfEmpty(stored.UpdatedAt).Max();
            var labels = await store.CountLabelsSinceAsync(service, policy.Label, since, ct);
            if (labels >= data.NewLabels)
            {
                await retraining.RequestAsync(new RetrainCause(service, "data", $"{labels} new labels since {since:u} (policy: every {data.NewLabels})", RetrainActions.Scheduler,
                    new JsonObject { ["new_labels"] = labels, ["threshold"] = data.NewLabels, ["since"] = since.ToString("O") }), ct);
            }
        }

        active = (await store.ListJobsAsync(service, activeOnly: true, limit: 1, ct)).FirstOrDefault();
        if (active is { Status: JobStatus.Queued })
        {
            Start(active);
        }
        else if (active is { Status: JobStatus.Running, Trainer: "webhook" } && !_inFlight.ContainsKey(active.Id))
        {
            await CheckWebhookAsync(active, policy, now, ct);
        }

        await EvaluateNewVersionsAsync(service, jobs, ct);
    }

    private async Task CheckWebhookAsync(RetrainJob job, RetrainingPolicy policy, DateTimeOffset now, CancellationToken ct)
    {
        var registered = (await store.ListVersionsAsync(job.Service, ct)).FirstOrDefault(v => v.Metadata.GetValueOrDefault("job_id") == job.Id);
        if (registered is not null)
        {
            await runner.CompleteAsync(job.Id, job.Service, new TrainedModel(null, registered.Metadata, null, registered.Number), ct);
        }
        else if (job.StartedAt is { } started && now - started > policy.Trainer.EffectiveTimeout)
        {
            await runner.FailAsync(job.Id, $"the webhook trainer did not register a model (metadata job_id={job.Id}) within the policy's timeout of {policy.Trainer.Timeout ?? TrainerSpec.DefaultTimeout}", ct);
        }
    }

    private async Task EvaluateNewVersionsAsync(string service, IReadOnlyList<RetrainJob> jobs, CancellationToken ct)
    {
        var aliases = await store.GetAliasesAsync(service, ct);
        if (aliases.Champion is not { } champion)
        {
            return;
        }

        var evaluated = (await store.ListEvaluationsAsync(service, ct)).Select(e => e.Version).ToHashSet();
        var ownedByJobs = jobs.Where(j => j.IsActive).Select(j => j.Id).ToHashSet(StringComparer.Ordinal);
        foreach (var version in await store.ListVersionsAsync(service, ct))
        {
            if (version.Number <= champion || evaluated.Contains(version.Number)
                || (version.Metadata.TryGetValue("job_id", out var jobId) && ownedByJobs.Contains(jobId))
                || !_evaluating.TryAdd((service, version.Number), true))
            {
                continue;
            }

            var key = $"eval:{service}/{version.Number}";
            _ = _inFlight.GetOrAdd(key, k => Task.Run(async () =>
            {
                try
                {
                    await handsOff.RunAsync(service, version.Number, null, _stopping.Token);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    LogServiceTickFailed(logger, service, ex);
                }
                finally
                {
                    _inFlight.TryRemove(key, out _);
                    _evaluating.TryRemove((service, version.Number), out _);
                }
            }));
        }
    }

    [LoggerMessage(EventId = 1640, Level = LogLevel.Warning, Message = "The retraining tick of {Service} failed; retrying next tick")]
    private static partial void LogServiceTickFailed(ILogger logger, string service, Exception exception);

    [LoggerMessage(EventId = 1641, Level = LogLevel.Warning, Message = "The retraining controller's tick failed; retrying next tick")]
    private static partial void LogLoopFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 1642, Level = LogLevel.Warning, Message = "Retraining job {Job} recovered: {Reason}")]
    private static partial void LogRecovered(ILogger logger, string job, string reason);
}

namespace Vigil.Retraining;

/// <summary>The states of a retraining job: <c>queued → running → succeeded | failed | cancelled</c>.</summary>
public static class JobStatus
{
    public const string Queued = "queued";
    public const string Running = "running";
    public const string Succeeded = "succeeded";
    public const string Failed = "failed";
    public const string Cancelled = "cancelled";

    public static bool IsActive(string status) => status is Queued or Running;
}

/// <summary>The audit actions of the retraining loop.</summary>
public static class RetrainActions
{
    public const string PolicySet = "retraining.policy_set";
    public const string Triggered = "retrain.triggered";
    public const string Coalesced = "retrain.coalesced";
    public const string Suppressed = "retrain.suppressed";
    public const string JobStarted = "retrain.job_started";
    public const string JobSucceeded = "retrain.job_succeeded";
    public const string JobFailed = "retrain.job_failed";
    public const string JobCancelled = "retrain.job_cancelled";
    public const string JobInterrupted = "retrain.job_interrupted";
    public const string Evaluated = "version.evaluated";
    public const string ReleaseStarted = "retrain.release_started";

    /// <summary>The control loop's actor for what the scheduler and job runner do.</summary>
    public const string Scheduler = "vigil:scheduler";
    public const string Runner = "vigil:retraining";
}

/// <summary>A persisted retraining job.</summary>
/// <param name="Id">job-…</param>
/// <param name="Service">The service.</param>
/// <param name="Status">See <see cref="JobStatus"/>.</param>
/// <param name="Cause">Why it was started (JSON of the <see cref="RetrainCause"/>).</param>
/// <param name="Trainer">The trainer kind.</param>
/// <param name="Attempt">1 for the first run; a job interrupted by a server stop is run again with the next attempt.</param>
/// <param name="Coalesced">Triggers that arrived while it was queued or running and were folded into it.</param>
/// <param name="Version">The version it registered, when it succeeded.</param>
/// <param name="Error">Why it failed or was cancelled.</param>
/// <param name="Details">JSON: data range, rows, metrics, evaluation decision, release id.</param>
/// <param name="Log">The captured log (trainer output and the runner's own lines).</param>
/// <param name="Revision">Optimistic concurrency revision.</param>
/// <param name="CreatedAt">When it was queued.</param>
/// <param name="StartedAt">When it began running.</param>
/// <param name="FinishedAt">When it ended.</param>
public sealed record RetrainJob(
    string Id,
    string Service,
    string Status,
    RetrainCause Cause,
    string Trainer,
    int Attempt,
    int Coalesced,
    int? Version,
    string? Error,
    string? Details,
    string Log,
    long Revision,
    DateTimeOffset CreatedAt,
    DateTimeOffset? StartedAt,
    DateTimeOffset? FinishedAt)
{
    /// <summary>Longest log kept; older lines are cut from the start.</summary>
    public const int MaxLogChars = 256 * 1024;

    public bool IsActive => JobStatus.IsActive(Status);
}

/// <summary>A stored retraining policy with its revision.</summary>
public sealed record StoredRetrainingPolicy(string Service, RetrainingPolicy Policy, long Revision, DateTimeOffset UpdatedAt);

/// <summary>A logged, labelled production request: what training and evaluation read.</summary>
/// <param name="RequestId">The request id.</param>
/// <param name="At">When the request arrived.</param>
/// <param name="Version">The version that answered it.</param>
/// <param name="Arm">champion or canary.</param>
/// <param name="Attributes">JSON object of segment attributes.</param>
/// <param name="Inputs">JSON object of inputs.</param>
/// <param name="Label">The numeric value of the label outcome.</param>
/// <param name="LabelledAt">When the label arrived.</param>
public sealed record LabeledRow(string RequestId, DateTimeOffset At, int Version, string Arm, string Attributes, string Inputs, double Label, DateTimeOffset LabelledAt);

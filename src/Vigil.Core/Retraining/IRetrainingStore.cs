using Vigil.Audit;

namespace Vigil.Retraining;

/// <summary>The retraining loop's part of the store: policies, jobs, evaluation reports and labelled data (docs/retraining.md).</summary>
public interface IRetrainingStore
{
    Task<StoredRetrainingPolicy?> GetRetrainingPolicyAsync(string service, CancellationToken cancellationToken);

    Task<IReadOnlyList<StoredRetrainingPolicy>> ListRetrainingPoliciesAsync(CancellationToken cancellationToken);

    /// <summary>Creates or replaces a service's policy with an audit event (<c>retraining.policy_set</c>, before and after); NotFound for an unknown service.</summary>
    Task<Result<StoredRetrainingPolicy>> PutRetrainingPolicyAsync(string service, RetrainingPolicy policy, AuditContext who, CancellationToken cancellationToken);

    /// <summary>
    /// Stores a queued job with an audit event named <paramref name="action"/> holding its cause. Conflict when the service already
    /// has a queued or running job (also when two are created at once: exactly one wins).
    /// </summary>
    Task<Result<RetrainJob>> CreateJobAsync(RetrainJob job, string action, AuditContext who, CancellationToken cancellationToken);

    /// <summary>
    /// Writes <paramref name="next"/> (status, attempt, coalesced, version, error, details, times; not the log) if the job is still at
    /// <paramref name="expectedRevision"/> (else Conflict), with an audit event named <paramref name="action"/>; returns it with its new revision.
    /// </summary>
    Task<Result<RetrainJob>> UpdateJobAsync(RetrainJob next, long expectedRevision, string action, AuditContext who, CancellationToken cancellationToken);

    /// <summary>Appends lines to a job's log (not audited: a log is not a control-plane change); the oldest text is cut beyond <see cref="RetrainJob.MaxLogChars"/>.</summary>
    Task AppendJobLogAsync(string id, string text, CancellationToken cancellationToken);

    Task<RetrainJob?> GetJobAsync(string id, CancellationToken cancellationToken);

    /// <summary>Jobs newest first, of one service when given, only queued and running ones when <paramref name="activeOnly"/>.</summary>
    Task<IReadOnlyList<RetrainJob>> ListJobsAsync(string? service, bool activeOnly, int limit, CancellationToken cancellationToken);

    /// <summary>
    /// The service's served (champion and canary) requests that have a <paramref name="label"/> outcome with a numeric value,
    /// newest first, at most <paramref name="limit"/>, made at or after <paramref name="since"/> and before <paramref name="until"/>.
    /// </summary>
    Task<IReadOnlyList<LabeledRow>> GetLabeledRowsAsync(string service, string label, DateTimeOffset? since, DateTimeOffset? until, int limit, CancellationToken cancellationToken);

    /// <summary>Labels (numeric <paramref name="label"/> outcomes of the service's requests) received after <paramref name="since"/>.</summary>
    Task<long> CountLabelsSinceAsync(string service, string label, DateTimeOffset since, CancellationToken cancellationToken);

    /// <summary>Stores an evaluation report with its audit event (<c>version.evaluated</c>, After = the report); Conflict when the version already has one.</summary>
    Task<Result<EvaluationReport>> SaveEvaluationAsync(EvaluationReport report, AuditContext who, CancellationToken cancellationToken);

    Task<EvaluationReport?> GetEvaluationAsync(string service, int version, CancellationToken cancellationToken);

    /// <summary>Every evaluation report of a service, oldest first.</summary>
    Task<IReadOnlyList<EvaluationReport>> ListEvaluationsAsync(string service, CancellationToken cancellationToken);
}

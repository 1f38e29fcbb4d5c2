using System.Data.Common;
using Vigil.Audit;
using Vigil.Persistence;
using Vigil.Predictions;
using Vigil.Retraining;
using Vigil.Storage.Dialects;

namespace Vigil.Storage;

/// <summary>Retraining policies, jobs, evaluation reports and labelled rows.</summary>
public abstract partial class SqlStore
{
    private const string JobColumns =
        "id, service, status, active, cause, trainer, attempt, coalesced, version, error, details, log, revision, created_at, started_at, finished_at";

    /// <inheritdoc />
    public async Task<StoredRetrainingPolicy?> GetRetrainingPolicyAsync(string service, CancellationToken cancellationToken)
    {
        var found = await QueryAsync(
            "SELECT service, definition, revision, updated_at FROM retraining_policies WHERE service = @service",
            ReadPolicy,
            cancellationToken,
            ("service", service));
        return found.Count == 0 ? null : found[0];
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<StoredRetrainingPolicy>> ListRetrainingPoliciesAsync(CancellationToken cancellationToken) =>
        await QueryAsync("SELECT service, definition, revision, updated_at FROM retraining_policies ORDER BY service", ReadPolicy, cancellationToken);

    /// <inheritdoc />
    public Task<Result<StoredRetrainingPolicy>> PutRetrainingPolicyAsync(string service, RetrainingPolicy policy, AuditContext who, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentNullException.ThrowIfNull(who);
        return ChangeAsync<StoredRetrainingPolicy>(
            new ControlPlaneChange(service, RetrainActions.PolicySet),
            async (connection, transaction) =>
            {
                if (!await LockServiceAsync(connection, transaction, service, cancellationToken))
                {
                    return ServiceNotFound(service);
                }

                var before = await QueryAsync(
                    connection,
                    "SELECT service, definition, revision, updated_at FROM retraining_policies WHERE service = @service",
                    ReadPolicy,
                    cancellationToken,
                    transaction,
                    ("service", service));
                var definition = VigilJson.Serialize(policy);
                var (revision, at) = await PutServiceDefinitionAsync(
                    connection, transaction, "retraining_policies", service, definition, before.Count == 0 ? null : (before[0].Revision, VigilJson.Serialize(before[0].Policy)), RetrainActions.PolicySet, $"{service}/retraining", who, cancellationToken);
                return Result<StoredRetrainingPolicy>.Ok(new StoredRetrainingPolicy(service, policy, revision, at));
            },
            cancellationToken);
    }

    /// <inheritdoc />
    public async Task<Result<RetrainJob>> CreateJobAsync(RetrainJob job, string action, AuditContext who, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(job);
        ArgumentNullException.ThrowIfNull(who);
        var stored = job with { CreatedAt = Timestamps.Normalize(job.CreatedAt), Revision = 1 };
        try
        {
            return await ChangeAsync<RetrainJob>(
                new ControlPlaneChange(job.Service, action),
                async (connection, transaction) =>
                {
                    if (!await LockServiceAsync(connection, transaction, job.Service, cancellationToken))
                    {
                        return ServiceNotFound(job.Service);
                    }

                    var active = await ScalarAsync(
                        connection,
                        transaction,
                        "SELECT id FROM retrain_jobs WHERE service = @service AND active = @active",
                        cancellationToken,
                        ("service", job.Service),
                        ("active", true));
                    if (active is string id)
                    {
                        return ActiveJobConflict(job.Service, id);
                    }

                    await ExecuteAsync(
                        connection,
                        transaction,
                        $"""
                        INSERT INTO retrain_jobs ({JobColumns})
                        VALUES (@id, @service, @status, @active, @cause, @trainer, @attempt, @coalesced, @version, @error, @details, @log, @revision, @created_at, @started_at, @finished_at)
                        """,
                        cancellationToken,
                        JobParameters(stored));
                    await InsertAuditAsync(
                        connection,
                        transaction,
                        Audit(who, action, job.Service, JobTarget(job), null, VigilJson.Serialize(JobAuditView.Of(stored))),
                        cancellationToken);
                    return Result<RetrainJob>.Ok(stored);
                },
                cancellationToken);
        }
        catch (DbException ex) when (IsUniqueViolation(ex))
        {
            // The partial unique index on active jobs decides a race between two triggers.
            return ActiveJobConflict(job.Service, null);
        }
    }

    /// <inheritdoc />
    public async Task<Result<RetrainJob>> UpdateJobAsync(RetrainJob next, long expectedRevision, string action, AuditContext who, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(next);
        ArgumentNullException.ThrowIfNull(who);
        try
        {
            return await ChangeAsync<RetrainJob>(
                new ControlPlaneChange(next.Service, action),
                async (connection, transaction) =>
                {
                    var current = await QueryAsync(
                        connection,
                        $"SELECT {JobColumns} FROM retrain_jobs WHERE id = @id{ForUpdate}",
                        ReadJob,
                        cancellationToken,
                        transaction,
                        ("id", next.Id));
                    if (current.Count == 0)
                    {
                        return Failure.NotFound($"there is no job '{next.Id}'; list them with 'vigil jobs list'");
                    }

                    if (current[0].Revision != expectedRevision)
                    {
                        return Failure.Conflict($"job '{next.Id}' changed meanwhile (revision {current[0].Revision}, expected {expectedRevision}); read it again");
                    }

                    var updated = next with
                    {
                        Revision = expectedRevision + 1,
                        Log = current[0].Log,
                        StartedAt = next.StartedAt is { } s ? Timestamps.Normalize(s) : null,
                        FinishedAt = next.FinishedAt is { } f ? Timestamps.Normalize(f) : null,
                    };
                    await ExecuteAsync(
                        connection,
                        transaction,
                        """
                        UPDATE retrain_jobs SET status = @status, active = @active, attempt = @attempt, coalesced = @coalesced, version = @version,
                            error = @error, details = @details, revision = @revision, started_at = @started_at, finished_at = @finished_at
                        WHERE id = @id
                        """,
                        cancellationToken,
                        JobParameters(updated));
                    await InsertAuditAsync(
                        connection,
                        transaction,
                        Audit(who, action, next.Service, JobTarget(next), VigilJson.Serialize(JobAuditView.Of(current[0])), VigilJson.Serialize(JobAuditView.Of(updated))),
                        cancellationToken);
                    return Result<RetrainJob>.Ok(updated);
                },
                cancellationToken);
        }
        catch (DbException ex) when (IsUniqueViolation(ex))
        {
            return ActiveJobConflict(next.Service, null);
        }
    }

    /// <inheritdoc />
    public Task AppendJobLogAsync(string id, string text, CancellationToken cancellationToken) =>
        InTransactionAsync(
            async (connection, transaction) =>
            {
                var current = await ScalarAsync(connection, transaction, $"SELECT log FROM retrain_jobs WHERE id = @id{ForUpdate}", cancellationToken, ("id", id));
                if (current is not string log)
                {
                    return 0;
                }

                var next = log + text;
                if (next.Length > RetrainJob.MaxLogChars)
                {
                    next = "[…earlier lines cut…]\n" + next[^RetrainJob.MaxLogChars..];
                }

                return await ExecuteAsync(connection, transaction, "UPDATE retrain_jobs SET log = @log WHERE id = @id", cancellationToken, ("log", next), ("id", id));
            },
            cancellationToken);

    /// <inheritdoc />
    public async Task<RetrainJob?> GetJobAsync(string id, CancellationToken cancellationToken)
    {
        var found = await QueryAsync($"SELECT {JobColumns} FROM retrain_jobs WHERE id = @id", ReadJob, cancellationToken, ("id", id));
        return found.Count == 0 ? null : found[0];
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<RetrainJob>> ListJobsAsync(string? service, bool activeOnly, int limit, CancellationToken cancellationToken)
    {
        var parameters = new List<(string, object?)> { ("limit", Math.Clamp(limit, 1, 10_000)) };
        var where = ServiceActiveFilter(service, activeOnly, parameters);
        return await QueryAsync($"SELECT {JobColumns} FROM retrain_jobs {where} ORDER BY created_at DESC, id DESC LIMIT @limit", ReadJob, cancellationToken, [.. parameters]);
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<LabeledRow>> GetLabeledRowsAsync(string service, string label, DateTimeOffset? since, DateTimeOffset? until, int limit, CancellationToken cancellationToken)
    {
        var parameters = new List<(string, object?)>
        {
            ("service", service), ("label", label), ("champion", Arms.Champion), ("canary", Arms.Canary), ("limit", Math.Clamp(limit, 1, 10_000_000)),
        };
        var window = "";
        if (since is { } s)
        {
            window += " AND p.at >= @since";
            parameters.Add(("since", ToDb(s)));
        }

        if (until is { } u)
        {
            window += " AND p.at < @until";
            parameters.Add(("until", ToDb(u)));
        }

        return await QueryAsync(
            $"""
            SELECT p.request_id, p.at, p.version, p.arm, p.attributes, p.inputs, o.numeric, o.received_at
            FROM predictions p
            JOIN outcomes o ON o.request_id = p.request_id AND o.name = @label
            WHERE p.service = @service AND p.arm IN (@champion, @canary) AND p.error IS NULL AND o.numeric IS NOT NULL{window}
            ORDER BY p.at DESC, p.request_id
            LIMIT @limit
            """,
            reader => new LabeledRow(
                reader.GetString(0),
                ReadTime(reader, 1),
                reader.GetInt32(2),
                reader.GetString(3),
                reader.GetString(4),
                reader.GetString(5),
                reader.GetDouble(6),
                ReadTime(reader, 7)),
            cancellationToken,
            [.. parameters]);
    }

    /// <inheritdoc />
    public async Task<long> CountLabelsSinceAsync(string service, string label, DateTimeOffset since, CancellationToken cancellationToken)
    {
        await using var connection = await OpenConnectionAsync(cancellationToken);
        var count = await ScalarAsync(
            connection,
            null,
            """
            SELECT COUNT(*) FROM outcomes o
            JOIN predictions p ON p.request_id = o.request_id
            WHERE p.service = @service AND o.name = @label AND o.numeric IS NOT NULL AND o.received_at > @since
            """,
            cancellationToken,
            ("service", service),
            ("label", label),
            ("since", ToDb(since)));
        return Convert.ToInt64(count);
    }

    /// <inheritdoc />
    public async Task<Result<EvaluationReport>> SaveEvaluationAsync(EvaluationReport report, AuditContext who, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(report);
        ArgumentNullException.ThrowIfNull(who);
        var json = VigilJson.Serialize(report);
        try
        {
            return await ChangeAsync<EvaluationReport>(
                new ControlPlaneChange(report.Service, RetrainActions.Evaluated),
                async (connection, transaction) =>
                {
                    var inserted = await ExecuteAsync(
                        connection,
                        transaction,
                        """
                        INSERT INTO evaluations (service, version, passed, report, created_at)
                        VALUES (@service, @version, @passed, @report, @created_at)
                        ON CONFLICT (service, version) DO NOTHING
                        """,
                        cancellationToken,
                        ("service", report.Service),
                        ("version", report.Version),
                        ("passed", report.IsPassed),
                        ("report", json),
                        ("created_at", ToDb(Timestamps.Normalize(report.EvaluatedAt))));
                    if (inserted == 0)
                    {
                        return Failure.Conflict($"version {report.Version} of '{report.Service}' is already evaluated");
                    }

                    await InsertAuditAsync(
                        connection,
                        transaction,
                        Audit(who, RetrainActions.Evaluated, report.Service, $"{report.Service}/{report.Version}", null, json),
                        cancellationToken);
                    return Result<EvaluationReport>.Ok(report);
                },
                cancellationToken);
        }
        catch (DbException ex) when (ex.Message.Contains("FOREIGN KEY", StringComparison.OrdinalIgnoreCase) || ex.Message.Contains("foreign key", StringComparison.OrdinalIgnoreCase))
        {
            return Failure.NotFound($"there is no version {report.Version} of '{report.Service}'");
        }
    }

    /// <inheritdoc />
    public async Task<EvaluationReport?> GetEvaluationAsync(string service, int version, CancellationToken cancellationToken)
    {
        var found = await QueryAsync(
            "SELECT report FROM evaluations WHERE service = @service AND version = @version",
            reader => VigilJson.Deserialize<EvaluationReport>(reader.GetString(0))!,
            cancellationToken,
            ("service", service),
            ("version", version));
        return found.Count == 0 ? null : found[0];
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<EvaluationReport>> ListEvaluationsAsync(string service, CancellationToken cancellationToken) =>
        await QueryAsync(
            "SELECT report FROM evaluations WHERE service = @service ORDER BY version",
            reader => VigilJson.Deserialize<EvaluationReport>(reader.GetString(0))!,
            cancellationToken,
            ("service", service));

    private static Failure ActiveJobConflict(string service, string? id) =>
        Failure.Conflict(id is null
            ? $"service '{service}' already has a queued or running retraining job; the trigger was coalesced into it"
            : $"service '{service}' already has a queued or running retraining job ({id}); the trigger was coalesced into it");

    private static string JobTarget(RetrainJob job) => $"{job.Service}/jobs/{job.Id}";

    private (string, object?)[] JobParameters(RetrainJob job) =>
    [
        ("id", job.Id),
        ("service", job.Service),
        ("status", job.Status),
        ("active", job.IsActive),
        ("cause", VigilJson.Serialize(job.Cause)),
        ("trainer", job.Trainer),
        ("attempt", job.Attempt),
        ("coalesced", job.Coalesced),
        ("version", job.Version),
        ("error", job.Error),
        ("details", job.Details),
        ("log", job.Log),
        ("revision", job.Revision),
        ("created_at", ToDb(job.CreatedAt)),
        ("started_at", job.StartedAt is { } s ? ToDb(s) : null),
        ("finished_at", job.FinishedAt is { } f ? ToDb(f) : null),
    ];

    private StoredRetrainingPolicy ReadPolicy(DbDataReader reader) => new(
        reader.GetString(0),
        VigilJson.Deserialize<RetrainingPolicy>(reader.GetString(1))!,
        reader.GetInt64(2),
        ReadTime(reader, 3));

    private RetrainJob ReadJob(DbDataReader reader) => new(
        reader.GetString(0),
        reader.GetString(1),
        reader.GetString(2),
        VigilJson.Deserialize<RetrainCause>(reader.GetString(4))!,
        reader.GetString(5),
        reader.GetInt32(6),
        reader.GetInt32(7),
        NullableInt(reader, 8),
        NullableString(reader, 9),
        NullableString(reader, 10),
        reader.GetString(11),
        reader.GetInt64(12),
        ReadTime(reader, 13),
        reader.IsDBNull(14) ? null : ReadTime(reader, 14),
        reader.IsDBNull(15) ? null : ReadTime(reader, 15));

    /// <summary>A job as the audit log shows it: everything but the log.</summary>
    private sealed record JobAuditView(string Id, string Status, RetrainCause Cause, string Trainer, int Attempt, int Coalesced, int? Version, string? Error, string? Details)
    {
        public static JobAuditView Of(RetrainJob job) =>
            new(job.Id, job.Status, job.Cause, job.Trainer, job.Attempt, job.Coalesced, job.Version, job.Error, job.Details);
    }

    /// <summary>
    /// Writes a service's one versioned JSON definition (its retraining policy, its monitoring settings) to
    /// <paramref name="table"/> (columns service, definition, revision, updated_at) inside the caller's transaction, with an
    /// audit event of before and after; returns the new revision and time.
    /// </summary>
    private async Task<(long Revision, DateTimeOffset At)> PutServiceDefinitionAsync(
        DbConnection connection,
        DbTransaction transaction,
        string table,
        string service,
        string definition,
        (long Revision, string Definition)? before,
        string action,
        string target,
        AuditContext who,
        CancellationToken cancellationToken)
    {
        var revision = (before?.Revision ?? 0) + 1;
        var at = Timestamps.Normalize(who.At);
        await ExecuteAsync(
            connection,
            transaction,
            $"""
            INSERT INTO {table} (service, definition, revision, updated_at)
            VALUES (@service, @definition, @revision, @updated_at)
            ON CONFLICT (service) DO UPDATE SET definition = @definition, revision = @revision, updated_at = @updated_at
            """,
            cancellationToken,
            ("service", service),
            ("definition", definition),
            ("revision", revision),
            ("updated_at", ToDb(at)));
        await InsertAuditAsync(connection, transaction, Audit(who, action, service, target, before?.Definition, definition), cancellationToken);
        return (revision, at);
    }
}

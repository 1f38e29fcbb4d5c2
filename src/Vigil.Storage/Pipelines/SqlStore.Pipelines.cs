using System.Data.Common;
using System.Runtime.CompilerServices;
using Vigil.Audit;
using Vigil.Persistence;
using Vigil.Pipelines;
using Vigil.Storage.Dialects;

namespace Vigil.Storage;

/// <summary>Pipelines, their revisions, traces and judgments (migration 6).</summary>
public abstract partial class SqlStore
{
    private const string PipelineColumns = "name, definition, revision, created_at, updated_at";
    private const string PipelineCreated = "pipeline.created";
    private const string PipelineUpdated = "pipeline.updated";

    /// <inheritdoc />
    public async Task<PipelineApplyResult> ApplyPipelineAsync(string name, string definition, AuditContext who, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(definition);
        ArgumentNullException.ThrowIfNull(who);
        PipelineApplyResult? outcome = null;
        var result = await ChangeAsync<PipelineApplyResult>(
            applied => new ControlPlaneChange(null, applied.Created ? PipelineCreated : PipelineUpdated),
            async (connection, transaction) =>
            {
                var at = Timestamps.Normalize(who.At);
                var found = await QueryAsync(
                    connection,
                    $"SELECT {PipelineColumns} FROM pipelines WHERE name = @name{ForUpdate}",
                    ReadPipeline,
                    cancellationToken,
                    transaction,
                    ("name", name));
                StoredPipeline next;
                if (found.Count == 0)
                {
                    next = new StoredPipeline(name, definition, 1, at, at);
                    var inserted = await ExecuteAsync(
                        connection,
                        transaction,
                        $"INSERT INTO pipelines ({PipelineColumns}) VALUES (@name, @definition, 1, @at, @at) ON CONFLICT (name) DO NOTHING",
                        cancellationToken,
                        ("name", name),
                        ("definition", definition),
                        ("at", ToDb(at)));
                    if (inserted == 0)
                    {
                        return Failure.Conflict($"pipeline '{name}' was created meanwhile; apply again");
                    }

                    await InsertAuditAsync(connection, transaction, Audit(who, PipelineCreated, null, PipelineTarget(name), null, definition), cancellationToken);
                }
                else
                {
                    var current = found[0];
                    if (current.Definition == definition)
                    {
                        outcome = new PipelineApplyResult(current, Created: false, Changed: false);
                        return Failure.Conflict("unchanged");
                    }

                    next = current with { Definition = definition, Revision = current.Revision + 1, UpdatedAt = at };
                    await ExecuteAsync(
                        connection,
                        transaction,
                        "UPDATE pipelines SET definition = @definition, revision = @revision, updated_at = @at WHERE name = @name",
                        cancellationToken,
                        ("definition", definition),
                        ("revision", next.Revision),
                        ("at", ToDb(at)),
                        ("name", name));
                    await InsertAuditAsync(connection, transaction, Audit(who, PipelineUpdated, null, PipelineTarget(name), current.Definition, definition), cancellationToken);
                }

                await ExecuteAsync(
                    connection,
                    transaction,
                    "INSERT INTO pipeline_revisions (name, revision, definition, applied_at) VALUES (@name, @revision, @definition, @at)",
                    cancellationToken,
                    ("name", name),
                    ("revision", next.Revision),
                    ("definition", definition),
                    ("at", ToDb(at)));
                return Result<PipelineApplyResult>.Ok(new PipelineApplyResult(next, Created: next.Revision == 1, Changed: true));
            },
            cancellationToken);

        // An unchanged definition rolls the (empty) transaction back through the failure path and is reported as such.
        return outcome ?? result.Value ?? throw new StoreException(result.Failure!.Message);
    }

    /// <inheritdoc />
    public async Task<StoredPipeline?> GetPipelineAsync(string name, CancellationToken cancellationToken)
    {
        var found = await QueryAsync($"SELECT {PipelineColumns} FROM pipelines WHERE name = @name", ReadPipeline, cancellationToken, ("name", name));
        return found.Count == 0 ? null : found[0];
    }

    /// <inheritdoc />
    public async Task<StoredPipeline?> GetPipelineRevisionAsync(string name, long revision, CancellationToken cancellationToken)
    {
        var found = await QueryAsync(
            """
            SELECT r.name, r.definition, r.revision, p.created_at, r.applied_at
            FROM pipeline_revisions r JOIN pipelines p ON p.name = r.name
            WHERE r.name = @name AND r.revision = @revision
            """,
            ReadPipeline,
            cancellationToken,
            ("name", name),
            ("revision", revision));
        return found.Count == 0 ? null : found[0];
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<StoredPipeline>> ListPipelinesAsync(CancellationToken cancellationToken) =>
        await QueryAsync($"SELECT {PipelineColumns} FROM pipelines ORDER BY name", ReadPipeline, cancellationToken);

    /// <inheritdoc />
    public Task<TraceWriteResult> WriteTracesAsync(string pipeline, IReadOnlyList<StoredTrace> traces, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(traces);
        return InTransactionAsync(
            async (connection, transaction) =>
            {
                await using var command = Command(
                    connection,
                    transaction,
                    """
                    INSERT INTO pipeline_traces (pipeline, trace_id, at, stages)
                    VALUES (@pipeline, @trace_id, @at, @stages)
                    ON CONFLICT (pipeline, trace_id) DO NOTHING
                    """,
                    ("pipeline", pipeline),
                    ("trace_id", null),
                    ("at", null),
                    ("stages", null));
                var stored = 0;
                var duplicates = new List<string>();
                foreach (var trace in traces)
                {
                    Set(command, 1, trace.TraceId);
                    Set(command, 2, ToDb(Timestamps.Normalize(trace.At)));
                    Set(command, 3, trace.Stages);
                    if (await command.ExecuteNonQueryAsync(cancellationToken) == 1)
                    {
                        stored++;
                    }
                    else
                    {
                        duplicates.Add(trace.TraceId);
                    }
                }

                return new TraceWriteResult(stored, duplicates);
            },
            cancellationToken);
    }

    /// <inheritdoc />
    public Task<JudgmentWriteResult> WriteJudgmentsAsync(string pipeline, IReadOnlyList<StoredJudgment> judgments, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(judgments);
        return InTransactionAsync(
            async (connection, transaction) =>
            {
                await using var insert = Command(
                    connection,
                    transaction,
                    "INSERT INTO pipeline_judgments (pipeline, trace_id, received_at, judgment) VALUES (@pipeline, @trace_id, @received_at, @judgment)",
                    ("pipeline", pipeline),
                    ("trace_id", null),
                    ("received_at", null),
                    ("judgment", null));
                await using var exists = Command(
                    connection,
                    transaction,
                    "SELECT 1 FROM pipeline_traces WHERE pipeline = @pipeline AND trace_id = @trace_id",
                    ("pipeline", pipeline),
                    ("trace_id", null));
                var orphans = new List<string>();
                foreach (var judgment in judgments)
                {
                    Set(insert, 1, judgment.TraceId);
                    Set(insert, 2, ToDb(Timestamps.Normalize(judgment.ReceivedAt)));
                    Set(insert, 3, judgment.Judgment);
                    await insert.ExecuteNonQueryAsync(cancellationToken);
                    Set(exists, 1, judgment.TraceId);
                    if (await exists.ExecuteScalarAsync(cancellationToken) is null)
                    {
                        orphans.Add(judgment.TraceId);
                    }
                }

                return new JudgmentWriteResult(judgments.Count, orphans);
            },
            cancellationToken);
    }

    /// <inheritdoc />
    public async Task<long> CountOrphanJudgmentsAsync(string pipeline, CancellationToken cancellationToken)
    {
        var found = await QueryAsync(
            """
            SELECT COUNT(*) FROM pipeline_judgments j
            WHERE j.pipeline = @pipeline
              AND NOT EXISTS (SELECT 1 FROM pipeline_traces t WHERE t.pipeline = j.pipeline AND t.trace_id = j.trace_id)
            """,
            reader => reader.GetInt64(0),
            cancellationToken,
            ("pipeline", pipeline));
        return found[0];
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<StoredJudgedTrace> ReadJudgedTracesAsync(string pipeline, DateTimeOffset from, DateTimeOffset to, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await using var connection = await OpenConnectionAsync(cancellationToken);
        await using var command = Command(
            connection,
            null,
            """
            SELECT t.trace_id, t.at, t.stages, j.judgment
            FROM pipeline_traces t
            LEFT JOIN pipeline_judgments j ON j.pipeline = t.pipeline AND j.trace_id = t.trace_id
            WHERE t.pipeline = @pipeline AND t.at >= @from AND t.at < @to
            ORDER BY t.at, t.trace_id, j.id
            """,
            ("pipeline", pipeline),
            ("from", ToDb(Timestamps.Normalize(from))),
            ("to", ToDb(Timestamps.Normalize(to))));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        StoredJudgedTrace? current = null;
        List<string> judgments = [];
        while (await reader.ReadAsync(cancellationToken))
        {
            var traceId = reader.GetString(0);
            if (current is null || current.TraceId != traceId)
            {
                if (current is not null)
                {
                    yield return current;
                }

                judgments = [];
                current = new StoredJudgedTrace(traceId, ReadTime(reader, 1), reader.GetString(2), judgments);
            }

            if (!reader.IsDBNull(3))
            {
                judgments.Add(reader.GetString(3));
            }
        }

        if (current is not null)
        {
            yield return current;
        }
    }

    /// <inheritdoc />
    public async Task<StoredTrace?> GetTraceAsync(string pipeline, string traceId, CancellationToken cancellationToken)
    {
        var found = await QueryAsync(
            "SELECT trace_id, at, stages FROM pipeline_traces WHERE pipeline = @pipeline AND trace_id = @trace_id",
            reader => new StoredTrace(reader.GetString(0), ReadTime(reader, 1), reader.GetString(2)),
            cancellationToken,
            ("pipeline", pipeline),
            ("trace_id", traceId));
        return found.Count == 0 ? null : found[0];
    }

    /// <inheritdoc />
    public Task<bool> MergeTraceAsync(string pipeline, StoredTrace trace, Func<string, string, string> merge, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(trace);
        ArgumentNullException.ThrowIfNull(merge);
        var at = Timestamps.Normalize(trace.At);
        return InTransactionAsync(
            async (connection, transaction) =>
            {
                var inserted = await ExecuteAsync(
                    connection,
                    transaction,
                    """
                    INSERT INTO pipeline_traces (pipeline, trace_id, at, stages)
                    VALUES (@pipeline, @trace_id, @at, @stages)
                    ON CONFLICT (pipeline, trace_id) DO NOTHING
                    """,
                    cancellationToken,
                    ("pipeline", pipeline),
                    ("trace_id", trace.TraceId),
                    ("at", ToDb(at)),
                    ("stages", trace.Stages));
                if (inserted == 1)
                {
                    return true;
                }

                var found = await QueryAsync(
                    connection,
                    $"SELECT trace_id, at, stages FROM pipeline_traces WHERE pipeline = @pipeline AND trace_id = @trace_id{ForUpdate}",
                    reader => new StoredTrace(reader.GetString(0), ReadTime(reader, 1), reader.GetString(2)),
                    cancellationToken,
                    transaction,
                    ("pipeline", pipeline),
                    ("trace_id", trace.TraceId));
                var stored = found[0];
                await ExecuteAsync(
                    connection,
                    transaction,
                    "UPDATE pipeline_traces SET stages = @stages, at = @at WHERE pipeline = @pipeline AND trace_id = @trace_id",
                    cancellationToken,
                    ("stages", merge(stored.Stages, trace.Stages)),
                    ("at", ToDb(stored.At < at ? stored.At : at)),
                    ("pipeline", pipeline),
                    ("trace_id", trace.TraceId));
                return false;
            },
            cancellationToken);
    }

    private static string PipelineTarget(string name) => $"pipelines/{name}";

    private StoredPipeline ReadPipeline(DbDataReader reader) => new(
        reader.GetString(0),
        reader.GetString(1),
        reader.GetInt64(2),
        ReadTime(reader, 3),
        ReadTime(reader, 4));
}

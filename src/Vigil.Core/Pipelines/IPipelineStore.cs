using Vigil.Audit;

namespace Vigil.Pipelines;

/// <summary>Pipelines, their traces and judgments (docs/pipelines.md).</summary>
public interface IPipelineStore
{
    /// <summary>
    /// Creates the pipeline (revision 1, audit <c>pipeline.created</c>) or, when its definition differs from the current one,
    /// stores the next revision (audit <c>pipeline.updated</c> with before and after); an unchanged definition writes nothing.
    /// </summary>
    Task<PipelineApplyResult> ApplyPipelineAsync(string name, string definition, AuditContext who, CancellationToken cancellationToken);

    Task<StoredPipeline?> GetPipelineAsync(string name, CancellationToken cancellationToken);

    /// <summary>One revision of a pipeline; null when it has no such revision.</summary>
    Task<StoredPipeline?> GetPipelineRevisionAsync(string name, long revision, CancellationToken cancellationToken);

    /// <summary>Every pipeline at its current revision, by name.</summary>
    Task<IReadOnlyList<StoredPipeline>> ListPipelinesAsync(CancellationToken cancellationToken);

    /// <summary>Stores traces; a trace id already stored for the pipeline is skipped (the first copy is kept) and returned as a duplicate.</summary>
    Task<TraceWriteResult> WriteTracesAsync(string pipeline, IReadOnlyList<StoredTrace> traces, CancellationToken cancellationToken);

    /// <summary>Stores judgments, all of them; those whose trace is not stored are returned (orphans, joined later if the trace arrives).</summary>
    Task<JudgmentWriteResult> WriteJudgmentsAsync(string pipeline, IReadOnlyList<StoredJudgment> judgments, CancellationToken cancellationToken);

    /// <summary>Judgments of the pipeline whose trace id matches no stored trace.</summary>
    Task<long> CountOrphanJudgmentsAsync(string pipeline, CancellationToken cancellationToken);

    /// <summary>The pipeline's traces with <c>from &lt;= at &lt; to</c>, each with its judgments, streamed in time order.</summary>
    IAsyncEnumerable<StoredJudgedTrace> ReadJudgedTracesAsync(string pipeline, DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken);

    /// <summary>A stored trace, or null.</summary>
    Task<StoredTrace?> GetTraceAsync(string pipeline, string traceId, CancellationToken cancellationToken);

    /// <summary>
    /// Stores <paramref name="trace"/>, or, when its id is already stored, replaces the stored stages with
    /// <c>merge(stored stages, trace stages)</c> and keeps the earlier time, in one transaction (concurrent merges of one
    /// trace never lose each other's stages). OpenTelemetry spans of one trace arriving in several exports are joined this
    /// way. True when the trace was new.
    /// </summary>
    Task<bool> MergeTraceAsync(string pipeline, StoredTrace trace, Func<string, string, string> merge, CancellationToken cancellationToken);
}

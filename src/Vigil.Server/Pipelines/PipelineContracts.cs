using Vigil.Pipelines;

namespace Vigil.Server.Pipelines;

/// <summary>A pipeline as the API shows it.</summary>
public sealed record PipelineView(string Name, long Revision, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt, PipelineDefinition Definition, bool? Changed = null);

/// <summary><c>GET /v1/pipelines</c>.</summary>
public sealed record PipelineList(IReadOnlyList<PipelineView> Pipelines);

/// <summary><c>POST /v1/pipelines/{pipeline}/traces</c>: up to 1,000 traces.</summary>
public sealed record TraceBatch(IReadOnlyList<PipelineTrace> Traces);

/// <summary>
/// What a trace batch did: <paramref name="Stored"/> new traces; <paramref name="Duplicates"/> trace ids already stored
/// (skipped, the first copy is kept, so a retried batch is harmless); <paramref name="UnlinkedRequestIds"/> request ids of
/// stages that are Vigil services that match no stored prediction (yet).
/// </summary>
public sealed record TraceBatchResponse(int Stored, IReadOnlyList<string> Duplicates, IReadOnlyList<string> UnlinkedRequestIds);

/// <summary><c>POST /v1/pipelines/{pipeline}/judgments</c>: up to 1,000 judgments.</summary>
public sealed record JudgmentBatch(IReadOnlyList<PipelineJudgment> Judgments);

/// <summary>What a judgment batch did: all are stored; <paramref name="Orphans"/> of them name a trace not stored (yet), listed in <paramref name="OrphanTraceIds"/>. The pipeline's total of orphans is in its report (counting it per batch would cost a scan of every judgment).</summary>
public sealed record JudgmentBatchResponse(int Stored, int Orphans, IReadOnlyList<string> OrphanTraceIds);

/// <summary>A stage metric over a window: what a monitor reads (<c>GET /v1/pipelines/{p}/stages/{s}/metric</c>).</summary>
public sealed record StageMetricReading(
    string Pipeline,
    string Stage,
    string Metric,
    string Threshold,
    DateTimeOffset From,
    DateTimeOffset To,
    double? Value,
    StageStatus Status,
    long Judged,
    long Passed,
    long Failed,
    string? Source);

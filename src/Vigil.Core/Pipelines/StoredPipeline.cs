namespace Vigil.Pipelines;

/// <summary>A pipeline as the store keeps it: its definition (JSON of <see cref="PipelineDefinition"/>) at a revision.</summary>
/// <param name="Name">The pipeline's name.</param>
/// <param name="Definition">JSON of the definition, as applied.</param>
/// <param name="Revision">1 when created, +1 for every change.</param>
/// <param name="CreatedAt">When revision 1 was applied.</param>
/// <param name="UpdatedAt">When this revision was applied.</param>
public sealed record StoredPipeline(string Name, string Definition, long Revision, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt);

/// <summary>What a pipeline apply did: <see cref="Changed"/> is false when the definition was already the current one (nothing written, no audit event).</summary>
public sealed record PipelineApplyResult(StoredPipeline Pipeline, bool Created, bool Changed);

/// <summary>A trace as the store keeps it: <paramref name="Stages"/> is JSON of its stage outputs.</summary>
public sealed record StoredTrace(string TraceId, DateTimeOffset At, string Stages);

/// <summary>A judgment as the store keeps it: <paramref name="Judgment"/> is JSON of a <see cref="PipelineJudgment"/>.</summary>
public sealed record StoredJudgment(string TraceId, DateTimeOffset ReceivedAt, string Judgment);

/// <summary>What a trace batch did: stored, and the trace ids already stored (skipped: the first copy is kept).</summary>
public sealed record TraceWriteResult(int Stored, IReadOnlyList<string> Duplicates);

/// <summary>What a judgment batch did: stored, and those of them whose trace is not (yet) stored: orphans, kept and joined if the trace arrives.</summary>
public sealed record JudgmentWriteResult(int Stored, IReadOnlyList<string> OrphanTraceIds);

/// <summary>A stored trace with the JSON of each of its judgments, oldest first.</summary>
public sealed record StoredJudgedTrace(string TraceId, DateTimeOffset At, string Stages, IReadOnlyList<string> Judgments);

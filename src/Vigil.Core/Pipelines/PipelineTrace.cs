namespace Vigil.Pipelines;

/// <summary>The verdict of a validation stage.</summary>
public enum ValidationVerdict
{
    /// <summary>The output was let through.</summary>
    Pass,

    /// <summary>The output was stopped.</summary>
    Block,
}

/// <summary>One item of a retrieval or ranking stage's output: its id, score, and (optionally) its text, used as generation context.</summary>
public sealed record StageItem(string Id, double? Score = null, string? Content = null);

/// <summary>
/// What one stage produced for one request: <paramref name="Items"/> for retrieval and ranking (in served order),
/// <paramref name="Output"/> (and optionally <paramref name="Context"/>) for generation, <paramref name="Verdict"/> for
/// validation, <paramref name="Passed"/> for a custom stage. <paramref name="RequestId"/> links a stage that is a Vigil
/// service to its prediction.
/// </summary>
public sealed record StageOutput(
    string Stage,
    IReadOnlyList<StageItem>? Items = null,
    string? Output = null,
    IReadOnlyList<string>? Context = null,
    ValidationVerdict? Verdict = null,
    bool? Passed = null,
    string? RequestId = null);

/// <summary>One request through a pipeline: its trace id, when it happened (default: when received) and its stages in order.</summary>
public sealed record PipelineTrace(string TraceId, IReadOnlyList<StageOutput> Stages, DateTimeOffset? At = null);

/// <summary>The support judgment of one statement of a generated answer.</summary>
public sealed record StatementJudgment(string Text, bool Supported);

/// <summary>
/// Judgments of one trace, sent any time after it: relevance labels per item id (≥ 0; relevant when &gt; 0) with the size of
/// the whole relevant set when known, claim-level support of the generated answer, and a human's accept or reject of the
/// final output. Several judgments of one trace merge: later labels override earlier ones per item; the latest statements
/// and accept/reject win.
/// </summary>
public sealed record PipelineJudgment(
    string TraceId,
    IReadOnlyDictionary<string, double>? Relevance = null,
    int? RelevantTotal = null,
    IReadOnlyList<StatementJudgment>? Statements = null,
    bool? Accepted = null,
    string? Source = null,
    DateTimeOffset? At = null);

/// <summary>A stored trace with every judgment of it, oldest first, and the LLM judge's faithfulness of its answer when one was asked.</summary>
public sealed record JudgedTrace(PipelineTrace Trace, DateTimeOffset At, IReadOnlyList<PipelineJudgment> Judgments, double? LlmFaithfulness = null);

namespace Vigil.Pipelines;

/// <summary>
/// A pipeline as declared in YAML or sent to <c>/v1/pipelines</c> (docs/pipelines.md, "Declaring a pipeline"). Values
/// are kept as the user wrote them ("precision@5", "&gt;= 0.85", "7d") so that <see cref="PipelineValidator"/> can report
/// every mistake at once; <see cref="PipelineValidator.Compile"/> turns a valid definition into a <see cref="CompiledPipeline"/>.
/// </summary>
/// <param name="Name">Lower-case letters, digits, '-' and '_', at most 64 characters.</param>
/// <param name="Stages">The stages in request order.</param>
/// <param name="Description">Free text.</param>
/// <param name="Window">The default window of every stage's metric and of the report (default 7d).</param>
/// <param name="Success">The end-to-end success definition: <c>accepted</c> (default: a human accepted the final output) or <c>all-stages</c> (every judged stage met its per-request bar).</param>
/// <param name="Judge">The LLM judge of the generation stage's faithfulness, when one is configured.</param>
/// <param name="OtlpStageAttribute">The OpenTelemetry span attribute that names a span's stage directly, for spans the OpenInference kinds do not map (default <c>vigil.stage</c>).</param>
/// <param name="JudgmentWindow">How long judgments may take to arrive (the label delay): traces younger than this are not counted by stage metrics, alerts or the report, like a release's <c>outcome_window</c> (default 0: count at once).</param>
public sealed record PipelineDefinition(
    string Name,
    IReadOnlyList<PipelineStageDefinition> Stages,
    string? Description = null,
    string? Window = null,
    string? Success = null,
    JudgeDefinition? Judge = null,
    string? OtlpStageAttribute = null,
    string? JudgmentWindow = null);

/// <summary>
/// An LLM judge of faithfulness: any OpenAI-compatible chat completions endpoint (docs/pipelines.md, "LLM judge").
/// </summary>
/// <param name="Endpoint">The API's base address, such as <c>https://api.openai.com/v1</c> or <c>http://localhost:11434/v1</c>.</param>
/// <param name="Model">The model to ask.</param>
/// <param name="ApiKeyEnv">The environment variable of the server that holds the API key (the key itself is never stored).</param>
/// <param name="Samples">How many times each answer is judged; the mean is used and the agreement reported (default 3, at most 9).</param>
/// <param name="MaxCalls">The cost cap: at most this many judge calls per evaluation of a window; past it the stage falls back to the lexical estimate and says so (default 500).</param>
public sealed record JudgeDefinition(string Endpoint, string Model, string? ApiKeyEnv = null, int? Samples = null, int? MaxCalls = null);

/// <summary>One stage of a <see cref="PipelineDefinition"/>.</summary>
/// <param name="Name">Unique within the pipeline; traces name stages by it.</param>
/// <param name="Kind"><c>retrieval</c>, <c>ranking</c>, <c>generation</c>, <c>validation</c> or <c>custom</c>.</param>
/// <param name="Metric">The stage metric (see <see cref="StageMetric"/>): <c>precision@5</c>, <c>recall@10</c>, <c>hit_rate@5</c>, <c>mrr</c>, <c>ndcg@5</c>, <c>map@5</c>, <c>faithfulness</c>, <c>false_negative_rate</c>, <c>false_positive_rate</c>, <c>pass_rate</c>.</param>
/// <param name="Threshold">The bar of the window's value, with its direction: <c>"&gt;= 0.85"</c> or <c>"&lt;= 0.05"</c>.</param>
/// <param name="Window">This stage's window when it differs from the pipeline's.</param>
/// <param name="PerRequest">The bar one request must meet for the stage to count as succeeded for it (default: the threshold). Validation stages have none: a request succeeds there when the verdict agrees with the human.</param>
/// <param name="Service">The Vigil service this stage calls, when it is one: its trace records' request ids link to its predictions.</param>
/// <param name="For">How long the stage must stay below its threshold before its alert fires (default 0: at the first breached evaluation).</param>
/// <param name="KeepFiringFor">How long the alert keeps firing after the stage is back within its threshold (default 0).</param>
public sealed record PipelineStageDefinition(
    string Name,
    string Kind,
    string Metric,
    string Threshold,
    string? Window = null,
    string? PerRequest = null,
    string? Service = null,
    string? For = null,
    string? KeepFiringFor = null);

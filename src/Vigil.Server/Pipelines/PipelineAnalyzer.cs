using Vigil.Persistence;
using Vigil.Pipelines;

namespace Vigil.Server.Pipelines;

/// <summary>
/// Reads a pipeline's traces and judgments from the store and evaluates them: the attribution report, and
/// <see cref="GetStageMetricAsync"/>, the value of one stage's metric over a window, which is what a monitor on a stage reads.
/// </summary>
public sealed class PipelineAnalyzer(IVigilStore store, TimeProvider time, LlmJudge judge)
{
    /// <summary>The compiled current revision of a pipeline; NotFound when there is none.</summary>
    public async Task<Result<CompiledPipeline>> LoadAsync(string pipeline, CancellationToken cancellationToken)
    {
        var stored = await store.GetPipelineAsync(pipeline, cancellationToken);
        if (stored is null)
        {
            return UnknownPipeline(pipeline);
        }

        var definition = VigilJson.Deserialize<PipelineDefinition>(stored.Definition)
            ?? throw new InvalidOperationException($"the stored definition of pipeline '{pipeline}' is JSON null");
        return PipelineValidator.Compile(definition);
    }

    /// <summary>
    /// The value of <paramref name="stage"/>'s metric over <c>[from, to)</c> with its status against the threshold. This is
    /// the query the stage monitor evaluates each tick (docs/pipelines.md, "Stage alerts").
    /// </summary>
    public async Task<Result<StageMetricReading>> GetStageMetricAsync(string pipeline, string stage, DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken)
    {
        var loaded = await LoadAsync(pipeline, cancellationToken);
        if (!loaded.IsSuccess)
        {
            return loaded.Failure!;
        }

        var compiled = loaded.Value!;
        var index = compiled.Stages.ToList().FindIndex(s => s.Name == stage);
        if (index < 0)
        {
            return Failure.NotFound($"pipeline '{pipeline}' has no stage '{stage}' (its stages: {string.Join(", ", compiled.Stages.Select(s => s.Name))})");
        }

        var (evaluator, _) = await EvaluateAsync(compiled, from, to, cancellationToken);
        var value = evaluator.Stage(index);
        var definition = compiled.Stages[index];
        return Result<StageMetricReading>.Ok(new StageMetricReading(
            pipeline,
            stage,
            definition.Metric.ToString(),
            definition.Threshold.ToString(),
            from,
            to,
            value.Value,
            value.Value is { } v ? (definition.Threshold.IsMet(v) ? StageStatus.Ok : StageStatus.Breached) : StageStatus.NoData,
            value.Judged,
            value.Passed,
            value.Failed,
            PipelineReportBuilder.SourceLabel(value.Sources)));
    }

    /// <summary>The report over <c>[end - window, end)</c> (end defaults to now, window to the pipeline's), against the window before it when <paramref name="againstPrevious"/>.</summary>
    public async Task<Result<PipelineReport>> ReportAsync(string pipeline, TimeSpan? window, bool againstPrevious, DateTimeOffset? end, CancellationToken cancellationToken)
    {
        var loaded = await LoadAsync(pipeline, cancellationToken);
        if (!loaded.IsSuccess)
        {
            return loaded.Failure!;
        }

        var compiled = loaded.Value!;
        var to = end ?? time.GetUtcNow();
        var length = window ?? compiled.Window;
        var from = to - length;
        var (current, judgeReport) = await EvaluateAsync(compiled, from, to, cancellationToken);
        PipelineEvaluator? reference = null;
        (DateTimeOffset, DateTimeOffset)? referenceWindow = null;
        if (againstPrevious)
        {
            referenceWindow = (from - length, from);
            (reference, _) = await EvaluateAsync(compiled, from - length, from, cancellationToken);
        }

        var orphans = await store.CountOrphanJudgmentsAsync(pipeline, cancellationToken);
        return Result<PipelineReport>.Ok(PipelineReportBuilder.Build(compiled, (from, to), current, referenceWindow, reference, orphans) with { Judge = judgeReport });
    }

    /// <summary>
    /// Evaluates the window's traces. With an LLM judge configured, a generation answer without claim judgments is judged by
    /// it (within the session's cost cap) before it falls back to the lexical estimate.
    /// </summary>
    private async Task<(PipelineEvaluator Evaluator, JudgeReport? Judge)> EvaluateAsync(CompiledPipeline pipeline, DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken)
    {
        var evaluator = new PipelineEvaluator(pipeline);
        var generation = pipeline.Stages.FirstOrDefault(s => s.Metric.Kind == StageMetricKind.Faithfulness);
        var session = pipeline.Judge is { } definition && generation is not null ? judge.Start(definition) : null;

        // Judgments arrive late: only traces older than the judgment window count (docs/pipelines.md, "Judgment maturity").
        var mature = pipeline.MatureBefore(time.GetUtcNow());
        await foreach (var row in store.ReadJudgedTracesAsync(pipeline.Name, from, to < mature ? to : mature, cancellationToken))
        {
            var stages = VigilJson.Deserialize<List<StageOutput>>(row.Stages) ?? [];
            var judgments = row.Judgments.Select(j => VigilJson.Deserialize<PipelineJudgment>(j)!).ToList();
            var trace = new PipelineTrace(row.TraceId, stages, row.At);
            double? llm = null;
            if (session is not null
                && stages.FirstOrDefault(s => s.Stage == generation!.Name) is { Output: { } answer } output
                && !judgments.Any(j => j.Statements is { Count: > 0 }))
            {
                llm = await session.JudgeAsync(answer, [.. PipelineEvaluator.ContextOf(trace, output)], generation!.PerRequest!.Value, cancellationToken);
            }

            evaluator.Add(new JudgedTrace(trace, row.At, judgments, llm));
        }

        return (evaluator, session?.Report());
    }

    internal static Failure UnknownPipeline(string pipeline) =>
        Failure.NotFound($"there is no pipeline '{pipeline}'; declare it with 'vigil pipelines apply -f pipeline.yaml' (POST /v1/pipelines)");
}

using Vigil.Pipelines;

namespace Vigil.Core.Tests.Pipelines;

/// <summary>Attribution on constructed pipelines where the failing stage is known.</summary>
public sealed class AttributionTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 1, 0, 0, 0, TimeSpan.Zero);

    public static CompiledPipeline Qa() => PipelineValidator.Compile(new PipelineDefinition(
        "qa",
        [
            new("retrieval", "retrieval", "precision@2", ">= 0.5"),
            new("ranking", "ranking", "ndcg@2", ">= 0.9"),
            new("generation", "generation", "faithfulness", ">= 0.9"),
            new("validation", "validation", "false_negative_rate", "<= 0.05"),
        ])).Unwrap();

    /// <summary>A request: retrieval finds d1 (relevant) and d2; ranking puts the relevant one first or last; generation is faithful or not.</summary>
    private static JudgedTrace Request(int i, bool goodRanking, bool faithful, bool accepted, ValidationVerdict verdict = ValidationVerdict.Pass)
    {
        var trace = new PipelineTrace(
            $"t{i}",
            [
                new("retrieval", Items: [new("d1", 0.9), new("d2", 0.8)]),
                new("ranking", Items: goodRanking ? [new("d1", 0.9), new("d2", 0.1)] : [new("d2", 0.9), new("d1", 0.1)]),
                new("generation", Output: "answer"),
                new("validation", Verdict: verdict),
            ]);
        var judgment = new PipelineJudgment(
            $"t{i}",
            Relevance: new Dictionary<string, double> { ["d1"] = 2, ["d2"] = 0 },
            Statements: faithful ? [new("a", true)] : [new("a", true), new("b", false)],
            Accepted: accepted);
        return new JudgedTrace(trace, T0.AddMinutes(i), [judgment]);
    }

    [Fact]
    public void Report_RankingDegrades_BlamesRankingFirstEvenThoughGenerationAlsoFails()
    {
        var pipeline = Qa();
        var evaluator = new PipelineEvaluator(pipeline);
        for (var i = 0; i < 100; i++)
        {
            // 30 requests badly ranked: generation then is unfaithful and the answer rejected.
            // 10 well ranked but unfaithful anyway (generation's own fault), also rejected. 60 fine.
            var badRanking = i < 30;
            var unfaithful = i < 40;
            evaluator.Add(Request(i, goodRanking: !badRanking, faithful: !unfaithful, accepted: !unfaithful));
        }

        var report = PipelineReportBuilder.Build(pipeline, (T0, T0.AddDays(7)), evaluator, null, null, orphanJudgments: 0);

        Assert.Equal(0.6, report.EndToEnd.SuccessRate);
        Assert.Equal("ranking", report.FocusStage);
        Assert.Equal(new BlameShare("ranking", 30, 0.75), report.Blame[0]);
        Assert.Equal(new BlameShare("generation", 10, 0.25), report.Blame[1]);
        var retrieval = report.Stages[0];
        Assert.Equal(StageStatus.Ok, retrieval.Status);
        Assert.Equal(0.5, retrieval.Value);
        var ranking = report.Stages[1];
        Assert.Equal(StageStatus.Breached, ranking.Status);
        Assert.Equal(0.7 + (0.3 * (1 / Math.Log2(3))), ranking.Value!.Value, 12);
        Assert.Equal(0.0, ranking.Conditional.SuccessWhenFailed);
        Assert.Equal(60.0 / 70, ranking.Conditional.SuccessWhenPassed!.Value, 12);
        var generation = report.Stages[2];
        Assert.Equal("judgments", generation.SourceLabel);
        Assert.Equal(StageStatus.Breached, generation.Status);
        var validation = report.Stages[3];
        Assert.Equal(1.0, validation.Value); // it passed all 40 rejected answers
        Assert.StartsWith("Look at ranking first: 75% of the week's end-to-end failures start at ranking (30 of 40)", report.Headline);
    }

    [Fact]
    public void Report_ValidatorLetsRejectedOutputsThrough_IsBlamedWhenEarlierStagesAreFine()
    {
        var pipeline = Qa();
        var evaluator = new PipelineEvaluator(pipeline);
        for (var i = 0; i < 20; i++)
        {
            // All stages fine; humans reject 5 that the validator passed.
            evaluator.Add(Request(i, goodRanking: true, faithful: true, accepted: i >= 5, verdict: ValidationVerdict.Pass));
        }

        var report = PipelineReportBuilder.Build(pipeline, (T0, T0.AddDays(1)), evaluator, null, null, 0);

        Assert.Equal("validation", report.FocusStage);
        Assert.Equal(new BlameShare("validation", 5, 1.0), Assert.Single(report.Blame));
        Assert.Equal(1.0, report.Stages[3].Value);
        Assert.Equal(StageStatus.Breached, report.Stages[3].Status);
    }

    [Fact]
    public void Report_NoJudgments_IsPendingNotFailure()
    {
        var pipeline = Qa();
        var evaluator = new PipelineEvaluator(pipeline);
        var trace = Request(1, true, true, true).Trace;
        evaluator.Add(new JudgedTrace(trace, T0, []));

        var report = PipelineReportBuilder.Build(pipeline, (T0, T0.AddDays(1)), evaluator, null, null, 3);

        Assert.Equal(1, report.EndToEnd.Pending);
        Assert.Null(report.EndToEnd.SuccessRate);
        Assert.Equal(StageStatus.NoData, report.Stages[0].Status);
        Assert.Equal(3, report.OrphanJudgments);
        // Generation falls back to the lexical estimate without claim judgments (no context here: "answer" unsupported).
        Assert.Equal("lexical-estimate", report.Stages[2].SourceLabel);
    }

    [Fact]
    public void Validator_ReportsEveryErrorAtOnce()
    {
        var errors = PipelineValidator.Validate(new PipelineDefinition(
            "Bad Name",
            [
                new("retrieval", "retreival", "precision", ">= 1.5"),
                new("retrieval", "generation", "ndcg@5", "0.9", Window: "soon"),
                new("validation", "validation", "false_negative_rate", "<= 0.05", PerRequest: ">= 0.5"),
            ],
            Success: "maybe"));

        Assert.Contains(errors, e => e.StartsWith("name:", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("success:", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("stages[0].kind: 'retreival'", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("stages[0].metric: 'precision' needs a cut-off K", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("stages[0].threshold: 1.5 is outside 0–1", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("stages[1].name: 'retrieval' is used by an earlier stage", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("stages[1].metric: ndcg@5 does not measure a generation stage", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("stages[1].threshold:", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("stages[1].window:", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("stages[2].per_request:", StringComparison.Ordinal));
        Assert.Equal(10, errors.Count);
    }

    [Fact]
    public void TraceValidator_StagesOutOfOrderOrUnknown_ListsEveryError()
    {
        var errors = PipelineInputValidator.ValidateTraces(Qa(), [
            new PipelineTrace("t1", [new("ranking", Items: []), new("retrieval", Items: []), new("rerank", Items: [])]),
            new PipelineTrace("t1", [new("generation")]),
        ]);

        Assert.Contains(errors, e => e.StartsWith("traces[0].stages[1].stage: 'retrieval' comes after 'ranking'", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("traces[0].stages[2].stage: 'rerank' is not a stage of pipeline 'qa'", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("traces[1].trace_id: 't1' appears twice in this batch", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("traces[1].stages[0].output:", StringComparison.Ordinal));
        Assert.Equal(4, errors.Count);
    }
}

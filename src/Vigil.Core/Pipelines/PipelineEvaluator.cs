namespace Vigil.Pipelines;

/// <summary>How one request fared at one stage: the per-request value of its metric (for validation rates, 1 when the verdict agreed with the human) and whether it met the per-request bar.</summary>
public sealed record StageRequestResult(double Value, bool Passed, string? Source = null, bool? FalseNegative = null, bool? FalsePositive = null, bool? HumanAccepted = null);

/// <summary>The labels of sources of faithfulness values.</summary>
public static class FaithfulnessSources
{
    /// <summary>Claim-level judgments sent to the judgments endpoint (by people or their own judge).</summary>
    public const string Judgments = "judgments";

    /// <summary>Vigil's LLM judge.</summary>
    public const string LlmJudge = "llm-judge";

    /// <summary>The built-in deterministic lexical groundedness estimate.</summary>
    public const string LexicalEstimate = "lexical-estimate";
}

/// <summary>A stage's metric over one window.</summary>
/// <param name="Value">The window's value, null when no request was judged.</param>
/// <param name="Judged">Requests that contributed.</param>
/// <param name="Passed">Requests that met the per-request bar.</param>
/// <param name="Failed">Requests that did not.</param>
/// <param name="Sources">Faithfulness only: how many values came from each source.</param>
public sealed record StageWindowValue(double? Value, long Judged, long Passed, long Failed, IReadOnlyDictionary<string, long> Sources);

/// <summary>
/// Evaluates traces of a pipeline (docs/pipelines.md, "Attribution"): per stage and request, the stage's metric and
/// whether it met its per-request bar; per request, end-to-end success; over a window, each stage's value, the end-to-end
/// success rate, per-request blame and the conditional view. Traces stream through accumulators: memory does not grow
/// with their number.
/// </summary>
public sealed class PipelineEvaluator
{
    /// <summary>The blame bucket of an end-to-end failure where every judged stage met its bar.</summary>
    public const string Unattributed = "unattributed";

    private readonly CompiledPipeline _pipeline;
    private readonly StageAccumulator[] _stages;
    private readonly Dictionary<string, long> _blame = new(StringComparer.Ordinal);

    public PipelineEvaluator(CompiledPipeline pipeline)
    {
        _pipeline = pipeline ?? throw new ArgumentNullException(nameof(pipeline));
        _stages = [.. pipeline.Stages.Select(_ => new StageAccumulator())];
    }

    public long Traces { get; private set; }

    public long Successes { get; private set; }

    public long Failures { get; private set; }

    /// <summary>Traces whose end-to-end result is not known yet (no human verdict, or a stage not judged): pending, never failures.</summary>
    public long Pending => Traces - Successes - Failures;

    /// <summary>Adds one trace with its judgments.</summary>
    public void Add(JudgedTrace judged)
    {
        ArgumentNullException.ThrowIfNull(judged);
        Traces++;
        var merged = MergedJudgment.Of(judged.Judgments) with { LlmFaithfulness = judged.LlmFaithfulness };
        var results = new StageRequestResult?[_stages.Length];
        for (var i = 0; i < _stages.Length; i++)
        {
            results[i] = EvaluateStage(_pipeline.Stages[i], judged.Trace, merged);
            _stages[i].Add(results[i]);
        }

        bool? success = _pipeline.Success switch
        {
            EndToEndSuccess.Accepted => merged.Accepted,
            _ => results.Any(r => r is null) ? null : results.All(r => r!.Passed),
        };
        if (success is null)
        {
            return;
        }

        if (success.Value)
        {
            Successes++;
        }
        else
        {
            Failures++;
            var first = Array.FindIndex(results, r => r is { Passed: false });
            var stage = first < 0 ? Unattributed : _pipeline.Stages[first].Name;
            _blame[stage] = _blame.GetValueOrDefault(stage) + 1;
        }

        for (var i = 0; i < _stages.Length; i++)
        {
            if (results[i] is { } r)
            {
                _stages[i].AddConditional(r.Passed, success.Value);
            }
        }
    }

    public double? SuccessRate => Successes + Failures == 0 ? null : Successes / (double)(Successes + Failures);

    /// <summary>The window value of stage <paramref name="index"/>.</summary>
    public StageWindowValue Stage(int index) => _stages[index].Value(_pipeline.Stages[index]);

    /// <summary>End-to-end failures by the first stage (in order) that failed its per-request bar, largest first.</summary>
    public IReadOnlyList<KeyValuePair<string, long>> Blame =>
        [.. _blame.OrderByDescending(b => b.Value).ThenBy(b => b.Key == Unattributed ? int.MaxValue : _pipeline.Stages.ToList().FindIndex(s => s.Name == b.Key))];

    /// <summary>The conditional view of stage <paramref name="index"/>: end-to-end successes and known results when the stage passed, and when it failed.</summary>
    public (long SuccessWhenPassed, long Passed, long SuccessWhenFailed, long Failed) Conditional(int index) => _stages[index].ConditionalCounts;

    /// <summary>One stage's result for one request, or null when it cannot be judged yet (no output, no labels, no verdict).</summary>
    public static StageRequestResult? EvaluateStage(CompiledStage stage, PipelineTrace trace, MergedJudgment judgment)
    {
        ArgumentNullException.ThrowIfNull(stage);
        ArgumentNullException.ThrowIfNull(trace);
        ArgumentNullException.ThrowIfNull(judgment);
        var output = trace.Stages.FirstOrDefault(o => o.Stage == stage.Name);
        if (output is null)
        {
            return null;
        }

        if (stage.Metric.IsRanked)
        {
            if (output.Items is null || judgment.Relevance.Count == 0)
            {
                return null;
            }

            var relevance = output.Items.Select(i => judgment.Relevance.GetValueOrDefault(i.Id)).ToArray();
            double[]? scores = output.Items.Count > 0 && output.Items.All(i => i.Score is not null) ? [.. output.Items.Select(i => i.Score!.Value)] : null;
            var k = stage.Metric.K;
            double? value = stage.Metric.Kind switch
            {
                StageMetricKind.PrecisionAtK => RankingMetrics.PrecisionAtK(relevance, scores, k),
                StageMetricKind.RecallAtK => judgment.RelevantTotal is { } total ? RankingMetrics.RecallAtK(relevance, scores, k, total) : null,
                StageMetricKind.HitRateAtK => RankingMetrics.HitRateAtK(relevance, scores, k),
                StageMetricKind.Mrr => RankingMetrics.ReciprocalRank(relevance, scores),
                StageMetricKind.NdcgAtK => RankingMetrics.NdcgAtK(relevance, scores, k),
                _ => RankingMetrics.AveragePrecisionAtK(relevance, scores, k, judgment.RelevantTotal),
            };
            return value is { } v ? new StageRequestResult(v, stage.PerRequest!.Value.IsMet(v)) : null;
        }

        switch (stage.Metric.Kind)
        {
            case StageMetricKind.Faithfulness:
                if (judgment.Statements is { Count: > 0 } statements)
                {
                    var f = statements.Count(s => s.Supported) / (double)statements.Count;
                    return new StageRequestResult(f, stage.PerRequest!.Value.IsMet(f), FaithfulnessSources.Judgments);
                }

                if (judgment.LlmFaithfulness is { } llm)
                {
                    return new StageRequestResult(llm, stage.PerRequest!.Value.IsMet(llm), FaithfulnessSources.LlmJudge);
                }

                if (output.Output is null || GenerationMetrics.LexicalGroundedness(output.Output, ContextOf(trace, output)) is not { } estimate)
                {
                    return null;
                }

                return new StageRequestResult(estimate.Value, stage.PerRequest!.Value.IsMet(estimate.Value), FaithfulnessSources.LexicalEstimate);
            case StageMetricKind.FalseNegativeRate or StageMetricKind.FalsePositiveRate:
                if (output.Verdict is not { } verdict || judgment.Accepted is not { } accepted)
                {
                    return null;
                }

                var agrees = (verdict == ValidationVerdict.Pass) == accepted;
                return new StageRequestResult(
                    agrees ? 1 : 0,
                    agrees,
                    FalseNegative: verdict == ValidationVerdict.Pass && !accepted,
                    FalsePositive: verdict == ValidationVerdict.Block && accepted,
                    HumanAccepted: accepted);
            default:
                if (output.Passed is not { } passed)
                {
                    return null;
                }

                return new StageRequestResult(passed ? 1 : 0, stage.PerRequest!.Value.IsMet(passed ? 1 : 0));
        }
    }

    /// <summary>The context a generation stage used: its own <c>context</c>, else the contents of the nearest earlier ranked stage's items.</summary>
    public static IEnumerable<string> ContextOf(PipelineTrace trace, StageOutput output)
    {
        if (output.Context is { } context)
        {
            return context;
        }

        var index = trace.Stages.ToList().IndexOf(output);
        for (var i = index - 1; i >= 0; i--)
        {
            if (trace.Stages[i].Items is { } items && items.Any(x => x.Content is not null))
            {
                return items.Where(x => x.Content is not null).Select(x => x.Content!);
            }
        }

        return [];
    }

    private sealed class StageAccumulator
    {
        private readonly Dictionary<string, long> _sources = new(StringComparer.Ordinal);
        private double _sum;
        private long _judged;
        private long _passed;
        private long _failed;
        private long _falseNegatives;
        private long _rejected;
        private long _falsePositives;
        private long _accepted;
        private long _successWhenPassed;
        private long _knownWhenPassed;
        private long _successWhenFailed;
        private long _knownWhenFailed;

        public (long, long, long, long) ConditionalCounts => (_successWhenPassed, _knownWhenPassed, _successWhenFailed, _knownWhenFailed);

        public void Add(StageRequestResult? result)
        {
            if (result is null)
            {
                return;
            }

            _judged++;
            _sum += result.Value;
            if (result.Passed)
            {
                _passed++;
            }
            else
            {
                _failed++;
            }

            if (result.Source is { } source)
            {
                _sources[source] = _sources.GetValueOrDefault(source) + 1;
            }

            if (result.HumanAccepted is { } accepted)
            {
                if (accepted)
                {
                    _accepted++;
                    _falsePositives += result.FalsePositive == true ? 1 : 0;
                }
                else
                {
                    _rejected++;
                    _falseNegatives += result.FalseNegative == true ? 1 : 0;
                }
            }
        }

        public void AddConditional(bool passed, bool success)
        {
            if (passed)
            {
                _knownWhenPassed++;
                _successWhenPassed += success ? 1 : 0;
            }
            else
            {
                _knownWhenFailed++;
                _successWhenFailed += success ? 1 : 0;
            }
        }

        public StageWindowValue Value(CompiledStage stage)
        {
            double? value = stage.Metric.Kind switch
            {
                StageMetricKind.FalseNegativeRate => ValidationMetrics.FalseNegativeRate((int)_falseNegatives, (int)_rejected),
                StageMetricKind.FalsePositiveRate => ValidationMetrics.FalsePositiveRate((int)_falsePositives, (int)_accepted),
                _ => _judged == 0 ? null : _sum / _judged,
            };
            return new StageWindowValue(value, _judged, _passed, _failed, new Dictionary<string, long>(_sources, StringComparer.Ordinal));
        }
    }
}

/// <summary>Every judgment of one trace merged: later relevance labels override earlier ones per item; the latest statements and accept/reject win.</summary>
public sealed record MergedJudgment(IReadOnlyDictionary<string, double> Relevance, int? RelevantTotal, IReadOnlyList<StatementJudgment>? Statements, string? StatementsSource, bool? Accepted, double? LlmFaithfulness = null)
{
    public static readonly MergedJudgment None = new(new Dictionary<string, double>(), null, null, null, null);

    public static MergedJudgment Of(IReadOnlyList<PipelineJudgment> judgments)
    {
        ArgumentNullException.ThrowIfNull(judgments);
        if (judgments.Count == 0)
        {
            return None;
        }

        var relevance = new Dictionary<string, double>(StringComparer.Ordinal);
        int? relevantTotal = null;
        IReadOnlyList<StatementJudgment>? statements = null;
        string? source = null;
        bool? accepted = null;
        foreach (var j in judgments)
        {
            if (j.Relevance is { } labels)
            {
                foreach (var (id, grade) in labels)
                {
                    relevance[id] = grade;
                }
            }

            relevantTotal = j.RelevantTotal ?? relevantTotal;
            if (j.Statements is { Count: > 0 })
            {
                statements = j.Statements;
                source = j.Source;
            }

            accepted = j.Accepted ?? accepted;
        }

        return new MergedJudgment(relevance, relevantTotal, statements, source, accepted);
    }
}

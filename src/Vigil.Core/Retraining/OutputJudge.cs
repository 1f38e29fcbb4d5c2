using Vigil.Registry;

namespace Vigil.Retraining;

/// <summary>
/// The gate for class and score outputs (docs/retraining.md, "Evaluation of class and score outputs"): the primary metric
/// (class: macro-F1 unless the gate names accuracy; score: RMSE unless it names MAE or Spearman) must be strictly better
/// than the champion's overall, and no gated segment (at least <see cref="EvaluationGate.MinSegmentRows"/> rows) may be
/// worse than the champion's by more than <see cref="EvaluationGate.MaxSegmentAucDrop"/> — absolute for shares
/// (accuracy, macro-F1, Spearman), relative for errors (MAE, RMSE: at most champion × (1 + the limit)).
/// </summary>
public static class OutputJudge
{
    /// <summary>The primary metric used for <paramref name="kind"/> given the gate's.</summary>
    public static string PrimaryMetric(EvaluationGate gate, OutputKind kind)
    {
        ArgumentNullException.ThrowIfNull(gate);
        return kind switch
        {
            OutputKind.Class => gate.PrimaryMetric is "accuracy" ? "accuracy" : "macro_f1",
            OutputKind.Score => gate.PrimaryMetric is "mae" or "spearman" ? gate.PrimaryMetric : "rmse",
            _ => gate.PrimaryMetric,
        };
    }

    public static (string Decision, List<string> Reasons, SliceComparison Overall, List<SliceComparison> Segments) Judge(
        EvaluationGate gate, OutputKind kind, SliceComparison overall, IReadOnlyList<SliceComparison> segments)
    {
        ArgumentNullException.ThrowIfNull(gate);
        ArgumentNullException.ThrowIfNull(overall);
        ArgumentNullException.ThrowIfNull(segments);
        var reasons = new List<string>();
        if (overall.Rows < gate.MinRows)
        {
            reasons.Add($"{overall.Rows} labelled holdout rows; at least {gate.MinRows} are needed to decide");
            return (EvaluationReport.Inconclusive, reasons, overall with { Gated = false, Passed = false }, [.. segments]);
        }

        var metric = PrimaryMetric(gate, kind);
        var lower = ModelMetrics.LowerIsBetter(metric);
        var candidate = overall.Candidate.Get(metric);
        var champion = overall.Champion.Get(metric);
        var better = lower ? candidate < champion : candidate > champion;
        reasons.Add($"primary metric {metric} {candidate:0.0000} vs champion {champion:0.0000}: " + (better ? "better" : "not better"));
        var passed = better;

        var judged = new List<SliceComparison>();
        foreach (var segment in segments)
        {
            var gated = segment.Rows >= gate.MinSegmentRows;
            var c = segment.Candidate.Get(metric);
            var ch = segment.Champion.Get(metric);
            var ok = !gated || (lower ? c <= (ch * (1 + gate.MaxSegmentAucDrop)) + 1e-12 : ch - c <= gate.MaxSegmentAucDrop + 1e-12);
            if (!ok)
            {
                reasons.Add($"segment {segment.Name}: {metric} {c:0.0000} vs champion {ch:0.0000}, worse by more than " + (lower ? $"{gate.MaxSegmentAucDrop:P1}" : $"{gate.MaxSegmentAucDrop}"));
            }

            passed &= ok;
            judged.Add(segment with { Gated = gated, Passed = ok });
        }

        return (passed ? EvaluationReport.Passed : EvaluationReport.Failed, reasons, overall with { Gated = true, Passed = better }, judged);
    }
}

namespace Vigil.Retraining;

/// <summary>
/// One model's metrics on a set of rows, with 95% intervals (AUC: percentile bootstrap; accuracy: Wilson). Probability
/// outputs fill AUC, accuracy and log loss; class outputs accuracy and <see cref="MacroF1"/> (AUC and log loss -1); score
/// outputs <see cref="Mae"/>, <see cref="Rmse"/> and <see cref="Spearman"/> (the others -1).
/// </summary>
public sealed record ModelMetrics(
    double Auc,
    double AucLow,
    double AucHigh,
    double Accuracy,
    double AccuracyLow,
    double AccuracyHigh,
    double LogLoss,
    double? MacroF1 = null,
    double? Mae = null,
    double? Rmse = null,
    double? Spearman = null)
{
    /// <summary>Metrics where lower is better.</summary>
    public static bool LowerIsBetter(string name) => name is "log_loss" or "mae" or "rmse";

    /// <summary>A classifier's predicted class names against the true ones (docs/retraining.md, "Evaluation of class and score outputs").</summary>
    public static ModelMetrics ForClasses(IReadOnlyList<string> actual, IReadOnlyList<string> predicted)
    {
        var accuracy = ClassMetrics.Accuracy(actual, predicted);
        var (low, high) = BinaryMetrics.Wilson((int)Math.Round(accuracy * actual.Count), actual.Count);
        return new ModelMetrics(-1, -1, -1, Clean(accuracy), Clean(low), Clean(high), -1, MacroF1: Clean(ClassMetrics.MacroF1(actual, predicted)));
    }

    /// <summary>Real-valued predictions against the true values.</summary>
    public static ModelMetrics ForScores(IReadOnlyList<double> actual, IReadOnlyList<double> predicted) =>
        new(-1, -1, -1, -1, -1, -1, -1,
            Mae: Clean(ScoreMetrics.Mae(actual, predicted)), Rmse: Clean(ScoreMetrics.Rmse(actual, predicted)), Spearman: Clean(ScoreMetrics.Spearman(actual, predicted)));

    public static ModelMetrics Compute(IReadOnlyList<double> probabilities, IReadOnlyList<bool> labels)
    {
        var auc = BinaryMetrics.Auc(probabilities, labels);
        var (aucLow, aucHigh) = BinaryMetrics.AucInterval(probabilities, labels);
        var accuracy = BinaryMetrics.Accuracy(probabilities, labels);
        var correct = (int)Math.Round(accuracy * probabilities.Count);
        var (accLow, accHigh) = BinaryMetrics.Wilson(correct, probabilities.Count);
        return new ModelMetrics(Clean(auc), Clean(aucLow), Clean(aucHigh), Clean(accuracy), Clean(accLow), Clean(accHigh), Clean(BinaryMetrics.LogLoss(probabilities, labels)));
    }

    /// <summary>The metric called <paramref name="name"/>.</summary>
    public double Get(string name) => name switch
    {
        "accuracy" => Accuracy,
        "log_loss" => LogLoss,
        "macro_f1" => MacroF1 ?? -1,
        "mae" => Mae ?? -1,
        "rmse" => Rmse ?? -1,
        "spearman" => Spearman ?? -1,
        _ => Auc,
    };

    /// <summary>NaN (undefined, e.g. AUC of a single class) is stored as -1 so that the report is valid JSON.</summary>
    private static double Clean(double value) => double.IsFinite(value) ? Math.Round(value, 6) : -1;
}

/// <summary>Candidate and champion on one slice of the holdout (the whole of it, or one segment).</summary>
/// <param name="Name"><c>overall</c>, <c>golden</c> or <c>attribute=value</c>.</param>
/// <param name="Rows">Rows in the slice.</param>
/// <param name="Positives">Positive labels in the slice.</param>
/// <param name="Candidate">The candidate's metrics.</param>
/// <param name="Champion">The champion's metrics.</param>
/// <param name="Gated">Whether the gate applies to this slice (enough rows of both classes).</param>
/// <param name="Passed">Whether the slice passes its gate rule (true when not gated).</param>
public sealed record SliceComparison(string Name, int Rows, int Positives, ModelMetrics Candidate, ModelMetrics Champion, bool Gated, bool Passed);

/// <summary>The stored result of evaluating a new version against the champion.</summary>
/// <param name="Service">The service.</param>
/// <param name="Version">The candidate.</param>
/// <param name="Champion">The champion it was compared with.</param>
/// <param name="Decision"><c>passed</c>, <c>failed</c> or <c>inconclusive</c> (too few rows; not released).</param>
/// <param name="Reasons">Why, one line per rule.</param>
/// <param name="Overall">The whole holdout.</param>
/// <param name="Segments">Per segment.</param>
/// <param name="HoldoutRows">Rows replayed.</param>
/// <param name="HoldoutFrom">Oldest request replayed.</param>
/// <param name="HoldoutTo">Newest request replayed.</param>
/// <param name="EvaluatedAt">When.</param>
/// <param name="Golden">Both models on the policy's fixed golden set, when it has one.</param>
public sealed record EvaluationReport(
    string Service,
    int Version,
    int? Champion,
    string Decision,
    IReadOnlyList<string> Reasons,
    SliceComparison? Overall,
    IReadOnlyList<SliceComparison> Segments,
    int HoldoutRows,
    DateTimeOffset? HoldoutFrom,
    DateTimeOffset? HoldoutTo,
    DateTimeOffset EvaluatedAt,
    SliceComparison? Golden = null)
{
    public const string Passed = "passed";
    public const string Failed = "failed";
    public const string Inconclusive = "inconclusive";

    public bool IsPassed => Decision == Passed;
}

/// <summary>Applies an <see cref="EvaluationGate"/> to the slices of an evaluation.</summary>
public static class EvaluationJudge
{
    /// <summary>Decides: overall AUC drop, each gated segment's AUC drop, and the primary metric strictly better.</summary>
    public static (string Decision, List<string> Reasons, SliceComparison Overall, List<SliceComparison> Segments) Judge(
        EvaluationGate gate, SliceComparison overall, IReadOnlyList<SliceComparison> segments) => Judge(gate, overall, segments, null).Result;

    /// <summary>As above, with the golden set: its AUC may not drop by more than the overall limit either.</summary>
    public static ((string Decision, List<string> Reasons, SliceComparison Overall, List<SliceComparison> Segments) Result, SliceComparison? Golden) Judge(
        EvaluationGate gate, SliceComparison overall, IReadOnlyList<SliceComparison> segments, SliceComparison? golden)
    {
        var result = JudgeHoldout(gate, overall, segments);
        if (golden is null || result.Decision == EvaluationReport.Inconclusive)
        {
            return (result, golden);
        }

        var gated = golden.Positives > 0 && golden.Positives < golden.Rows;
        var ok = !gated || golden.Champion.Auc - golden.Candidate.Auc <= gate.MaxAucDrop + 1e-12;
        result.Reasons.Add($"golden set ({golden.Rows} rows): AUC {golden.Candidate.Auc:0.0000} vs champion {golden.Champion.Auc:0.0000}: "
            + (!gated ? "not gated (one class)" : ok ? "within" : "worse than") + (gated ? $" the allowed drop of {gate.MaxAucDrop}" : ""));
        var decision = ok ? result.Decision : EvaluationReport.Failed;
        return ((decision, result.Reasons, result.Overall, result.Segments), golden with { Gated = gated, Passed = ok });
    }

    private static (string Decision, List<string> Reasons, SliceComparison Overall, List<SliceComparison> Segments) JudgeHoldout(
        EvaluationGate gate, SliceComparison overall, IReadOnlyList<SliceComparison> segments)
    {
        var reasons = new List<string>();
        if (overall.Rows < gate.MinRows || overall.Positives == 0 || overall.Positives == overall.Rows)
        {
            reasons.Add($"{overall.Rows} labelled holdout rows of both classes are needed at least {gate.MinRows}; not enough to decide");
            return (EvaluationReport.Inconclusive, reasons, overall with { Gated = false, Passed = false }, [.. segments]);
        }

        var passed = true;
        var drop = overall.Champion.Auc - overall.Candidate.Auc;
        var overallOk = drop <= gate.MaxAucDrop + 1e-12;
        reasons.Add($"overall AUC {overall.Candidate.Auc:0.0000} vs champion {overall.Champion.Auc:0.0000}: " +
            (overallOk ? "within" : "worse than") + $" the allowed drop of {gate.MaxAucDrop}");
        passed &= overallOk;

        var judged = new List<SliceComparison>();
        foreach (var segment in segments)
        {
            var gated = segment.Rows >= gate.MinSegmentRows && segment.Positives > 0 && segment.Positives < segment.Rows;
            var ok = !gated || segment.Champion.Auc - segment.Candidate.Auc <= gate.MaxSegmentAucDrop + 1e-12;
            if (gated && !ok)
            {
                reasons.Add($"segment {segment.Name}: AUC {segment.Candidate.Auc:0.0000} vs champion {segment.Champion.Auc:0.0000}, worse by more than {gate.MaxSegmentAucDrop}");
            }

            passed &= ok;
            judged.Add(segment with { Gated = gated, Passed = ok });
        }

        var candidate = overall.Candidate.Get(gate.PrimaryMetric);
        var champion = overall.Champion.Get(gate.PrimaryMetric);
        var better = gate.PrimaryMetric == "log_loss" ? candidate < champion : candidate > champion;
        reasons.Add($"primary metric {gate.PrimaryMetric} {candidate:0.0000} vs champion {champion:0.0000}: " + (better ? "better" : "not better"));
        passed &= better;
        return (passed ? EvaluationReport.Passed : EvaluationReport.Failed, reasons, overall with { Gated = true, Passed = overallOk }, judged);
    }
}

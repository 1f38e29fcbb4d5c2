namespace Vigil.Retraining;

/// <summary>
/// What a candidate must show against the champion on the same holdout before it may be released (docs/retraining.md).
/// The defaults: AUC not worse than the champion's by more than 0.005 overall, no segment's AUC worse by more than 0.02,
/// and the primary metric strictly better.
/// </summary>
/// <param name="PrimaryMetric"><c>auc</c>, <c>accuracy</c> or <c>log_loss</c> (lower is better) for probability outputs; <c>accuracy</c> or <c>macro_f1</c> for class outputs (default macro_f1); <c>mae</c>, <c>rmse</c> (lower is better) or <c>spearman</c> for score outputs (default rmse). Default auc.</param>
/// <param name="MaxAucDrop">Largest overall AUC drop allowed. Default 0.005.</param>
/// <param name="MaxSegmentAucDrop">Largest AUC drop allowed in any segment. Default 0.02.</param>
/// <param name="Segments">The request attributes whose values are segments; null: every attribute with at most 20 values.</param>
/// <param name="MinRows">Fewest holdout rows for a decision; fewer gives an inconclusive report (not released). Default 100.</param>
/// <param name="MinSegmentRows">Segments with fewer rows (or a single class) are reported but not gated. Default 30.</param>
/// <param name="HoldoutFraction">Share of labelled requests held out from training for evaluation, chosen by hash of the request id. Default 0.2.</param>
/// <param name="GoldenSet">Optional: a CSV file on the server (a column per feature, named as in the schema, and <c>label</c>: 1/0 or true/false), a fixed set both models are also scored on; its AUC may not drop by more than <paramref name="MaxAucDrop"/>.</param>
public sealed record EvaluationGate(
    string PrimaryMetric = "auc",
    double MaxAucDrop = 0.005,
    double MaxSegmentAucDrop = 0.02,
    IReadOnlyList<string>? Segments = null,
    int MinRows = 100,
    int MinSegmentRows = 30,
    double HoldoutFraction = 0.2,
    string? GoldenSet = null)
{
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (PrimaryMetric is not ("auc" or "accuracy" or "log_loss" or "macro_f1" or "mae" or "rmse" or "spearman"))
        {
            errors.Add("gate.primary_metric: auc, accuracy or log_loss (probability outputs); accuracy or macro_f1 (class outputs); mae, rmse or spearman (score outputs)");
        }

        if (MaxAucDrop is < 0 or > 1 || MaxSegmentAucDrop is < 0 or > 1)
        {
            errors.Add("gate.max_auc_drop and gate.max_segment_auc_drop: between 0 and 1");
        }

        if (MinRows < 1 || MinSegmentRows < 1)
        {
            errors.Add("gate.min_rows and gate.min_segment_rows: at least 1");
        }

        if (GoldenSet is not null && string.IsNullOrWhiteSpace(GoldenSet))
        {
            errors.Add("gate.golden_set: the path of a CSV file on the server, or leave it out");
        }

        if (HoldoutFraction is <= 0 or >= 1)
        {
            errors.Add("gate.holdout_fraction: between 0 and 1, exclusive");
        }

        return errors;
    }

    /// <summary>Whether the labelled request <paramref name="requestId"/> is in the evaluation holdout (never trained on).</summary>
    public bool InHoldout(string requestId) => IsHoldout(requestId, HoldoutFraction);

    /// <summary>Bucketing as flags do it (murmur3 of the id, parts per million), salted so it is independent of flags.</summary>
    public static bool IsHoldout(string requestId, double fraction) =>
        Routing.Flags.Bucketing.IsIn("vigil-holdout", requestId, (int)Math.Round(fraction * 1_000_000));
}

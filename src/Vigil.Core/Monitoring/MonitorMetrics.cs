namespace Vigil.Monitoring;

/// <summary>A metric a monitor can watch.</summary>
/// <param name="Name">Its name in monitors and alerts.</param>
/// <param name="Layer">The layer it belongs to.</param>
/// <param name="PerFeature">Whether it is computed per feature (input features, or output pseudo-features such as <c>@confidence</c>).</param>
/// <param name="Description">One line for docs and <c>vigil monitors list</c>.</param>
public sealed record MonitorMetric(string Name, MonitorLayer Layer, bool PerFeature, string Description);

/// <summary>The catalogue of metrics (docs/monitoring.md, "Metrics").</summary>
public static class MonitorMetrics
{
    /// <summary>Output pseudo-feature: the model's score or top-class probability.</summary>
    public const string Score = "@score";

    /// <summary>Output pseudo-feature: the model's confidence.</summary>
    public const string Confidence = "@confidence";

    /// <summary>Output pseudo-feature: latency in milliseconds.</summary>
    public const string LatencyMs = "@latency_ms";

    /// <summary>Output pseudo-feature: the predicted class.</summary>
    public const string PredictedClass = "@class";

    public static IReadOnlyDictionary<string, MonitorMetric> All { get; } = new[]
    {
        new MonitorMetric("schema_violation_rate", MonitorLayer.Input, true, "share of requests whose value of the feature broke the schema (missing, wrong type, null, out of range, unseen category)"),
        new MonitorMetric("null_rate", MonitorLayer.Input, true, "share of nulls among the feature's observations"),
        new MonitorMetric("psi", MonitorLayer.Input, true, "population stability index against the baseline (deciles of the baseline, or categories)"),
        new MonitorMetric("js_distance", MonitorLayer.Input, true, "Jensen–Shannon distance (base 2) against the baseline"),
        new MonitorMetric("ks_statistic", MonitorLayer.Input, true, "two-sample Kolmogorov–Smirnov statistic from the sketches"),
        new MonitorMetric("drift_p_value", MonitorLayer.Input, true, "KS (numeric) or chi-squared (categorical) p-value, Benjamini–Hochberg adjusted across the window's features"),
        new MonitorMetric("wasserstein_normalized", MonitorLayer.Input, true, "Wasserstein-1 distance divided by the baseline's standard deviation"),
        new MonitorMetric("median", MonitorLayer.Input, true, "the feature's median (KLL sketch)"),
        new MonitorMetric("output_psi", MonitorLayer.Output, true, "PSI of an output pseudo-feature (@score, @confidence, @class) against the version's reference"),
        new MonitorMetric("error_rate", MonitorLayer.Output, false, "share of requests that ended in a backend error or timeout"),
        new MonitorMetric("latency_p99_ms", MonitorLayer.Output, false, "99th percentile of latency in milliseconds"),
        new MonitorMetric("request_count", MonitorLayer.Output, false, "requests in the window"),
        new MonitorMetric("accuracy", MonitorLayer.Performance, false, "share of matured labelled predictions whose predicted label matched the label (per version and arm)"),
        new MonitorMetric("precision", MonitorLayer.Performance, false, "of the matured labelled predictions predicted positive, the share labelled positive"),
        new MonitorMetric("recall", MonitorLayer.Performance, false, "of the matured predictions labelled positive, the share predicted positive"),
        new MonitorMetric("auc", MonitorLayer.Performance, false, "ROC AUC of the predicted probability against matured labels"),
        new MonitorMetric("log_loss", MonitorLayer.Performance, false, "mean log loss of the predicted probability against matured labels"),
        new MonitorMetric("estimated_accuracy", MonitorLayer.Performance, false, "accuracy a calibrated model expects from its own confidence (mean of max(p, 1 − p)); needs no labels"),
        new MonitorMetric("outcome_rate", MonitorLayer.Performance, true, "share of matured predictions with the outcome (feature = outcome name: task_completed, accepted, escalated …)"),
        new MonitorMetric("business_mean", MonitorLayer.Business, true, "mean of a business metric's points in the window (feature = the metric's name)"),
        new MonitorMetric("business_count", MonitorLayer.Business, true, "number of a business metric's points in the window (feature = the metric's name)"),
    }.ToDictionary(m => m.Name, StringComparer.Ordinal);
}

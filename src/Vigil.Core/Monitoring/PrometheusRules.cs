using System.Globalization;
using System.Text;

namespace Vigil.Monitoring;

/// <summary>
/// Prometheus alerting rules for the monitors whose metric Vigil exports on <c>/metrics</c> (error rate, latency p99,
/// schema-violation rate); monitors on drift or profiles are evaluated by Vigil itself and listed as skipped comments.
/// </summary>
public static class PrometheusRules
{
    public static string Export(IReadOnlyList<MonitorDefinition> monitors)
    {
        ArgumentNullException.ThrowIfNull(monitors);
        var text = new StringBuilder("# Prometheus alerting rules for the metrics Vigil exports, written by 'vigil monitors export-rules'.\ngroups:\n  - name: vigil\n    rules:\n");
        var skipped = new List<string>();
        foreach (var m in monitors)
        {
            var window = PromDuration(m.Window.Value);
            var op = m.Operator == MonitorOperator.Above ? ">=" : "<=";
            var threshold = m.Threshold.ToString("R", CultureInfo.InvariantCulture);
            string? expr = m.Metric switch
            {
                "error_rate" => $"sum by (vigil_service) (rate(vigil_gateway_requests_total{{vigil_result=\"error\"}}[{window}])) / sum by (vigil_service) (rate(vigil_gateway_requests_total{{vigil_result=~\"ok|error\"}}[{window}])) {op} {threshold}",
                "latency_p99_ms" => $"histogram_quantile(0.99, sum by (vigil_service, le) (rate(vigil_gateway_request_duration_seconds_bucket[{window}]))) * 1000 {op} {threshold}",
                "schema_violation_rate" => $"sum by (vigil_service, vigil_feature) (rate(vigil_schema_violations_total[{window}])) / on (vigil_service) group_left sum by (vigil_service) (rate(vigil_gateway_requests_total[{window}])) {op} {threshold}",
                _ => null,
            };
            if (expr is null || m.Comparison != MonitorComparison.Threshold)
            {
                skipped.Add(m.Name);
                continue;
            }

            text.Append(CultureInfo.InvariantCulture, $"      - alert: {m.Name}\n        expr: '{expr}'\n");
            if ((m.For?.Value ?? TimeSpan.Zero) > TimeSpan.Zero)
            {
                text.Append(CultureInfo.InvariantCulture, $"        for: {PromDuration((m.For?.Value ?? TimeSpan.Zero))}\n");
            }

            if ((m.KeepFiringFor?.Value ?? TimeSpan.Zero) > TimeSpan.Zero)
            {
                text.Append(CultureInfo.InvariantCulture, $"        keep_firing_for: {PromDuration((m.KeepFiringFor?.Value ?? TimeSpan.Zero))}\n");
            }

            text.Append(CultureInfo.InvariantCulture, $"        labels:\n          severity: {m.Severity.ToString().ToLowerInvariant()}\n          layer: {m.Layer.ToString().ToLowerInvariant()}\n");
            text.Append(CultureInfo.InvariantCulture, $"        annotations:\n          summary: '{m.Name}: {m.Metric} {op} {threshold} over {window} for {{{{ $labels.vigil_service }}}}'\n");
        }

        if (skipped.Count > 0)
        {
            text.Append(CultureInfo.InvariantCulture, $"# Evaluated by Vigil itself (drift and profile metrics are not exported): {string.Join(", ", skipped)}\n");
        }

        return text.ToString();
    }

    private static string PromDuration(TimeSpan span) =>
        span.TotalMinutes == Math.Floor(span.TotalMinutes)
            ? ((long)span.TotalMinutes).ToString(CultureInfo.InvariantCulture) + "m"
            : ((long)span.TotalSeconds).ToString(CultureInfo.InvariantCulture) + "s";
}

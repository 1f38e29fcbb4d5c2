namespace Vigil.Monitoring;

/// <summary>The monitors every service starts with (docs/monitoring.md, "Defaults"); users change them with <c>vigil monitors apply</c>.</summary>
public static class DefaultMonitors
{
    public static IReadOnlyList<MonitorDefinition> All { get; } =
    [
        new("schema-violations", MonitorLayer.Input, "schema_violation_rate", 0.01, Duration.Minutes(5),
            For: Duration.Minutes(2), KeepFiringFor: Duration.Minutes(5), Severity: AlertSeverity.Critical),
        new("null-rate-jump", MonitorLayer.Input, "null_rate", 0.10, Duration.Minutes(15),
            Comparison: MonitorComparison.ChangeVsBaseline, For: Duration.Minutes(5), KeepFiringFor: Duration.Minutes(10)),
        new("input-drift", MonitorLayer.Input, "psi", 0.25, Duration.Minutes(15),
            For: Duration.Minutes(5), KeepFiringFor: Duration.Minutes(15), Severity: AlertSeverity.Critical),
        new("confidence-shift", MonitorLayer.Output, "output_psi", 0.25, Duration.Minutes(30), Feature: MonitorMetrics.Confidence,
            For: Duration.Minutes(10), KeepFiringFor: Duration.Minutes(15)),
        new("error-rate", MonitorLayer.Output, "error_rate", 0.02, Duration.Minutes(5),
            For: Duration.Minutes(2), KeepFiringFor: Duration.Minutes(5), Severity: AlertSeverity.Critical),
        new("latency-p99", MonitorLayer.Output, "latency_p99_ms", 1000, Duration.Minutes(5),
            For: Duration.Minutes(5), KeepFiringFor: Duration.Minutes(5)),
    ];
}

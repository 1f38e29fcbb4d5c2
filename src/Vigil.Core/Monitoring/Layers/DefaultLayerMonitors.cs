namespace Vigil.Monitoring.Layers;

/// <summary>
/// The performance-layer monitors every service runs until its monitoring settings list its own (docs/monitoring.md,
/// "Defaults"). Business monitors have no defaults: the metrics' names are the team's.
/// </summary>
public static class DefaultLayerMonitors
{
    public static IReadOnlyList<MonitorDefinition> All { get; } =
    [
        new("accuracy-drop", MonitorLayer.Performance, "accuracy", -0.05, Duration.Days(1),
            Comparison: MonitorComparison.ChangeVsPrevious, Operator: MonitorOperator.Below, KeepFiringFor: Duration.Hours(1)),
        new("estimated-accuracy-drop", MonitorLayer.Performance, "estimated_accuracy", -0.05, Duration.Hours(1),
            Comparison: MonitorComparison.ChangeVsPrevious, Operator: MonitorOperator.Below, For: Duration.Minutes(30), KeepFiringFor: Duration.Minutes(30)),
    ];

    /// <summary>
    /// Every problem of <paramref name="monitors"/> as per-service layer monitors: each valid on its own, names unique,
    /// and for the performance and business layers no change-vs-baseline (they have no baseline) and a segment selector
    /// written <c>attribute=value</c>. Input and output monitors replace the service's default window monitors.
    /// </summary>
    public static IReadOnlyList<string> Validate(IReadOnlyList<MonitorDefinition> monitors)
    {
        ArgumentNullException.ThrowIfNull(monitors);
        var errors = new List<string>();
        foreach (var monitor in monitors)
        {
            if (monitor is null)
            {
                errors.Add("a monitor is null");
                continue;
            }

            var where = $"monitor '{monitor.Name}': ";
            errors.AddRange(monitor.Validate().Select(e => where + e));
            if (monitor.Layer is MonitorLayer.Input or MonitorLayer.Output)
            {
                continue; // window monitors: checked by MonitorDefinition.Validate above, features by the client against the schema
            }

            if (monitor.Comparison == MonitorComparison.ChangeVsBaseline)
            {
                errors.Add(where + "change-vs-baseline is not available for performance and business metrics; use threshold or change-vs-previous");
            }

            if (MonitorMetrics.All.TryGetValue(monitor.Metric ?? string.Empty, out var metric) && metric.PerFeature && monitor.Feature == MonitorDefinition.AnyFeature)
            {
                errors.Add(where + $"metric '{monitor.Metric}' needs a feature: the {(monitor.Layer == MonitorLayer.Business ? "business metric's" : "outcome's")} name");
            }

            if (monitor.Segment is { } segment && (segment.Split('=') is not [{ Length: > 0 } attribute, { Length: > 0 }] || !attribute.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-')))
            {
                errors.Add(where + $"segment '{segment}': write attribute=value, e.g. country=DE");
            }

            if (monitor.Window.Value > TimeSpan.FromDays(90))
            {
                errors.Add(where + "window: at most 90d");
            }
        }

        foreach (var duplicate in monitors.Where(m => m is not null).GroupBy(m => m.Name, StringComparer.Ordinal).Where(g => g.Count() > 1))
        {
            errors.Add($"monitor name '{duplicate.Key}' is used {duplicate.Count()} times; names must be unique");
        }

        return errors;
    }
}

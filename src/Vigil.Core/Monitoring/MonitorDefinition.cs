using System.Text.Json.Serialization;

namespace Vigil.Monitoring;

/// <summary>The four layers of docs/monitoring.md.</summary>
public enum MonitorLayer
{
    [JsonStringEnumMemberName("input")]
    Input,

    [JsonStringEnumMemberName("output")]
    Output,

    [JsonStringEnumMemberName("performance")]
    Performance,

    [JsonStringEnumMemberName("business")]
    Business,
}

/// <summary>What the monitor's value is compared with.</summary>
public enum MonitorComparison
{
    /// <summary>The metric itself against the threshold (distances such as PSI are already against the baseline).</summary>
    [JsonStringEnumMemberName("threshold")]
    Threshold,

    /// <summary>The metric minus the same metric on the baseline.</summary>
    [JsonStringEnumMemberName("change-vs-baseline")]
    ChangeVsBaseline,

    /// <summary>The metric minus the same metric on the previous window of the same length.</summary>
    [JsonStringEnumMemberName("change-vs-previous")]
    ChangeVsPrevious,
}

/// <summary>The direction of the condition.</summary>
public enum MonitorOperator
{
    [JsonStringEnumMemberName("above")]
    Above,

    [JsonStringEnumMemberName("below")]
    Below,
}

public enum AlertSeverity
{
    [JsonStringEnumMemberName("info")]
    Info,

    [JsonStringEnumMemberName("warning")]
    Warning,

    [JsonStringEnumMemberName("critical")]
    Critical,
}

/// <summary>What happens when an alert fires.</summary>
public enum MonitorAction
{
    [JsonStringEnumMemberName("notify")]
    Notify,

    [JsonStringEnumMemberName("rollback")]
    Rollback,

    [JsonStringEnumMemberName("retrain")]
    Retrain,
}

/// <summary>
/// A monitor (docs/monitoring.md): a metric of one layer, for one feature or every feature (<c>*</c>), optionally one
/// segment value and arm, computed over the last <see cref="Window"/> of one-minute windows and compared with a
/// threshold; the condition must hold for <see cref="For"/> before the alert fires, and an alert keeps firing for
/// <see cref="KeepFiringFor"/> after it stops holding (against flapping), as Prometheus alerting rules do.
/// </summary>
public sealed record MonitorDefinition(
    string Name,
    MonitorLayer Layer,
    string Metric,
    double Threshold,
    Duration Window,
    string Feature = MonitorDefinition.AnyFeature,
    string? Segment = null,
    string? Arm = null,
    MonitorComparison Comparison = MonitorComparison.Threshold,
    MonitorOperator Operator = MonitorOperator.Above,
    Duration? For = null,
    Duration? KeepFiringFor = null,
    AlertSeverity Severity = AlertSeverity.Warning,
    IReadOnlyList<MonitorAction>? Actions = null)
{
    /// <summary>The selector that evaluates the monitor once per feature.</summary>
    public const string AnyFeature = "*";

    /// <summary>Whether the value breaks the threshold.</summary>
    public bool Holds(double value) => Operator == MonitorOperator.Above ? value >= Threshold : value <= Threshold;

    /// <summary>Every problem with the definition; empty when valid. <paramref name="features"/> (when known) are the service's features.</summary>
    public IReadOnlyList<string> Validate(IReadOnlyCollection<string>? features = null)
    {
        var errors = new List<string>();
        if (string.IsNullOrWhiteSpace(Name) || Name.Length > 64 || !Name.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_'))
        {
            errors.Add($"name '{Name}': use 1–64 letters, digits, '-' or '_'");
        }

        if (!MonitorMetrics.All.TryGetValue(Metric ?? string.Empty, out var metric))
        {
            errors.Add($"metric '{Metric}' is unknown; known metrics: {string.Join(", ", MonitorMetrics.All.Keys.Order(StringComparer.Ordinal))}");
        }
        else if (metric.Layer != Layer)
        {
            errors.Add($"metric '{Metric}' belongs to the {metric.Layer.ToString().ToLowerInvariant()} layer, not {Layer.ToString().ToLowerInvariant()}");
        }

        if (!double.IsFinite(Threshold))
        {
            errors.Add("threshold must be a finite number");
        }

        if (Window.Value < TimeSpan.FromMinutes(1) || Window.Value.Ticks % TimeSpan.TicksPerMinute != 0)
        {
            errors.Add($"window {Window}: use whole minutes, at least 1m (windows are built from one-minute windows)");
        }

        if ((For?.Value ?? TimeSpan.Zero) < TimeSpan.Zero || (KeepFiringFor?.Value ?? TimeSpan.Zero) < TimeSpan.Zero)
        {
            errors.Add("for and keep_firing_for cannot be negative");
        }

        if (features is not null && Feature != AnyFeature && !Feature.StartsWith('@') && !features.Contains(Feature))
        {
            errors.Add($"feature '{Feature}' is not a feature of the service (features: {string.Join(", ", features)})");
        }

        return errors;
    }
}

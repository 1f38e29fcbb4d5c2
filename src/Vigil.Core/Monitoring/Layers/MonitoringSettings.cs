using System.Text.Json.Serialization;

namespace Vigil.Monitoring.Layers;

/// <summary>What the gateway does with a request whose inputs break the service's schema (docs/monitoring.md, "Input layer").</summary>
public enum InputPolicy
{
    /// <summary>Serve and count: violations the model can take (unknown feature, out of range, unseen category) are served and counted per window; values it cannot take at all (missing, wrong type, null, not finite) still get 422.</summary>
    [JsonStringEnumMemberName("record")]
    Record,

    /// <summary>Every violation is refused with 422 problem details listing each one; nothing is served or recorded.</summary>
    [JsonStringEnumMemberName("reject")]
    Reject,
}

/// <summary>
/// A service's monitoring settings (<c>PUT /v1/services/{s}/monitoring</c>, <c>vigil services monitoring</c>): the input
/// policy, the request attributes that split windows into segments, the patterns that mark a text answer as a refusal,
/// and the outcome window after which a prediction's outcome counts as matured.
/// </summary>
/// <param name="InputPolicy">record (default) or reject.</param>
/// <param name="Segments">Request attributes whose values split windows (at most <see cref="MaxSegmentAttributes"/>).</param>
/// <param name="RefusalPatterns">Case-insensitive substrings that mark a text output as a refusal; empty uses <see cref="DefaultRefusalPatterns"/>.</param>
/// <param name="OutcomeWindowHours">How long after a prediction its outcome is final (performance counts only predictions at least this old).</param>
/// <param name="Monitors">The service's performance and business monitors (<c>vigil monitors apply</c>); null runs <see cref="DefaultLayerMonitors.All"/>.</param>
public sealed record MonitoringSettings(
    InputPolicy InputPolicy = InputPolicy.Record,
    IReadOnlyList<string>? Segments = null,
    IReadOnlyList<string>? RefusalPatterns = null,
    double OutcomeWindowHours = 24,
    IReadOnlyList<MonitorDefinition>? Monitors = null)
{
    /// <summary>
    /// The performance and business monitors in force: the service's own of these layers, else the defaults. (A monitors
    /// file replaces the monitors of the layers it names; the other layers keep their defaults.)
    /// </summary>
    [JsonIgnore]
    public IReadOnlyList<MonitorDefinition> EffectiveMonitors =>
        Monitors?.Where(m => m.Layer is MonitorLayer.Performance or MonitorLayer.Business).ToList() is { Count: > 0 } own ? own : DefaultLayerMonitors.All;

    /// <summary>The service's own input and output monitors (they replace the default window set), or null for the defaults.</summary>
    [JsonIgnore]
    public IReadOnlyList<MonitorDefinition>? WindowMonitors =>
        Monitors?.Where(m => m.Layer is MonitorLayer.Input or MonitorLayer.Output).ToList() is { Count: > 0 } own ? own : null;

    /// <summary>At most this many segment attributes per service.</summary>
    public const int MaxSegmentAttributes = 4;

    /// <summary>At most this many refusal patterns per service.</summary>
    public const int MaxRefusalPatterns = 50;

    /// <summary>The settings a service has until they are set.</summary>
    public static MonitoringSettings Default { get; } = new();

    /// <summary>The refusal patterns used when a service declares none.</summary>
    public static IReadOnlyList<string> DefaultRefusalPatterns { get; } =
        ["i can't help", "i cannot help", "i'm sorry, but", "i am unable to", "as an ai"];

    /// <summary>The refusal patterns in force.</summary>
    [JsonIgnore]
    public IReadOnlyList<string> EffectiveRefusalPatterns => RefusalPatterns is { Count: > 0 } p ? p : DefaultRefusalPatterns;

    /// <summary>Every problem with the settings; empty when valid.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        var segments = Segments ?? [];
        if (segments.Count > MaxSegmentAttributes)
        {
            errors.Add($"segments: at most {MaxSegmentAttributes} attributes, got {segments.Count}");
        }

        foreach (var segment in segments)
        {
            if (string.IsNullOrEmpty(segment) || segment.Length > 128 || !segment.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-'))
            {
                errors.Add($"segments: '{segment}' is not an attribute name (1–128 letters, digits, '_' or '-')");
            }
        }

        if (segments.Distinct(StringComparer.Ordinal).Count() != segments.Count)
        {
            errors.Add("segments: an attribute is listed twice");
        }

        var patterns = RefusalPatterns ?? [];
        if (patterns.Count > MaxRefusalPatterns)
        {
            errors.Add($"refusal_patterns: at most {MaxRefusalPatterns}, got {patterns.Count}");
        }

        foreach (var pattern in patterns)
        {
            if (string.IsNullOrWhiteSpace(pattern) || pattern.Length > 200)
            {
                errors.Add("refusal_patterns: each pattern is 1–200 characters of text");
            }
        }

        if (!double.IsFinite(OutcomeWindowHours) || OutcomeWindowHours < 0 || OutcomeWindowHours > 24 * 90)
        {
            errors.Add("outcome_window_hours: between 0 and 2160 (90 days)");
        }

        if (Monitors is { } monitors)
        {
            errors.AddRange(DefaultLayerMonitors.Validate(monitors).Select(e => "monitors: " + e));
        }

        return errors;
    }
}

/// <summary>A service's stored monitoring settings with their revision.</summary>
public sealed record StoredMonitoringSettings(string Service, MonitoringSettings Settings, long Revision, DateTimeOffset UpdatedAt);

/// <summary>Audit actions of the monitoring layers.</summary>
public static class LayerActions
{
    /// <summary>A service's monitoring settings were replaced.</summary>
    public const string SettingsSet = "monitoring.settings-set";
}

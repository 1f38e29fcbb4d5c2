namespace Vigil.Monitoring.Layers;

/// <summary>
/// One point of a business time series (retention, revenue per user, NPS …) pushed with <c>POST /v1/business-metrics</c>,
/// optionally tagged with the service, version, arm and segment it belongs to.
/// </summary>
public sealed record BusinessMetricPoint(
    string Name,
    double Value,
    DateTimeOffset Timestamp,
    string? Service = null,
    int? Version = null,
    string? Arm = null,
    string? Segment = null)
{
    /// <summary>The longest metric name.</summary>
    public const int MaxNameLength = 128;

    /// <summary>Whether <paramref name="name"/> is a metric name: letters, digits, '_', '-', '.' and ':'.</summary>
    public static bool IsName(string? name) =>
        name is { Length: > 0 and <= MaxNameLength } && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.' or ':');
}

/// <summary>An answered prediction with its label outcome (numeric; null until it arrives).</summary>
public sealed record ScoredPrediction(DateTimeOffset At, int Version, string Arm, string Attributes, string Outputs, double? Label);

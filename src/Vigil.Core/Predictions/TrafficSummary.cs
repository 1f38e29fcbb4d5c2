namespace Vigil.Predictions;

/// <summary>Counts of one (service, version, arm) over a period, from stored predictions and their outcomes.</summary>
public sealed record TrafficSummary(
    string Service,
    int Version,
    string Arm,
    long Requests,
    long Errors,
    double MeanLatencyMs,
    double MaxLatencyMs,
    IReadOnlyList<OutcomeSummary> Outcomes);

/// <summary>Outcomes of one name joined to the predictions of a <see cref="TrafficSummary"/>: how many, and their mean numeric value (a rate for booleans).</summary>
public sealed record OutcomeSummary(string Name, long Count, double? Mean);

namespace Vigil.Cli.Demo;

/// <summary>Where a traffic scenario is, for the live progress display.</summary>
/// <param name="Scenario">The scenario's name.</param>
/// <param name="SimulatedStart">The simulated time the traffic started.</param>
/// <param name="SimulatedNow">The simulated time now.</param>
/// <param name="SimulatedDuration">How long the traffic runs in simulated time.</param>
/// <param name="Planned">Requests planned in all.</param>
/// <param name="Requests">Requests answered so far (successes and errors).</param>
/// <param name="Errors">Requests that failed.</param>
/// <param name="Engaged">Successful requests whose user engaged.</param>
/// <param name="FeedbackSent">Feedback items sent so far.</param>
public sealed record TrafficProgress(
    string Scenario,
    DateTimeOffset SimulatedStart,
    DateTimeOffset SimulatedNow,
    TimeSpan SimulatedDuration,
    long Planned,
    long Requests,
    long Errors,
    long Engaged,
    long FeedbackSent)
{
    /// <summary>Share of successful requests whose user engaged (0 before the first).</summary>
    public double EngagementRate => Requests - Errors > 0 ? (double)Engaged / (Requests - Errors) : 0;

    /// <summary>Simulated time elapsed since the start, never negative nor beyond the duration.</summary>
    public TimeSpan SimulatedElapsed =>
        SimulatedNow < SimulatedStart ? TimeSpan.Zero
        : SimulatedNow - SimulatedStart > SimulatedDuration ? SimulatedDuration
        : SimulatedNow - SimulatedStart;

    /// <summary>The simulated calendar day (day 1 is the day the traffic started) and UTC clock time, e.g. <c>day 2 14:05</c>.</summary>
    public string SimulatedLabel
    {
        get
        {
            var now = SimulatedStart + SimulatedElapsed;
            return $"day {(now.UtcDateTime.Date - SimulatedStart.UtcDateTime.Date).Days + 1} {now.UtcDateTime:HH:mm}";
        }
    }
}

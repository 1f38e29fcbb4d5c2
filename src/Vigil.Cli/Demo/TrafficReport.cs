using System.Text.Json.Serialization;

namespace Vigil.Cli.Demo;

/// <summary>What the simulated users saw of one traffic scenario, measured on the client side.</summary>
/// <param name="Scenario">The scenario's name.</param>
/// <param name="SimulatedStart">Simulated time the traffic started.</param>
/// <param name="SimulatedEnd">Simulated time the last feedback was sent.</param>
/// <param name="RealDuration">Real time the scenario took.</param>
/// <param name="Requests">Predict requests sent (answered or failed).</param>
/// <param name="Errors">Predict requests that failed: a non-2xx answer, no answer, or an answer without a probability.</param>
/// <param name="Engaged">Successful requests whose user engaged.</param>
/// <param name="MeanPredictedProbability">Mean of the model's <c>outputs.probability</c> over successful requests.</param>
/// <param name="MeanLatencyMs">Mean client-side latency of successful requests, in real milliseconds.</param>
/// <param name="P99LatencyMs">99th percentile of the same.</param>
/// <param name="FeedbackSent">Feedback items sent (one per successful request, each with three outcomes).</param>
/// <param name="FeedbackErrors">Feedback items whose POST /v1/feedback failed.</param>
/// <param name="OutcomesStored">Outcomes Vigil reported as newly stored.</param>
/// <param name="OutcomesDuplicate">Outcomes Vigil reported as duplicates.</param>
/// <param name="FeedbackAheadOfPrediction">Feedback items whose prediction was not yet written when they arrived (kept as orphans and joined later).</param>
/// <param name="FirstError">The first error, for the summary; null when there was none.</param>
/// <param name="Release">For a release scenario: how its release went; null otherwise. In <c>summary.json</c> under <c>releases</c>.</param>
public sealed record TrafficReport(
    string Scenario,
    DateTimeOffset SimulatedStart,
    DateTimeOffset SimulatedEnd,
    TimeSpan RealDuration,
    long Requests,
    long Errors,
    long Engaged,
    double MeanPredictedProbability,
    double MeanLatencyMs,
    double P99LatencyMs,
    long FeedbackSent,
    long FeedbackErrors,
    long OutcomesStored,
    long OutcomesDuplicate,
    long FeedbackAheadOfPrediction,
    string? FirstError,
    [property: JsonIgnore] ReleaseReport? Release = null)
{
    /// <summary>Share of successful requests whose user engaged.</summary>
    public double EngagementRate => Requests - Errors > 0 ? (double)Engaged / (Requests - Errors) : 0;
}

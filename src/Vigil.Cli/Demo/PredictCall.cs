namespace Vigil.Cli.Demo;

/// <summary>The result of one predict call as the simulated user saw it.</summary>
/// <param name="Succeeded">Whether Vigil answered with a probability.</param>
/// <param name="RequestId">The request id to send feedback for.</param>
/// <param name="Version">The version that served the request.</param>
/// <param name="Arm">The arm that served the request.</param>
/// <param name="Probability">The model's <c>outputs.probability</c>.</param>
/// <param name="LatencyMs">Client-side latency in real milliseconds.</param>
/// <param name="Error">What went wrong, when it did.</param>
public sealed record PredictCall(bool Succeeded, string RequestId, int Version, string Arm, double Probability, double LatencyMs, string? Error)
{
    /// <summary>A failed call.</summary>
    public static PredictCall Failed(string error) => new(false, "", 0, "", double.NaN, double.NaN, error);
}

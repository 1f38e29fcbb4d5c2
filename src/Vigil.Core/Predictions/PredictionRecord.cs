namespace Vigil.Predictions;

/// <summary>The arms a request can be served or seen by.</summary>
public static class Arms
{
    public const string Champion = "champion";
    public const string Canary = "canary";
    public const string Shadow = "shadow";

    /// <summary>Answered with the service's declared fallback output because its service flag was off (version 0; the model was not called).</summary>
    public const string Fallback = "fallback";
}

/// <summary>
/// One prediction, served or shadowed, as the recorder writes it. JSON columns are kept as text
/// so the request path serializes once.
/// </summary>
/// <param name="RequestId">Unique id returned to the caller and used to join feedback.</param>
/// <param name="At">When the request arrived.</param>
/// <param name="Service">The service.</param>
/// <param name="Version">The model version that answered.</param>
/// <param name="Arm">champion, canary or shadow.</param>
/// <param name="Key">The caller's sticky key; null when the caller sent none.</param>
/// <param name="Attributes">JSON object of segment attributes.</param>
/// <param name="Inputs">JSON object of the inputs as received.</param>
/// <param name="Outputs">JSON object of the outputs; null on error.</param>
/// <param name="LatencyMs">Time spent in the backend, in milliseconds.</param>
/// <param name="Error">The error, when the backend failed.</param>
/// <param name="FlagKey">The flag whose evaluation decided the arm: the release flag while a release routes traffic, else the service flag; null when the service has neither.</param>
/// <param name="FlagReason">
/// That evaluation's reason, OpenFeature's name (<c>STATIC</c>, <c>TARGETING_MATCH</c>, <c>SPLIT</c>, <c>DISABLED</c>,
/// <c>DEFAULT</c>, <c>ERROR</c>); with a release, <c>SPLIT</c> means the release's sticky weight decided (in or out).
/// </param>
/// <param name="ShadowOf">For a shadow prediction, the request id of the champion answer it copies (to compare the two); else null.</param>
/// <param name="Violations">The schema violations the gateway found in the inputs (served under the <c>record</c> policy); kept in memory for the monitoring windows, not stored.</param>
public sealed record PredictionRecord(
    string RequestId,
    DateTimeOffset At,
    string Service,
    int Version,
    string Arm,
    string? Key,
    string Attributes,
    string Inputs,
    string? Outputs,
    double LatencyMs,
    string? Error,
    string? FlagKey = null,
    string? FlagReason = null,
    string? ShadowOf = null,
    IReadOnlyList<Registry.SchemaViolation>? Violations = null);

using System.Text.Json.Serialization;

namespace Vigil.Routing.Flags;

/// <summary>Why an evaluation gave its value. The wire names are OpenFeature's (<c>TARGETING_MATCH</c> …), not kebab-case.</summary>
public enum EvaluationReason
{
    /// <summary>The flag is on with no rules and no percentage: always true.</summary>
    [JsonStringEnumMemberName("STATIC")]
    Static,
    /// <summary>A targeting rule matched; its value was served.</summary>
    [JsonStringEnumMemberName("TARGETING_MATCH")]
    TargetingMatch,
    /// <summary>No rule matched and the sticky percentage decided (true inside it, false outside).</summary>
    [JsonStringEnumMemberName("SPLIT")]
    Split,
    /// <summary>The flag is off: false.</summary>
    [JsonStringEnumMemberName("DISABLED")]
    Disabled,
    /// <summary>The flag has rules, none matched, and there is no percentage: the flag's default.</summary>
    [JsonStringEnumMemberName("DEFAULT")]
    Default,
    /// <summary>The evaluation could not finish (see <see cref="FlagErrorCode"/>): the flag's default.</summary>
    [JsonStringEnumMemberName("ERROR")]
    Error,
}

/// <summary>Why an evaluation ended with <see cref="EvaluationReason.Error"/> (OpenFeature's error codes).</summary>
public enum FlagErrorCode
{
    /// <summary>No error.</summary>
    [JsonStringEnumMemberName("NONE")]
    None,
    /// <summary>A numeric operator (<c>&lt;</c>, <c>&lt;=</c>, <c>&gt;</c>, <c>&gt;=</c>) met an attribute that is not a finite number.</summary>
    [JsonStringEnumMemberName("TYPE_MISMATCH")]
    TypeMismatch,
    /// <summary>The sticky percentage (strictly between 0 and 100%) had to decide and the request has no key.</summary>
    [JsonStringEnumMemberName("TARGETING_KEY_MISSING")]
    TargetingKeyMissing,
    /// <summary>The flag does not exist (from <see cref="FlagSet.Evaluate"/>).</summary>
    [JsonStringEnumMemberName("FLAG_NOT_FOUND")]
    FlagNotFound,
}

/// <summary>OpenFeature's names for reasons and error codes, as constant strings (no allocation on the request path).</summary>
public static class EvaluationReasons
{
    /// <summary>The OpenFeature name of <paramref name="reason"/>, e.g. <c>TARGETING_MATCH</c>.</summary>
    public static string Name(EvaluationReason reason) => reason switch
    {
        EvaluationReason.Static => "STATIC",
        EvaluationReason.TargetingMatch => "TARGETING_MATCH",
        EvaluationReason.Split => "SPLIT",
        EvaluationReason.Disabled => "DISABLED",
        EvaluationReason.Default => "DEFAULT",
        EvaluationReason.Error => "ERROR",
        _ => throw new ArgumentOutOfRangeException(nameof(reason)),
    };

    /// <summary>The OpenFeature name of <paramref name="code"/>, e.g. <c>TYPE_MISMATCH</c>.</summary>
    public static string Name(FlagErrorCode code) => code switch
    {
        FlagErrorCode.None => "NONE",
        FlagErrorCode.TypeMismatch => "TYPE_MISMATCH",
        FlagErrorCode.TargetingKeyMissing => "TARGETING_KEY_MISSING",
        FlagErrorCode.FlagNotFound => "FLAG_NOT_FOUND",
        _ => throw new ArgumentOutOfRangeException(nameof(code)),
    };
}

namespace Vigil.Routing.Flags;

/// <summary>The result of evaluating a flag for one request: the value and why. A value type: evaluating allocates nothing.</summary>
/// <param name="Value">The flag's value for the request.</param>
/// <param name="Reason">Why (OpenFeature's reasons).</param>
/// <param name="ErrorCode">With <see cref="EvaluationReason.Error"/>, what went wrong; otherwise <see cref="FlagErrorCode.None"/>.</param>
/// <param name="RuleIndex">The rule that matched (<see cref="EvaluationReason.TargetingMatch"/>) or failed (<see cref="FlagErrorCode.TypeMismatch"/>), from 0; otherwise -1.</param>
/// <param name="Attribute">With <see cref="FlagErrorCode.TypeMismatch"/>, the attribute that is not a number; otherwise null.</param>
public readonly record struct FlagEvaluation(
    bool Value,
    EvaluationReason Reason,
    FlagErrorCode ErrorCode = FlagErrorCode.None,
    int RuleIndex = -1,
    string? Attribute = null)
{
    /// <summary>OpenFeature's variant name: <c>on</c> or <c>off</c>.</summary>
    public string Variant => Value ? "on" : "off";
}

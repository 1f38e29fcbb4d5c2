namespace Vigil.Routing.Flags;

/// <summary>
/// A boolean feature flag, evaluated per request (see docs/flags.md): an on/off switch, targeting rules on request
/// attributes, a sticky percentage, and a default. Immutable; check it with <see cref="FlagValidator"/> and compile it
/// once per routing snapshot with <see cref="FlagEvaluator.Compile"/>.
/// </summary>
/// <param name="Key">A DNS label (1–63 characters of a–z, 0–9 and '-', starting with a letter, not ending with '-'); also the bucketing salt.</param>
/// <param name="Enabled">The switch: when false every evaluation is <c>false</c> with reason <see cref="EvaluationReason.Disabled"/>.</param>
/// <param name="Rules">Targeting rules, tried in order; the first that matches decides (reason <see cref="EvaluationReason.TargetingMatch"/>).</param>
/// <param name="Percentage">
/// Sticky rollout for requests no rule matched: the share, in percent (0–100, at most 4 decimals: 1 ppm), that gets
/// <c>true</c> (reason <see cref="EvaluationReason.Split"/>). Null for no rollout.
/// </param>
/// <param name="Default">The value when the flag is on, has rules but no percentage, and no rule matched (reason <see cref="EvaluationReason.Default"/>); also the value of an <see cref="EvaluationReason.Error"/>.</param>
/// <param name="Description">Free text for people.</param>
public sealed record FlagDefinition(
    string Key,
    bool Enabled,
    IReadOnlyList<TargetingRule>? Rules = null,
    double? Percentage = null,
    bool Default = false,
    string? Description = null);

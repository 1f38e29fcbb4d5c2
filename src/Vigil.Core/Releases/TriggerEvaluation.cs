namespace Vigil.Releases;

/// <summary>The verdict of a rollback trigger at one tick.</summary>
public enum TriggerVerdict
{
    /// <summary>Enough samples, and the challenger is not confidently beyond the threshold.</summary>
    Ok,

    /// <summary>The whole confidence interval is beyond the threshold: roll back.</summary>
    Breached,

    /// <summary>Too few samples to judge (no data counts as inconclusive): the release holds, it never advances on silence.</summary>
    Inconclusive,
}

/// <summary>
/// One trigger (in one segment, for <c>per_segment</c> triggers) judged at one tick. Shares and differences are
/// fractions (0.02 is 2%, −0.03 is −3pp); for latency triggers the estimate is the share of requests slower than the
/// trigger's <c>max</c> and the threshold is the share the quantile allows (0.01 for p99).
/// </summary>
/// <param name="Trigger">The trigger as declared.</param>
/// <param name="Segment">The segment (<c>country=DE</c>) for per-segment triggers, else null.</param>
/// <param name="Estimate">The challenger's share (absolute), or challenger − control (relative); null without data.</param>
/// <param name="Lower">The lower bound of the confidence sequence; null without data.</param>
/// <param name="Upper">The upper bound of the confidence sequence; null without data.</param>
/// <param name="Threshold">The bound the interval is judged against: 0.02 for max 2%, −0.03 for max_drop 3pp.</param>
/// <param name="ChallengerSamples">Trials of the challenger.</param>
/// <param name="ControlSamples">Trials of the control (relative triggers; 0 for absolute ones).</param>
/// <param name="Confidence">The confidence actually used: the trigger's, Bonferroni-corrected for per-segment triggers.</param>
/// <param name="Verdict">Breached, ok or inconclusive.</param>
/// <param name="MarginLeft">How far the bound that fires the trigger still is from the threshold (threshold − lower when higher is worse, upper − threshold when lower is worse; positive: not fired); null without data.</param>
/// <param name="Reason">One sentence for people.</param>
public sealed record TriggerEvaluation(
    RollbackTrigger Trigger,
    string? Segment,
    double? Estimate,
    double? Lower,
    double? Upper,
    double Threshold,
    long ChallengerSamples,
    long ControlSamples,
    double Confidence,
    TriggerVerdict Verdict,
    double? MarginLeft,
    string Reason)
{
    /// <summary>The metric judged.</summary>
    public string Metric => Trigger.Metric;
}

/// <summary>The verdict of a promotion criterion at one tick.</summary>
public enum PromotionVerdict
{
    /// <summary>The challenger is confidently non-inferior: the interval's bound is inside the margin.</summary>
    Met,

    /// <summary>Not (yet) shown: the interval still reaches beyond the margin.</summary>
    NotMet,

    /// <summary>Too few samples to judge.</summary>
    Inconclusive,
}

/// <summary>One promotion criterion judged at one tick; shares and differences are fractions, as in <see cref="TriggerEvaluation"/>.</summary>
/// <param name="Criterion">The criterion as declared.</param>
/// <param name="Estimate">Challenger − control; null without data.</param>
/// <param name="Lower">Lower bound of the confidence sequence.</param>
/// <param name="Upper">Upper bound of the confidence sequence.</param>
/// <param name="Threshold">−margin for metrics where higher is better (met when lower > −margin), +margin otherwise (met when upper &lt; margin).</param>
/// <param name="ChallengerSamples">Trials of the challenger.</param>
/// <param name="ControlSamples">Trials of the control.</param>
/// <param name="Confidence">The confidence used.</param>
/// <param name="Verdict">Met, not met or inconclusive.</param>
/// <param name="Reason">One sentence for people.</param>
public sealed record PromotionEvaluation(
    PromotionCriterion Criterion,
    double? Estimate,
    double? Lower,
    double? Upper,
    double Threshold,
    long ChallengerSamples,
    long ControlSamples,
    double Confidence,
    PromotionVerdict Verdict,
    string Reason);

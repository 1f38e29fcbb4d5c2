using System.Globalization;

namespace Vigil.Releases;

/// <summary>
/// Judges a plan's rollback triggers and promotion criteria on an <see cref="AnalysisSnapshot"/> with
/// <see cref="ConfidenceSequence"/> (docs/releases.md, "Statistics"). Pure and deterministic.
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item>Absolute trigger (<c>max</c>): breached when the lower bound of the challenger's share is above the threshold;
/// <c>min</c>: when the upper bound is below it.</item>
/// <item>Relative trigger (<c>max_drop d</c>): breached when the upper bound of challenger − control is below −d;
/// <c>max_increase d</c>: when the lower bound is above d.</item>
/// <item>Latency trigger (<c>latency_p99 max 250ms</c>): p99 ≤ 250ms exactly when at most 1% of requests take longer
/// than 250ms, so it is judged as an absolute trigger on the share of requests slower than the threshold, against 1%
/// (50% for p50). This is conservative and needs no quantile estimate: no distribution is assumed.</item>
/// <item>Per-segment trigger: judged in each of the K segments of its attribute at level α/K (Bonferroni), so the chance
/// that any segment fires falsely stays at most α.</item>
/// <item>Fewer than <see cref="MinSamples"/> trials in an arm judged (or the plan's min_samples_per_step, when lower,
/// but never fewer than <see cref="MinSamplesFloor"/>): inconclusive; a breach is never declared on so little data.</item>
/// </list>
/// ρ is tuned to the plan's min_samples_per_step (<see cref="ConfidenceSequence.Rho"/>).
/// </remarks>
public static class TriggerEvaluator
{
    /// <summary>The fewest trials an arm needs before a trigger or criterion is judged.</summary>
    public const int MinSamples = 100;

    /// <summary>
    /// The fewest trials an arm needs whatever the plan says. The intervals plug in each arm's (smoothed) variance, which
    /// is only trustworthy asymptotically: at ten trials an extreme share (0 of 10) gives an interval far too narrow,
    /// and the demo's good rollout was once rolled back on exactly that. A plan's lower min_samples_per_step still lets
    /// its steps advance sooner; its triggers wait for this many.
    /// </summary>
    public const int MinSamplesFloor = 30;

    /// <summary>The fewest trials each arm needs under <paramref name="plan"/>.</summary>
    public static int MinSamplesFor(ReleasePlan plan) => Math.Max(MinSamplesFloor, Math.Min(MinSamples, plan.MinSamplesPerStep));

    /// <summary>Every trigger of <paramref name="plan"/> (each segment of per-segment triggers); while shadowing only metrics measurable in shadow.</summary>
    public static IReadOnlyList<TriggerEvaluation> EvaluateTriggers(ReleasePlan plan, AnalysisSnapshot analysis, bool shadowing = false)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(analysis);
        var results = new List<TriggerEvaluation>();
        foreach (var trigger in plan.TriggerList)
        {
            if (!ReleaseMetrics.TryGet(trigger.Metric, out var metric) || (shadowing && !metric.InShadow))
            {
                continue;
            }

            results.AddRange(Evaluate(trigger, plan, analysis));
        }

        return results;
    }

    /// <summary>One trigger: one evaluation, or one per segment for a per-segment trigger.</summary>
    public static IReadOnlyList<TriggerEvaluation> Evaluate(RollbackTrigger trigger, ReleasePlan plan, AnalysisSnapshot analysis)
    {
        ArgumentNullException.ThrowIfNull(trigger);
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(analysis);
        var alpha = 1 - trigger.EffectiveConfidence;
        if (trigger.PerSegment is not { } attribute)
        {
            return [EvaluateOne(trigger, plan, analysis.Challenger, analysis.Control, null, alpha)];
        }

        var segments = (analysis.Segments ?? []).Where(s => s.Attribute == attribute).OrderBy(s => s.Value, StringComparer.Ordinal).ToList();
        if (segments.Count == 0)
        {
            var threshold = ThresholdOf(trigger);
            return
            [
                new TriggerEvaluation(trigger, $"{attribute}=*", null, null, null, threshold, 0, 0, trigger.EffectiveConfidence, TriggerVerdict.Inconclusive, null,
                    $"no '{attribute}' segments in the analysis yet"),
            ];
        }

        // Bonferroni: each of the K segments at α/K.
        var segmentAlpha = alpha / segments.Count;
        return segments.Select(s => EvaluateOne(trigger, plan, s.Challenger, s.Control, $"{attribute}={s.Value}", segmentAlpha)).ToArray();
    }

    /// <summary>Every promotion criterion of <paramref name="plan"/>.</summary>
    public static IReadOnlyList<PromotionEvaluation> EvaluatePromotion(ReleasePlan plan, AnalysisSnapshot analysis)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(analysis);
        return plan.PromotionList.Select(c => EvaluateCriterion(c, plan, analysis)).ToArray();
    }

    private static PromotionEvaluation EvaluateCriterion(PromotionCriterion criterion, ReleasePlan plan, AnalysisSnapshot analysis)
    {
        var metric = ReleaseMetrics.Get(criterion.Metric);
        var margin = criterion.NonInferiorMargin?.Fraction ?? 0;
        var threshold = metric.HigherIsBetter ? -margin : margin;
        var confidence = criterion.EffectiveConfidence;
        var a = analysis.Challenger.Get(criterion.Metric);
        var b = analysis.Control.Get(criterion.Metric);
        var interval = ConfidenceSequence.Difference(a.Events, a.Trials, b.Events, b.Trials, 1 - confidence, plan.MinSamplesPerStep);
        var min = MinSamplesFor(plan);
        if (interval is not { } ci || a.Trials < min || b.Trials < min)
        {
            return new PromotionEvaluation(criterion, interval?.Estimate, interval?.Lower, interval?.Upper, threshold, a.Trials, b.Trials, confidence, PromotionVerdict.Inconclusive,
                $"{criterion.Metric}: too few samples to judge ({a.Trials} challenger, {b.Trials} control; {min} each needed)");
        }

        var met = metric.HigherIsBetter ? ci.Lower > threshold : ci.Upper < threshold;
        var bound = metric.HigherIsBetter ? ci.Lower : ci.Upper;
        var reason = met
            ? $"{criterion.Metric}: challenger − control is confidently within the margin ({Points(bound)} {(metric.HigherIsBetter ? ">" : "<")} {Points(threshold)})"
            : $"{criterion.Metric}: non-inferiority not shown yet (interval [{Points(ci.Lower)}, {Points(ci.Upper)}] reaches past {Points(threshold)})";
        return new PromotionEvaluation(criterion, ci.Estimate, ci.Lower, ci.Upper, threshold, a.Trials, b.Trials, confidence, met ? PromotionVerdict.Met : PromotionVerdict.NotMet, reason);
    }

    private static TriggerEvaluation EvaluateOne(RollbackTrigger trigger, ReleasePlan plan, ArmCounts challenger, ArmCounts control, string? segment, double alpha)
    {
        var metric = ReleaseMetrics.Get(trigger.Metric);
        var key = ReleaseMetrics.CountKey(trigger.Metric, trigger.Max);
        var threshold = ThresholdOf(trigger);
        var confidence = 1 - alpha;
        var a = challenger.Get(key);
        var relative = trigger.EffectiveCompare == TriggerCompare.Control;
        var b = relative ? control.Get(key) : MetricCounts.Zero;
        var interval = relative
            ? ConfidenceSequence.Difference(a.Events, a.Trials, b.Events, b.Trials, alpha, plan.MinSamplesPerStep)
            : ConfidenceSequence.Proportion(a.Events, a.Trials, alpha, plan.MinSamplesPerStep);
        var where = segment is null ? trigger.Metric : $"{trigger.Metric} [{segment}]";
        var min = MinSamplesFor(plan);
        if (interval is not { } ci || a.Trials < min || (relative && b.Trials < min))
        {
            var counts = relative ? $"{a.Trials} challenger, {b.Trials} control; {min} each needed" : $"{a.Trials} challenger; {min} needed";
            return new TriggerEvaluation(trigger, segment, interval?.Estimate, interval?.Lower, interval?.Upper, threshold, a.Trials, b.Trials, confidence,
                TriggerVerdict.Inconclusive, null, $"{where}: too few samples to judge ({counts})");
        }

        // Lower is "worse is up": the bound that must cross the threshold is the lower one; else the upper one.
        var worseIsUp = !metric.HigherIsBetter;
        var breached = worseIsUp ? ci.Lower > threshold : ci.Upper < threshold;
        var margin = worseIsUp ? threshold - ci.Lower : ci.Upper - threshold;
        var shown = relative ? "challenger − control" : metric.Kind == MetricKind.Latency ? $"share slower than {trigger.Max}" : "challenger";
        var format = relative ? (Func<double, string>)Points : Share;
        var reason = breached
            ? $"{where}: {shown} is confidently {(worseIsUp ? "above" : "below")} {format(threshold)} (interval [{format(ci.Lower)}, {format(ci.Upper)}], {Share(confidence)} confidence)"
            : $"{where}: {shown} {format(ci.Estimate)}, interval [{format(ci.Lower)}, {format(ci.Upper)}]; fires {(worseIsUp ? "above" : "below")} {format(threshold)}";
        return new TriggerEvaluation(trigger, segment, ci.Estimate, ci.Lower, ci.Upper, threshold, a.Trials, b.Trials, confidence,
            breached ? TriggerVerdict.Breached : TriggerVerdict.Ok, margin, reason);
    }

    /// <summary>The bound a trigger's interval is judged against, as a fraction.</summary>
    public static double ThresholdOf(RollbackTrigger trigger)
    {
        ArgumentNullException.ThrowIfNull(trigger);
        var metric = ReleaseMetrics.Get(trigger.Metric);
        return (trigger.MaxDrop, trigger.MaxIncrease, trigger.Max, trigger.Min) switch
        {
            ({ } drop, _, _, _) => -drop.Fraction,
            (_, { } rise, _, _) => rise.Fraction,
            (_, _, { } max, _) when metric.Kind == MetricKind.Latency => metric.AllowedShareOver!.Value,
            (_, _, { } max, _) => max.Value / 100,
            (_, _, _, { } min) => min.Value / 100,
            _ => 0,
        };
    }

    private static string Share(double fraction) => (fraction * 100).ToString("0.###", CultureInfo.InvariantCulture) + "%";

    private static string Points(double fraction) => (fraction * 100).ToString("+0.###;-0.###;0", CultureInfo.InvariantCulture) + "pp";
}

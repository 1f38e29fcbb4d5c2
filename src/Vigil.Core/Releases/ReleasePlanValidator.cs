using Vigil.Registry;
using Vigil.Routing.Flags;

namespace Vigil.Releases;

/// <summary>
/// Checks a release plan and returns every error it finds, not only the first, so a person fixing a YAML plan sees all
/// of its mistakes at once. <see cref="Validate(ReleasePlan)"/> checks the plan alone (a template may leave the
/// challenger out); <see cref="ValidateForStart"/> also checks the challenger against the service's versions and aliases.
/// "One active release per service" is the store's rule (409), not this validator's.
/// </summary>
public static class ReleasePlanValidator
{
    public const int MaxSteps = 50;
    public const int MaxTriggers = 50;
    public const int MaxPromotionCriteria = 20;
    public const int MaxAttributeLength = 64;
    public const int MaxMinSamples = 100_000_000;

    /// <summary>The longest hold, shadow phase, interval or outcome window accepted.</summary>
    public static TimeSpan MaxDuration { get; } = TimeSpan.FromDays(365);

    /// <summary>Checks the plan alone; a null challenger is accepted (a template).</summary>
    public static IReadOnlyList<string> Validate(ReleasePlan plan)
    {
        ArgumentNullException.ThrowIfNull(plan);
        var errors = new List<string>();
        ValidatePlan(plan, errors);
        return errors;
    }

    /// <summary>
    /// Checks the plan for starting: everything <see cref="Validate(ReleasePlan)"/> checks, and that the challenger is
    /// given, is one of <paramref name="versions"/> and is not the champion in <paramref name="aliases"/>.
    /// </summary>
    public static IReadOnlyList<string> ValidateForStart(ReleasePlan plan, AliasSet aliases, IReadOnlySet<int> versions)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(aliases);
        ArgumentNullException.ThrowIfNull(versions);
        var errors = new List<string>();
        if (plan.Challenger is not { } challenger)
        {
            errors.Add("challenger: required: the version number to release");
        }
        else if (!versions.Contains(challenger))
        {
            var known = versions.Count == 0 ? "the service has no versions yet" : "versions: " + string.Join(", ", versions.Order());
            errors.Add($"challenger: version {challenger} does not exist in service '{plan.Service}' ({known})");
        }
        else if (aliases.Champion == challenger)
        {
            errors.Add($"challenger: version {challenger} is already the champion; release a different version");
        }

        if (aliases.Champion is null)
        {
            errors.Add($"service '{plan.Service}' has no champion to compare with; set one with 'vigil models alias {plan.Service} champion VERSION'");
        }

        ValidatePlan(plan, errors);
        return errors;
    }

    private static void ValidatePlan(ReleasePlan plan, List<string> errors)
    {
        if (!ServiceValidator.IsValidName(plan.Service))
        {
            errors.Add($"service: '{plan.Service}' is not a valid service name ({ServiceValidator.NameRule})");
        }

        if (plan.Challenger is { } challenger && challenger < 1)
        {
            errors.Add($"challenger: {challenger} is not a version number (versions are numbered from 1)");
        }

        if (!Enum.IsDefined(plan.Strategy))
        {
            errors.Add("strategy: use shadow, canary or progressive");
        }

        ValidateShadow(plan, errors);
        ValidateSteps(plan, errors);

        if (plan.MinSamplesPerStep is < 1 or > MaxMinSamples)
        {
            errors.Add($"min_samples_per_step: {plan.MinSamplesPerStep} must be from 1 to {MaxMinSamples}; it is the challenger samples a step needs before it may end");
        }

        CheckDuration(plan.AnalysisInterval, "analysis_interval", allowZero: false, errors);
        if (plan.AnalysisInterval is { } interval && interval.Value > TimeSpan.Zero && interval.Value < TimeSpan.FromSeconds(1))
        {
            errors.Add("analysis_interval: must be at least 1s");
        }

        CheckDuration(plan.OutcomeWindow, "outcome_window", allowZero: true, errors);

        ValidateTriggers(plan, errors);
        ValidatePromotion(plan, errors);
        ValidateApprovals(plan, errors);

        var comparesWithControl = plan.TriggerList.Any(t => t?.Compare == TriggerCompare.Control) || plan.PromotionList.Count > 0;
        var full = plan.StepList.Select((s, i) => (s, i)).FirstOrDefault(x => x.s is not null && x.s.Weight.Value == 100);
        if (comparesWithControl && full.s is not null)
        {
            errors.Add($"steps[{full.i}] (step {full.i + 1}): weight 100% leaves no control traffic for the triggers and promotion criteria that compare with the control; end at a lower weight (promotion moves the rest)");
        }
    }

    private static void ValidateShadow(ReleasePlan plan, List<string> errors)
    {
        if (plan.Shadow is not { } shadow)
        {
            if (plan.Strategy == ReleaseStrategy.Shadow)
            {
                errors.Add("shadow: required by strategy shadow, e.g. shadow: { sample: 100%, duration: 2d }");
            }

            return;
        }

        if (!IsWeight(shadow.Sample))
        {
            errors.Add($"shadow.sample: {shadow.Sample} must be within (0, 100%], with at most 4 decimals");
        }

        if (shadow.Duration.Value <= TimeSpan.Zero || shadow.Duration.Value > MaxDuration)
        {
            errors.Add($"shadow.duration: {shadow.Duration} must be positive and at most 365d");
        }
    }

    private static void ValidateSteps(ReleasePlan plan, List<string> errors)
    {
        var steps = plan.StepList;
        switch (plan.Strategy)
        {
            case ReleaseStrategy.Shadow when steps.Count > 0:
                errors.Add("steps: strategy shadow has no canary steps; use strategy canary or progressive to add steps after the shadow phase");
                return;
            case ReleaseStrategy.Canary when steps.Count == 0:
                errors.Add("steps: strategy canary needs at least one step, e.g. steps: [ { weight: 5%, hold: 1d } ]");
                return;
            case ReleaseStrategy.Progressive when steps.Count < 2:
                errors.Add($"steps: strategy progressive needs at least two rising steps (got {steps.Count}); use strategy canary for a single step");
                break;
        }

        if (steps.Count > MaxSteps)
        {
            errors.Add($"steps: at most {MaxSteps} steps are allowed, got {steps.Count}");
            return;
        }

        double? previous = null;
        for (var i = 0; i < steps.Count; i++)
        {
            var where = $"steps[{i}] (step {i + 1})";
            if (steps[i] is not { } step)
            {
                errors.Add($"{where}: is null");
                continue;
            }

            if (!IsWeight(step.Weight))
            {
                errors.Add($"{where}: weight {step.Weight} must be within (0, 100%], with at most 4 decimals (1 ppm)");
            }
            else if (previous is { } before && step.Weight.Value <= before)
            {
                errors.Add($"{where}: weight {step.Weight} must be above the previous step's {UnitText.Format(before)}%: weights rise from step to step");
            }

            if (IsWeight(step.Weight))
            {
                previous = step.Weight.Value;
            }

            if (step.Hold.Value <= TimeSpan.Zero || step.Hold.Value > MaxDuration)
            {
                errors.Add($"{where}: hold {step.Hold} must be positive and at most 365d");
            }
        }
    }

    private static void ValidateTriggers(ReleasePlan plan, List<string> errors)
    {
        var triggers = plan.TriggerList;
        if (plan.Strategy != ReleaseStrategy.Shadow && triggers.Count == 0 && Enum.IsDefined(plan.Strategy))
        {
            errors.Add("triggers: declare at least one rollback trigger before the release starts, e.g. { metric: error_rate, max: 2% }");
        }

        if (triggers.Count > MaxTriggers)
        {
            errors.Add($"triggers: at most {MaxTriggers} are allowed, got {triggers.Count}");
            return;
        }

        for (var i = 0; i < triggers.Count; i++)
        {
            var where = $"triggers[{i}]";
            if (triggers[i] is not { } trigger)
            {
                errors.Add($"{where}: is null");
                continue;
            }

            if (!ReleaseMetrics.TryGet(trigger.Metric, out var metric))
            {
                errors.Add($"{where}: unknown metric '{trigger.Metric}'; use one of {string.Join(", ", ReleaseMetrics.Names)}");
                continue;
            }

            where = $"{where} ({metric.Name})";
            CheckConfidence(trigger.Confidence, where, errors);
            if (trigger.PerSegment is { } attribute && (attribute.Length is 0 or > MaxAttributeLength || string.IsNullOrWhiteSpace(attribute)))
            {
                errors.Add($"{where}: per_segment must name a request attribute of 1–{MaxAttributeLength} characters");
            }

            var given = new List<string>();
            if (trigger.MaxDrop is not null)
            {
                given.Add("max_drop");
            }

            if (trigger.MaxIncrease is not null)
            {
                given.Add("max_increase");
            }

            if (trigger.Max is not null)
            {
                given.Add("max");
            }

            if (trigger.Min is not null)
            {
                given.Add("min");
            }

            var expected = ExpectedThreshold(metric, trigger.EffectiveCompare);
            if (metric.Kind == MetricKind.Latency && trigger.EffectiveCompare == TriggerCompare.Control)
            {
                errors.Add($"{where}: latency triggers are absolute: drop compare: control and give max, e.g. max: 250ms");
                continue;
            }

            if (!Enum.IsDefined(trigger.EffectiveCompare))
            {
                errors.Add($"{where}: compare must be control or absolute");
                continue;
            }

            if (given.Count != 1 || given[0] != expected)
            {
                var got = given.Count == 0 ? "none" : string.Join(", ", given);
                var hint = trigger.EffectiveCompare == TriggerCompare.Absolute && expected != given.FirstOrDefault() && given.Any(g => g.StartsWith("max_", StringComparison.Ordinal))
                    ? " (a margin against the control needs compare: control)"
                    : string.Empty;
                errors.Add($"{where}: with compare {Text(trigger.EffectiveCompare)} give exactly one threshold, {expected} ({Example(metric, expected)}); got {got}{hint}");
                continue;
            }

            switch (expected)
            {
                case "max_drop" or "max_increase":
                    var margin = (trigger.MaxDrop ?? trigger.MaxIncrease)!.Value;
                    if (margin.Value is < 0 or >= 100 || !double.IsFinite(margin.Value))
                    {
                        errors.Add($"{where}: {expected} {margin} must be from 0pp to below 100pp");
                    }

                    break;
                case "max" or "min":
                    var threshold = (trigger.Max ?? trigger.Min)!.Value;
                    CheckThreshold(metric, threshold, $"{where}: {expected}", errors);
                    break;
            }
        }
    }

    private static void ValidatePromotion(ReleasePlan plan, List<string> errors)
    {
        var criteria = plan.PromotionList;
        if (criteria.Count > MaxPromotionCriteria)
        {
            errors.Add($"promotion: at most {MaxPromotionCriteria} criteria are allowed, got {criteria.Count}");
            return;
        }

        if (plan.Strategy == ReleaseStrategy.Shadow && criteria.Count > 0)
        {
            errors.Add("promotion: strategy shadow is promoted by a person at the end of the shadow phase; criteria need canary steps");
        }

        for (var i = 0; i < criteria.Count; i++)
        {
            var where = $"promotion[{i}]";
            if (criteria[i] is not { } criterion)
            {
                errors.Add($"{where}: is null");
                continue;
            }

            if (!ReleaseMetrics.TryGet(criterion.Metric, out var metric))
            {
                errors.Add($"{where}: unknown metric '{criterion.Metric}'; use one of {string.Join(", ", ReleaseMetrics.Names.Where(n => ReleaseMetrics.Get(n).Kind != MetricKind.Latency))}");
                continue;
            }

            where = $"{where} ({metric.Name})";
            if (metric.Kind == MetricKind.Latency)
            {
                errors.Add($"{where}: latency has no non-inferiority criterion; guard it with a trigger such as {{ metric: {metric.Name}, max: 250ms }}");
            }

            if (criterion.Compare != TriggerCompare.Control)
            {
                errors.Add($"{where}: promotion criteria compare with the control: add compare: control");
            }

            if (criterion.NonInferiorMargin is not { } margin)
            {
                errors.Add($"{where}: non_inferior_margin: required, e.g. non_inferior_margin: 1pp");
            }
            else if (margin.Value is < 0 or >= 100 || !double.IsFinite(margin.Value))
            {
                errors.Add($"{where}: non_inferior_margin {margin} must be from 0pp to below 100pp");
            }

            CheckConfidence(criterion.Confidence, where, errors);
        }
    }

    private static void ValidateApprovals(ReleasePlan plan, List<string> errors)
    {
        var approvals = plan.ApprovalList;
        var stepCount = plan.StepList.Count;
        var seen = new HashSet<int>();
        for (var i = 0; i < approvals.Count; i++)
        {
            if (approvals[i] is not { } gate)
            {
                errors.Add($"approval[{i}]: is null");
                continue;
            }

            if (gate.BeforeStep < 1 || gate.BeforeStep > stepCount)
            {
                var range = stepCount == 0 ? "the plan has no steps" : $"steps are numbered 1 to {stepCount}";
                errors.Add($"approval[{i}]: before_step {gate.BeforeStep} does not refer to a step ({range})");
            }
            else if (!seen.Add(gate.BeforeStep))
            {
                errors.Add($"approval[{i}]: before_step {gate.BeforeStep} is declared twice");
            }
        }
    }

    private static string ExpectedThreshold(ReleaseMetric metric, TriggerCompare compare) => (compare, metric.HigherIsBetter) switch
    {
        (TriggerCompare.Control, true) => "max_drop",
        (TriggerCompare.Control, false) => "max_increase",
        (_, true) => "min",
        (_, false) => "max",
    };

    private static string Example(ReleaseMetric metric, string field) => field switch
    {
        "max_drop" => "max_drop: 3pp",
        "max_increase" => "max_increase: 1pp",
        "min" => "min: 60%",
        _ => metric.Kind == MetricKind.Latency ? "max: 250ms" : "max: 2%",
    };

    private static void CheckThreshold(ReleaseMetric metric, Threshold threshold, string where, List<string> errors)
    {
        if (metric.Kind == MetricKind.Latency)
        {
            if (threshold.Unit != ThresholdUnit.Milliseconds)
            {
                errors.Add($"{where}: {threshold} is not a latency; write milliseconds, e.g. 250ms");
            }
            else if (threshold.Value is <= 0 or > 3_600_000)
            {
                errors.Add($"{where}: {threshold} must be positive and at most one hour");
            }

            return;
        }

        if (threshold.Unit != ThresholdUnit.Percent)
        {
            errors.Add($"{where}: {metric.Name} is a share of requests; write a percentage, e.g. 2%");
        }
        else if (threshold.Value is <= 0 or >= 100)
        {
            errors.Add($"{where}: {threshold} must be above 0% and below 100%");
        }
    }

    private static void CheckConfidence(double? confidence, string where, List<string> errors)
    {
        if (confidence is { } c && !(c > 0.5 && c < 1))
        {
            errors.Add($"{where}: confidence {UnitText.Format(c)} must be above 0.5 and below 1 (default {UnitText.Format(ReleaseMetrics.DefaultConfidence)})");
        }
    }

    private static void CheckDuration(Duration? duration, string field, bool allowZero, List<string> errors)
    {
        if (duration is not { } d)
        {
            return;
        }

        if (d.Value < TimeSpan.Zero || (!allowZero && d.Value == TimeSpan.Zero) || d.Value > MaxDuration)
        {
            errors.Add($"{field}: {d} must be {(allowZero ? "zero or positive" : "positive")} and at most 365d");
        }
    }

    private static bool IsWeight(Percent percent) =>
        percent.Value > 0 && Bucketing.TryPercentToPpm(percent.Value, out _);

    private static string Text(TriggerCompare compare) => compare == TriggerCompare.Control ? "control" : "absolute";
}

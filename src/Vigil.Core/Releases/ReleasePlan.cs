using System.Text.Json.Serialization;

namespace Vigil.Releases;

/// <summary>
/// A release, declared up front and locked once started (docs/releases.md): how the <paramref name="Challenger"/> of a
/// service reaches users, which rules roll it back, and what must hold for it to become champion. The JSON of the API
/// and the YAML of the CLI have this one shape (snake_case keys; values with units are strings: "1%", "3pp", "250ms",
/// "2d"). Check it with <see cref="ReleasePlanValidator"/>.
/// </summary>
/// <param name="Service">The service released.</param>
/// <param name="Challenger">The version number to release; null only in a template.</param>
/// <param name="Strategy">shadow, canary or progressive.</param>
/// <param name="Shadow">The optional first phase (required for the shadow strategy).</param>
/// <param name="Steps">The canary steps, rising weights; the last one promotes when its conditions hold.</param>
/// <param name="MinSamplesPerStep">Challenger samples (with matured outcomes) a step or the shadow phase needs before it may end. Default 500.</param>
/// <param name="AnalysisInterval">Time between analysis ticks. Default 5m.</param>
/// <param name="OutcomeWindow">How long feedback may take to arrive: predictions younger than this are not counted. Default 1h.</param>
/// <param name="Triggers">Rollback rules agreed in advance; any breach rolls back within the tick.</param>
/// <param name="Promotion">What must hold, on the last step, to become champion.</param>
/// <param name="Approval">Human gates: a step listed here waits for <c>vigil release approve</c> before it starts.</param>
/// <param name="FallbackOnError">When true, a canary request whose challenger call fails is answered by the champion.</param>
public sealed record ReleasePlan(
    string Service,
    int? Challenger,
    ReleaseStrategy Strategy,
    ShadowPhase? Shadow = null,
    IReadOnlyList<ReleaseStep>? Steps = null,
    int MinSamplesPerStep = ReleasePlan.DefaultMinSamplesPerStep,
    Duration? AnalysisInterval = null,
    Duration? OutcomeWindow = null,
    IReadOnlyList<RollbackTrigger>? Triggers = null,
    IReadOnlyList<PromotionCriterion>? Promotion = null,
    IReadOnlyList<ApprovalGate>? Approval = null,
    bool FallbackOnError = false)
{
    public const int DefaultMinSamplesPerStep = 500;

    public static Duration DefaultAnalysisInterval { get; } = Duration.Minutes(5);

    public static Duration DefaultOutcomeWindow { get; } = Duration.Hours(1);

    /// <summary>The steps, never null.</summary>
    [JsonIgnore]
    public IReadOnlyList<ReleaseStep> StepList => Steps ?? [];

    /// <summary>The triggers, never null.</summary>
    [JsonIgnore]
    public IReadOnlyList<RollbackTrigger> TriggerList => Triggers ?? [];

    /// <summary>The promotion criteria, never null.</summary>
    [JsonIgnore]
    public IReadOnlyList<PromotionCriterion> PromotionList => Promotion ?? [];

    /// <summary>The approval gates, never null.</summary>
    [JsonIgnore]
    public IReadOnlyList<ApprovalGate> ApprovalList => Approval ?? [];

    /// <summary>The analysis interval, or its default.</summary>
    [JsonIgnore]
    public TimeSpan EffectiveAnalysisInterval => (AnalysisInterval ?? DefaultAnalysisInterval).Value;

    /// <summary>The outcome window, or its default.</summary>
    [JsonIgnore]
    public TimeSpan EffectiveOutcomeWindow => (OutcomeWindow ?? DefaultOutcomeWindow).Value;

    /// <summary>True when step <paramref name="step"/> (1-based) waits for a person's approval before it starts.</summary>
    public bool NeedsApprovalBefore(int step) => ApprovalList.Any(a => a is not null && a.BeforeStep == step);
}

/// <summary>The shadow phase: the challenger gets a copy of <paramref name="Sample"/> of requests for <paramref name="Duration"/>.</summary>
/// <param name="Sample">Share of requests copied to the challenger, e.g. "100%".</param>
/// <param name="Duration">How long the phase lasts at least, e.g. "2d".</param>
public sealed record ShadowPhase(Percent Sample, Duration Duration);

/// <summary>One canary step: the challenger serves <paramref name="Weight"/> of traffic for at least <paramref name="Hold"/>.</summary>
/// <param name="Weight">Share of traffic (sticky by key), e.g. "5%"; rising from step to step, in (0, 100%], at most 4 decimals (1 ppm).</param>
/// <param name="Hold">The least time the step lasts, e.g. "4d"; time spent paused does not count.</param>
public sealed record ReleaseStep(Percent Weight, Duration Hold);

/// <summary>
/// A rollback rule agreed in advance. Absolute (<c>compare</c> absent or <c>absolute</c>): <c>max</c> for metrics where
/// lower is better (error_rate 2%, latency_p99 250ms), <c>min</c> where higher is better. Relative
/// (<c>compare: control</c>): <c>max_drop</c> for metrics where higher is better (task_completed 3pp), <c>max_increase</c>
/// where lower is better. It fires only when the challenger is confidently beyond the threshold.
/// </summary>
/// <param name="Metric">One of <see cref="ReleaseMetrics.Names"/>.</param>
/// <param name="Compare">absolute (default) or control.</param>
/// <param name="MaxDrop">Relative: how far below the control the challenger may be, e.g. "3pp".</param>
/// <param name="MaxIncrease">Relative: how far above the control the challenger may be, e.g. "1pp".</param>
/// <param name="Max">Absolute upper bound, e.g. "2%" or "250ms".</param>
/// <param name="Min">Absolute lower bound, e.g. "60%".</param>
/// <param name="PerSegment">An attribute (country, plan …): evaluate in each of its segments, with a Bonferroni correction.</param>
/// <param name="Confidence">The confidence of the sequential interval, in (0.5, 1); default 0.95.</param>
public sealed record RollbackTrigger(
    string Metric,
    TriggerCompare? Compare = null,
    PercentagePoints? MaxDrop = null,
    PercentagePoints? MaxIncrease = null,
    Threshold? Max = null,
    Threshold? Min = null,
    string? PerSegment = null,
    double? Confidence = null)
{
    /// <summary>The comparison, absolute when not given.</summary>
    [JsonIgnore]
    public TriggerCompare EffectiveCompare => Compare ?? TriggerCompare.Absolute;

    /// <summary>The confidence, or the default 0.95.</summary>
    [JsonIgnore]
    public double EffectiveConfidence => Confidence ?? ReleaseMetrics.DefaultConfidence;

    /// <summary>How people read it: "task_completed: canary − control below −3pp".</summary>
    public string Describe()
    {
        var text = (MaxDrop, MaxIncrease, Max, Min) switch
        {
            ({ } drop, _, _, _) => $"{Metric} more than {drop} below control",
            (_, { } rise, _, _) => $"{Metric} more than {rise} above control",
            (_, _, { } max, _) => $"{Metric} above {max}",
            (_, _, _, { } min) => $"{Metric} below {min}",
            _ => Metric,
        };
        return PerSegment is null ? text : $"{text} in any {PerSegment} segment";
    }
}

/// <summary>
/// What must hold on the last step for the challenger to become champion: non-inferiority against the control,
/// i.e. the challenger is confidently no worse than the control by more than <paramref name="NonInferiorMargin"/>.
/// </summary>
/// <param name="Metric">One of <see cref="ReleaseMetrics.Names"/> (not a latency).</param>
/// <param name="Compare">Must be control.</param>
/// <param name="NonInferiorMargin">The margin, e.g. "1pp".</param>
/// <param name="Confidence">The confidence of the sequential interval, in (0.5, 1); default 0.95.</param>
public sealed record PromotionCriterion(
    string Metric,
    TriggerCompare? Compare = null,
    PercentagePoints? NonInferiorMargin = null,
    double? Confidence = null)
{
    /// <summary>The confidence, or the default 0.95.</summary>
    [JsonIgnore]
    public double EffectiveConfidence => Confidence ?? ReleaseMetrics.DefaultConfidence;
}

/// <summary>A human gate: step <paramref name="BeforeStep"/> (1-based) starts only after <c>vigil release approve</c>.</summary>
public sealed record ApprovalGate(int BeforeStep);

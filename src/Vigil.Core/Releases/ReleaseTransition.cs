namespace Vigil.Releases;

/// <summary>The actions of release transitions, as audit events name them.</summary>
public static class ReleaseActions
{
    public const string Started = "release.started";
    public const string Advanced = "release.advanced";
    public const string AwaitingApproval = "release.awaiting_approval";
    public const string Approved = "release.approved";
    public const string Paused = "release.paused";
    public const string Resumed = "release.resumed";
    public const string Promoted = "release.promoted";
    public const string RolledBack = "release.rolled_back";
    public const string Aborted = "release.aborted";

    /// <summary>The actor of transitions made by the control loop.</summary>
    public const string Controller = "vigil:controller";
}

/// <summary>
/// One change of a release's state, with the numbers behind it. The caller persists it (with the new state) before
/// acting on it, so a crash at any point resumes without skipping or repeating it.
/// </summary>
/// <param name="Sequence">The new state's <see cref="ReleaseState.Sequence"/>: 1 for the first transition.</param>
/// <param name="Action">One of <see cref="ReleaseActions"/>.</param>
/// <param name="FromPhase">The phase before.</param>
/// <param name="FromStep">The step before.</param>
/// <param name="ToPhase">The phase after.</param>
/// <param name="ToStep">The step after.</param>
/// <param name="At">When.</param>
/// <param name="Actor"><see cref="ReleaseActions.Controller"/> or the person who gave the command.</param>
/// <param name="Reason">Why, in one sentence.</param>
/// <param name="Triggers">The trigger evaluations behind it (for a rollback: those that fired first).</param>
/// <param name="Promotion">The promotion criteria's evaluations (for a promotion).</param>
/// <param name="FirstBreachAt">For a rollback: when the breach was first seen (the analysis snapshot's time).</param>
public sealed record ReleaseTransition(
    long Sequence,
    string Action,
    ReleasePhase FromPhase,
    int FromStep,
    ReleasePhase ToPhase,
    int ToStep,
    DateTimeOffset At,
    string Actor,
    string Reason,
    IReadOnlyList<TriggerEvaluation> Triggers,
    IReadOnlyList<PromotionEvaluation> Promotion,
    DateTimeOffset? FirstBreachAt = null);

/// <summary>What a tick decided.</summary>
public enum DecisionKind
{
    /// <summary>Nothing changes; <see cref="ReleaseDecision.Reason"/> says why.</summary>
    Hold,

    /// <summary>A pending release starts (shadow phase, first step, or waiting for its approval).</summary>
    Start,

    /// <summary>The shadow phase or a step is done: the next step starts.</summary>
    Advance,

    /// <summary>The next step needs a person's approval.</summary>
    AwaitApproval,

    /// <summary>The last step is done and the promotion criteria hold: challenger → champion.</summary>
    Promote,

    /// <summary>A trigger fired: challenger out of traffic, release flag off, aliases unchanged.</summary>
    RollBack,
}

/// <summary>The result of one analysis tick of <see cref="ReleaseStateMachine.Decide"/>.</summary>
/// <param name="Kind">What was decided.</param>
/// <param name="State">The state after (the same object when holding).</param>
/// <param name="Transition">The transition to persist before acting; null when holding.</param>
/// <param name="Reason">Why, for people (status shows it).</param>
/// <param name="Triggers">Every trigger evaluation of this tick (for status: estimate, interval, margin left).</param>
/// <param name="Promotion">The promotion criteria's evaluations, when they were judged this tick.</param>
public sealed record ReleaseDecision(
    DecisionKind Kind,
    ReleaseState State,
    ReleaseTransition? Transition,
    string Reason,
    IReadOnlyList<TriggerEvaluation> Triggers,
    IReadOnlyList<PromotionEvaluation> Promotion);

/// <summary>A state change caused by a person's command: the state after and the transition to persist.</summary>
public sealed record ReleaseChange(ReleaseState State, ReleaseTransition Transition);

using System.Globalization;

namespace Vigil.Releases;

/// <summary>
/// The release controller's rules, as pure functions (docs/releases.md, "State machine"). <see cref="Decide"/> is one
/// analysis tick; <see cref="Apply"/> is a person's command. Neither reads a clock or the store: the caller passes the
/// time and the counts, persists the returned transition and state (compare-and-set on <see cref="ReleaseState.Sequence"/>),
/// and only then acts on them (<see cref="ReleaseTraffic"/>, alias promotion, notification).
/// </summary>
/// <remarks>
/// Because a decision depends only on its inputs and every transition moves <see cref="ReleaseState.Sequence"/> forward,
/// a controller that crashes resumes correctly: if the crash came before the transition was persisted, the next tick
/// decides it again; if after, the persisted state already holds it, so it is neither skipped nor repeated.
/// </remarks>
public static class ReleaseStateMachine
{
    /// <summary>
    /// One analysis tick. In order: a terminal release holds; a pending one starts; any breached trigger rolls back
    /// (also while paused or awaiting approval); a paused or gated release holds; otherwise the step (or shadow phase)
    /// ends when its hold has passed, its minimum samples are in and no trigger is inconclusive, and then the next step
    /// starts, waits for approval, or — after the last step, when every promotion criterion is met — the release promotes.
    /// </summary>
    /// <param name="state">The persisted state.</param>
    /// <param name="plan">The locked plan (validated).</param>
    /// <param name="analysis">This tick's counts; null when none could be read (everything is inconclusive).</param>
    /// <param name="now">The time of the tick.</param>
    public static ReleaseDecision Decide(ReleaseState state, ReleasePlan plan, AnalysisSnapshot? analysis, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(plan);

        if (state.IsTerminal)
        {
            return Hold(state, $"the release is {Name(state.Phase)}; nothing to do", []);
        }

        if (state.Phase == ReleasePhase.Pending)
        {
            return Start(state, plan, now);
        }

        var phase = state.EffectivePhase;
        var triggers = analysis is null
            ? []
            : TriggerEvaluator.EvaluateTriggers(plan, analysis, shadowing: phase == ReleasePhase.Shadowing || (phase == ReleasePhase.AwaitingApproval && state.Step == 0));
        var breached = triggers.Where(t => t.Verdict == TriggerVerdict.Breached).ToArray();
        if (breached.Length > 0)
        {
            var next = state with { Phase = ReleasePhase.RolledBack, Pause = null, Sequence = state.Sequence + 1 };
            var reason = "rollback trigger fired: " + string.Join("; ", breached.Select(b => b.Reason));
            var transition = Transition(state, next, ReleaseActions.RolledBack, now, ReleaseActions.Controller, reason, breached, [], analysis!.AsOf);
            return new ReleaseDecision(DecisionKind.RollBack, next, transition, reason, triggers, []);
        }

        if (state.Phase == ReleasePhase.Paused)
        {
            var by = state.Pause is { KillSwitch: true } ? "the kill switch" : "a person";
            var since = state.Pause is { } p ? " since " + p.At.ToString("u", CultureInfo.InvariantCulture) : string.Empty;
            return Hold(state, $"paused by {by}{since}; resume to continue", triggers);
        }

        if (state.Phase == ReleasePhase.AwaitingApproval)
        {
            return Hold(state, $"awaiting approval before step {state.Step + 1}: run 'vigil release approve {plan.Service}'", triggers);
        }

        if (analysis is null)
        {
            return Hold(state, "no analysis data this tick: inconclusive, holding", triggers);
        }

        if (state.Phase == ReleasePhase.Canary && (state.Step < 1 || state.Step > plan.StepList.Count))
        {
            return Hold(state, $"step {state.Step} is not in the plan (it has {plan.StepList.Count} steps); amend the plan or abort", triggers);
        }

        var (hold, what) = state.Phase == ReleasePhase.Shadowing
            ? (plan.Shadow?.Duration.Value ?? TimeSpan.Zero, "shadow phase")
            : (plan.StepList[state.Step - 1].Hold.Value, $"step {state.Step}");
        var held = state.HeldAt(now);
        if (held < hold)
        {
            return Hold(state, $"{what}: held {new Duration(held)} of {new Duration(hold)}", triggers);
        }

        if (analysis.StepSamples < plan.MinSamplesPerStep)
        {
            return Hold(state, $"{what}: {analysis.StepSamples} of {plan.MinSamplesPerStep} samples", triggers);
        }

        var inconclusive = triggers.Where(t => t.Verdict == TriggerVerdict.Inconclusive).ToArray();
        if (inconclusive.Length > 0)
        {
            return Hold(state, $"{what}: inconclusive, holding: " + string.Join("; ", inconclusive.Select(t => t.Reason)), triggers);
        }

        if (state.Phase == ReleasePhase.Shadowing && plan.StepList.Count == 0)
        {
            return Hold(state, $"shadow phase complete: compare the results, then 'vigil release promote {plan.Service} --reason …' or 'vigil release abort'", triggers);
        }

        if (state.Step < plan.StepList.Count)
        {
            return Next(state, plan, now, $"{what} complete: held {new Duration(held)}, {analysis.StepSamples} samples, no trigger fired", triggers);
        }

        var promotion = TriggerEvaluator.EvaluatePromotion(plan, analysis);
        var unmet = promotion.Where(p => p.Verdict != PromotionVerdict.Met).ToArray();
        if (unmet.Length > 0)
        {
            return new ReleaseDecision(DecisionKind.Hold, state, null,
                "last step complete; promotion criteria not met yet: " + string.Join("; ", unmet.Select(p => p.Reason)), triggers, promotion);
        }

        var promoted = state with { Phase = ReleasePhase.Promoted, Sequence = state.Sequence + 1 };
        var why = promotion.Count == 0
            ? $"step {state.Step} complete, no trigger fired; no promotion criteria declared"
            : $"step {state.Step} complete, no trigger fired; promotion criteria met: " + string.Join("; ", promotion.Select(p => p.Reason));
        return new ReleaseDecision(DecisionKind.Promote, promoted,
            Transition(state, promoted, ReleaseActions.Promoted, now, ReleaseActions.Controller, why, triggers, promotion, null), why, triggers, promotion);
    }

    /// <summary>
    /// A person's command. Conflicts (a <see cref="FailureKind.Conflict"/>, HTTP 409): approving a release that is not
    /// awaiting approval, resuming one that is not paused, anything on a finished release. Abort and promote need a reason.
    /// </summary>
    public static Result<ReleaseChange> Apply(ReleaseState state, ReleaseCommand command)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(command);
        if (string.IsNullOrWhiteSpace(command.Actor))
        {
            return Failure.Invalid("a command needs the actor who gave it");
        }

        if (state.IsTerminal)
        {
            return Failure.Conflict($"the release is already {Name(state.Phase)}; nothing can change it");
        }

        var at = command.At;
        switch (command.Kind)
        {
            case ReleaseCommandKind.Pause or ReleaseCommandKind.KillSwitchOff:
                {
                    var killSwitch = command.Kind == ReleaseCommandKind.KillSwitchOff;
                    if (state.Phase == ReleasePhase.Paused)
                    {
                        if (!killSwitch || state.Pause is { KillSwitch: true })
                        {
                            return Failure.Conflict("the release is already paused");
                        }

                        var off = state with { Pause = state.Pause! with { KillSwitch = true, HeldByPerson = true }, Sequence = state.Sequence + 1 };
                        return Change(state, off, ReleaseActions.Paused, command, "kill switch off: challenger out of all traffic");
                    }

                    var paused = state with { Phase = ReleasePhase.Paused, Pause = new ReleasePause(at, state.Phase, killSwitch), Sequence = state.Sequence + 1 };
                    var reason = killSwitch ? "kill switch off: challenger out of all traffic" : "paused";
                    return Change(state, paused, ReleaseActions.Paused, command, command.Reason is { Length: > 0 } r ? $"{reason}: {r}" : reason);
                }

            case ReleaseCommandKind.KillSwitchOn when state.Pause is { KillSwitch: true, HeldByPerson: true } held:
                {
                    var back = state with { Pause = held with { KillSwitch = false, HeldByPerson = false }, Sequence = state.Sequence + 1 };
                    return Change(state, back, ReleaseActions.Paused, command, "release flag back on: the release stays paused as a person left it; resume it with 'vigil release resume'");
                }

            case ReleaseCommandKind.Resume or ReleaseCommandKind.KillSwitchOn:
                {
                    if (state.Phase != ReleasePhase.Paused || state.Pause is not { } pause)
                    {
                        return Failure.Conflict($"the release is {Name(state.Phase)}, not paused; only a paused release can be resumed");
                    }

                    var pausedFor = at > pause.At ? at - pause.At : TimeSpan.Zero;
                    var resumed = state with { Phase = pause.ResumeTo, Pause = null, PausedFor = state.PausedFor + pausedFor, Sequence = state.Sequence + 1 };
                    var reason = pause.KillSwitch ? "resumed: release flag back on" : "resumed";
                    return Change(state, resumed, ReleaseActions.Resumed, command, command.Reason is { Length: > 0 } r ? $"{reason}: {r}" : reason);
                }

            case ReleaseCommandKind.Approve:
                {
                    if (state.Phase != ReleasePhase.AwaitingApproval)
                    {
                        return Failure.Conflict($"the release is {Name(state.Phase)}, not awaiting approval; approve when status says 'awaiting_approval'");
                    }

                    var step = state.Step + 1;
                    var approved = state with { Phase = ReleasePhase.Canary, Step = step, StepStartedAt = at, PausedFor = TimeSpan.Zero, Sequence = state.Sequence + 1 };
                    return Change(state, approved, ReleaseActions.Approved, command, command.Reason is { Length: > 0 } r ? $"step {step} approved: {r}" : $"step {step} approved");
                }

            case ReleaseCommandKind.Abort:
                {
                    if (string.IsNullOrWhiteSpace(command.Reason))
                    {
                        return Failure.Invalid("abort needs a reason (--reason \"…\")");
                    }

                    var aborted = state with { Phase = ReleasePhase.Aborted, Pause = null, Sequence = state.Sequence + 1 };
                    return Change(state, aborted, ReleaseActions.Aborted, command, command.Reason);
                }

            case ReleaseCommandKind.Promote:
                {
                    if (string.IsNullOrWhiteSpace(command.Reason))
                    {
                        return Failure.Invalid("promote needs a reason (--reason \"…\")");
                    }

                    if (state.Phase == ReleasePhase.Pending)
                    {
                        return Failure.Conflict("the release has not started; a challenger is promoted after it has seen traffic");
                    }

                    var promoted = state with { Phase = ReleasePhase.Promoted, Pause = null, Sequence = state.Sequence + 1 };
                    return Change(state, promoted, ReleaseActions.Promoted, command, command.Reason);
                }

            default:
                return Failure.Invalid($"unknown command {command.Kind}");
        }
    }

    /// <summary>The state's phase as the API spells it: pending, shadowing, canary, awaiting_approval, paused, promoted, rolled_back, aborted.</summary>
    public static string Name(ReleasePhase phase) => VigilJson.Serialize(phase).Trim('"');

    private static ReleaseDecision Start(ReleaseState state, ReleasePlan plan, DateTimeOffset now)
    {
        if (plan.Shadow is not null)
        {
            var shadowing = state with { Phase = ReleasePhase.Shadowing, Step = 0, StepStartedAt = now, PausedFor = TimeSpan.Zero, Sequence = state.Sequence + 1 };
            const string reason = "release started: shadow phase";
            return new ReleaseDecision(DecisionKind.Start, shadowing,
                Transition(state, shadowing, ReleaseActions.Started, now, ReleaseActions.Controller, reason, [], [], null), reason, [], []);
        }

        var decision = Next(state, plan, now, "release started", []);
        return decision with { Kind = DecisionKind.Start, Transition = decision.Transition! with { Action = ReleaseActions.Started } };
    }

    private static ReleaseDecision Next(ReleaseState state, ReleasePlan plan, DateTimeOffset now, string why, IReadOnlyList<TriggerEvaluation> triggers)
    {
        var step = state.Step + 1;
        if (plan.NeedsApprovalBefore(step))
        {
            var waiting = state with { Phase = ReleasePhase.AwaitingApproval, Sequence = state.Sequence + 1 };
            var reason = $"{why}; step {step} needs approval";
            return new ReleaseDecision(DecisionKind.AwaitApproval, waiting,
                Transition(state, waiting, ReleaseActions.AwaitingApproval, now, ReleaseActions.Controller, reason, triggers, [], null), reason, triggers, []);
        }

        var advanced = state with { Phase = ReleasePhase.Canary, Step = step, StepStartedAt = now, PausedFor = TimeSpan.Zero, Sequence = state.Sequence + 1 };
        var text = $"{why}; step {step}: weight {plan.StepList[step - 1].Weight}";
        return new ReleaseDecision(DecisionKind.Advance, advanced,
            Transition(state, advanced, ReleaseActions.Advanced, now, ReleaseActions.Controller, text, triggers, [], null), text, triggers, []);
    }

    private static ReleaseDecision Hold(ReleaseState state, string reason, IReadOnlyList<TriggerEvaluation> triggers) =>
        new(DecisionKind.Hold, state, null, reason, triggers, []);

    private static Result<ReleaseChange> Change(ReleaseState from, ReleaseState to, string action, ReleaseCommand command, string reason) =>
        Result<ReleaseChange>.Ok(new ReleaseChange(to, Transition(from, to, action, command.At, command.Actor, reason, [], [], null)));

    private static ReleaseTransition Transition(
        ReleaseState from,
        ReleaseState to,
        string action,
        DateTimeOffset at,
        string actor,
        string reason,
        IReadOnlyList<TriggerEvaluation> triggers,
        IReadOnlyList<PromotionEvaluation> promotion,
        DateTimeOffset? firstBreachAt) =>
        new(to.Sequence, action, from.Phase, from.Step, to.Phase, to.Step, at, actor, reason, triggers, promotion, firstBreachAt);
}

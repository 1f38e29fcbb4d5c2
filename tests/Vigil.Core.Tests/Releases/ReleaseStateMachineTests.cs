using Vigil.Releases;

namespace Vigil.Core.Tests.Releases;

public sealed class ReleaseStateMachineTests
{
    private static readonly DateTimeOffset T0 = new(2025, 3, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly ReleasePlan Plan = ReleaseTestPlans.Issue;

    private static AnalysisSnapshot Healthy(DateTimeOffset at, long stepSamples = 5_000) =>
        new(at, stepSamples, ReleaseTestPlans.Arm(5_000, 3_500, 50, 20), ReleaseTestPlans.Arm(100_000, 70_000, 1_000, 400));

    private static ReleaseState Canary(int step, DateTimeOffset startedAt) => new(ReleasePhase.Canary, step, startedAt, TimeSpan.Zero, null, 5);

    [Fact]
    public void Pending_WithShadowPhase_StartsShadowing()
    {
        var d = ReleaseStateMachine.Decide(ReleaseState.Initial, Plan, null, T0);

        Assert.Equal(DecisionKind.Start, d.Kind);
        Assert.Equal(new ReleaseState(ReleasePhase.Shadowing, 0, T0, TimeSpan.Zero, null, 1), d.State);
        Assert.Equal(ReleaseActions.Started, d.Transition!.Action);
        Assert.Equal((ReleasePhase.Pending, ReleasePhase.Shadowing, 1L), (d.Transition.FromPhase, d.Transition.ToPhase, d.Transition.Sequence));
        Assert.Equal(new ReleaseTraffic(true, 1_000_000, 0), ReleaseTraffic.For(d.State, Plan));
    }

    [Fact]
    public void Pending_WithApprovalBeforeStep1_WaitsForIt()
    {
        var plan = Plan with { Shadow = null, Approval = [new ApprovalGate(1)] };

        var d = ReleaseStateMachine.Decide(ReleaseState.Initial, plan, null, T0);

        Assert.Equal(DecisionKind.Start, d.Kind);
        Assert.Equal(ReleasePhase.AwaitingApproval, d.State.Phase);
        Assert.Equal(0, d.State.Step);
        Assert.Equal(ReleaseTraffic.None, ReleaseTraffic.For(d.State, plan));
        var approved = ReleaseStateMachine.Apply(d.State, new ReleaseCommand(ReleaseCommandKind.Approve, "ana", T0.AddHours(1))).Unwrap();
        Assert.Equal((ReleasePhase.Canary, 1, T0.AddHours(1)), (approved.State.Phase, approved.State.Step, approved.State.StepStartedAt!.Value));
        Assert.Equal(10_000, ReleaseTraffic.For(approved.State, plan).CanaryWeightPpm);
    }

    [Fact]
    public void Step_AdvancesOnlyWhenHoldPassed_SamplesIn_AndNothingInconclusive()
    {
        var state = Canary(1, T0);

        Assert.Contains("held 1d23h of 2d", ReleaseStateMachine.Decide(state, Plan, Healthy(T0.AddHours(47)), T0.AddHours(47)).Reason, StringComparison.Ordinal);
        Assert.Contains("499 of 500 samples", ReleaseStateMachine.Decide(state, Plan, Healthy(T0.AddDays(2), 499), T0.AddDays(2)).Reason, StringComparison.Ordinal);
        var silent = ReleaseStateMachine.Decide(state, Plan, AnalysisSnapshot.Empty(T0.AddDays(3)) with { StepSamples = 900 }, T0.AddDays(3));
        Assert.Equal(DecisionKind.Hold, silent.Kind);
        Assert.Contains("inconclusive", silent.Reason, StringComparison.Ordinal);
        Assert.Equal(DecisionKind.Hold, ReleaseStateMachine.Decide(state, Plan, null, T0.AddDays(3)).Kind);

        var d = ReleaseStateMachine.Decide(state, Plan, Healthy(T0.AddDays(2)), T0.AddDays(2));
        Assert.Equal(DecisionKind.Advance, d.Kind);
        Assert.Equal((ReleasePhase.Canary, 2, T0.AddDays(2), 6L), (d.State.Phase, d.State.Step, d.State.StepStartedAt!.Value, d.State.Sequence));
        Assert.Equal(3, d.Transition!.Triggers.Count);
        Assert.Equal(50_000, ReleaseTraffic.For(d.State, Plan).CanaryWeightPpm);
    }

    [Fact]
    public void Step3Complete_WithApprovalBeforeStep4_AwaitsApproval_KeepsServingStep3_AndStillRollsBackOnABreach()
    {
        var d = ReleaseStateMachine.Decide(Canary(3, T0), Plan, Healthy(T0.AddDays(3)), T0.AddDays(3));

        Assert.Equal(DecisionKind.AwaitApproval, d.Kind);
        Assert.Equal((ReleasePhase.AwaitingApproval, 3), (d.State.Phase, d.State.Step));
        Assert.Equal(250_000, ReleaseTraffic.For(d.State, Plan).CanaryWeightPpm);
        Assert.Contains("awaiting approval before step 4", ReleaseStateMachine.Decide(d.State, Plan, Healthy(T0.AddDays(4)), T0.AddDays(4)).Reason, StringComparison.Ordinal);

        var bad = new AnalysisSnapshot(T0.AddDays(4), 5_000, ReleaseTestPlans.Arm(5_000, 3_500, 400, 20), ReleaseTestPlans.Arm(100_000, 70_000, 1_000, 400));
        Assert.Equal(DecisionKind.RollBack, ReleaseStateMachine.Decide(d.State, Plan, bad, T0.AddDays(4)).Kind);
    }

    [Fact]
    public void Canary_ErrorRateAboveTrigger_RollsBackWithinOneTick_WithTheTriggerNumbersAndFirstBreach()
    {
        var asOf = T0.AddHours(5).AddMinutes(-1);
        var bad = new AnalysisSnapshot(asOf, 300, ReleaseTestPlans.Arm(1_000, 700, 80, 5), ReleaseTestPlans.Arm(100_000, 70_000, 1_000, 400));

        var d = ReleaseStateMachine.Decide(Canary(1, T0), Plan, bad, T0.AddHours(5));

        Assert.Equal(DecisionKind.RollBack, d.Kind);
        Assert.Equal((ReleasePhase.RolledBack, 1), (d.State.Phase, d.State.Step));
        var t = d.Transition!;
        Assert.Equal(ReleaseActions.RolledBack, t.Action);
        Assert.Equal(ReleaseActions.Controller, t.Actor);
        Assert.Equal(asOf, t.FirstBreachAt);
        var fired = Assert.Single(t.Triggers);
        Assert.Equal(ReleaseMetrics.ErrorRate, fired.Metric);
        Assert.Equal(TriggerVerdict.Breached, fired.Verdict);
        Assert.True(fired.Lower > 0.02);
        Assert.Contains("error_rate", t.Reason, StringComparison.Ordinal);
        Assert.Equal(ReleaseTraffic.None, ReleaseTraffic.For(d.State, Plan));
        Assert.Equal(DecisionKind.Hold, ReleaseStateMachine.Decide(d.State, Plan, bad, T0.AddHours(6)).Kind);
    }

    [Fact]
    public void LastStep_PromotesOnlyWhenTheCriteriaAreMet()
    {
        var state = Canary(4, T0);
        var unsure = new AnalysisSnapshot(T0.AddDays(4), 5_000, ReleaseTestPlans.Arm(5_000, 3_450, 50, 20), ReleaseTestPlans.Arm(100_000, 70_000, 1_000, 400));
        var sure = new AnalysisSnapshot(T0.AddDays(4), 90_000, ReleaseTestPlans.Arm(90_000, 63_000, 900, 400), ReleaseTestPlans.Arm(90_000, 63_000, 900, 400));

        var hold = ReleaseStateMachine.Decide(state, Plan, unsure, T0.AddDays(4));
        Assert.Equal(DecisionKind.Hold, hold.Kind);
        Assert.Contains("promotion criteria not met yet", hold.Reason, StringComparison.Ordinal);
        Assert.Equal(PromotionVerdict.NotMet, Assert.Single(hold.Promotion).Verdict);

        var promote = ReleaseStateMachine.Decide(state, Plan, sure, T0.AddDays(4));
        Assert.Equal(DecisionKind.Promote, promote.Kind);
        Assert.Equal(ReleasePhase.Promoted, promote.State.Phase);
        Assert.Equal(PromotionVerdict.Met, Assert.Single(promote.Transition!.Promotion).Verdict);
        Assert.Equal(ReleaseTraffic.None, ReleaseTraffic.For(promote.State, Plan));
    }

    [Fact]
    public void ShadowStrategy_HoldsAtTheEndForAPerson()
    {
        var plan = new ReleasePlan("recommender", 3, ReleaseStrategy.Shadow, new ShadowPhase(new Percent(10), Duration.Days(1)), MinSamplesPerStep: 100,
            Triggers: [new RollbackTrigger(ReleaseMetrics.ErrorRate, Max: Threshold.Percent(2))]);
        var state = new ReleaseState(ReleasePhase.Shadowing, 0, T0, TimeSpan.Zero, null, 1);

        var d = ReleaseStateMachine.Decide(state, plan, Healthy(T0.AddDays(2)), T0.AddDays(2));

        Assert.Equal(DecisionKind.Hold, d.Kind);
        Assert.Contains("shadow phase complete", d.Reason, StringComparison.Ordinal);
        var promoted = ReleaseStateMachine.Apply(state, new ReleaseCommand(ReleaseCommandKind.Promote, "ana", T0.AddDays(2), "outputs agree 99.8%")).Unwrap();
        Assert.Equal(ReleasePhase.Promoted, promoted.State.Phase);
        Assert.Equal("outputs agree 99.8%", promoted.Transition.Reason);
    }

    [Fact]
    public void KillSwitch_PausesWithNoTraffic_PauseTimeDoesNotCountTowardsTheHold_AndResumeRestoresTraffic()
    {
        var state = Canary(1, T0);

        var off = ReleaseStateMachine.Apply(state, new ReleaseCommand(ReleaseCommandKind.KillSwitchOff, "flags-api", T0.AddHours(10))).Unwrap();
        Assert.Equal(ReleasePhase.Paused, off.State.Phase);
        Assert.Equal(ReleaseTraffic.None, ReleaseTraffic.For(off.State, Plan));
        Assert.Contains("paused by the kill switch", ReleaseStateMachine.Decide(off.State, Plan, Healthy(T0.AddDays(3)), T0.AddDays(3)).Reason, StringComparison.Ordinal);

        var resumed = ReleaseStateMachine.Apply(off.State, new ReleaseCommand(ReleaseCommandKind.Resume, "ana", T0.AddHours(16))).Unwrap();
        Assert.Equal((ReleasePhase.Canary, 1, TimeSpan.FromHours(6)), (resumed.State.Phase, resumed.State.Step, resumed.State.PausedFor));
        Assert.Equal(10_000, ReleaseTraffic.For(resumed.State, Plan).CanaryWeightPpm);
        Assert.Equal(DecisionKind.Hold, ReleaseStateMachine.Decide(resumed.State, Plan, Healthy(T0.AddDays(2)), T0.AddDays(2)).Kind);
        Assert.Equal(DecisionKind.Advance, ReleaseStateMachine.Decide(resumed.State, Plan, Healthy(T0.AddHours(54)), T0.AddHours(54)).Kind);
    }

    [Fact]
    public void KillSwitch_ThrownOnAPersonsPause_FlagBackOnReturnsToThatPause_WhileOnAnUnpausedReleaseItResumes()
    {
        var held = ReleaseStateMachine.Apply(Canary(1, T0), new ReleaseCommand(ReleaseCommandKind.Pause, "ana", T0.AddHours(1), "investigating")).Unwrap().State;
        var killed = ReleaseStateMachine.Apply(held, new ReleaseCommand(ReleaseCommandKind.KillSwitchOff, "flags-api", T0.AddHours(2))).Unwrap().State;
        Assert.Equal(ReleaseTraffic.None, ReleaseTraffic.For(killed, Plan));

        var flagOn = ReleaseStateMachine.Apply(killed, new ReleaseCommand(ReleaseCommandKind.KillSwitchOn, "vigil:controller", T0.AddHours(3))).Unwrap();

        Assert.Equal(ReleasePhase.Paused, flagOn.State.Phase);
        Assert.Equal(new ReleasePause(T0.AddHours(1), ReleasePhase.Canary, KillSwitch: false), flagOn.State.Pause);
        Assert.Equal(new ReleaseTraffic(true, 0, 10_000), ReleaseTraffic.For(flagOn.State, Plan));
        Assert.Contains("stays paused", flagOn.Transition.Reason, StringComparison.Ordinal);
        var resumed = ReleaseStateMachine.Apply(flagOn.State, new ReleaseCommand(ReleaseCommandKind.Resume, "ana", T0.AddHours(4))).Unwrap().State;
        Assert.Equal((ReleasePhase.Canary, TimeSpan.FromHours(3)), (resumed.Phase, resumed.PausedFor));

        var killedOnly = ReleaseStateMachine.Apply(Canary(1, T0), new ReleaseCommand(ReleaseCommandKind.KillSwitchOff, "flags-api", T0.AddHours(2))).Unwrap().State;
        var back = ReleaseStateMachine.Apply(killedOnly, new ReleaseCommand(ReleaseCommandKind.KillSwitchOn, "vigil:controller", T0.AddHours(3))).Unwrap().State;
        Assert.Equal(ReleasePhase.Canary, back.Phase);
    }

    [Fact]
    public void Paused_ABreachStillRollsBack()
    {
        var paused = ReleaseStateMachine.Apply(Canary(2, T0), new ReleaseCommand(ReleaseCommandKind.Pause, "ana", T0.AddHours(1), "investigating")).Unwrap().State;
        Assert.Equal(new ReleaseTraffic(true, 0, 50_000), ReleaseTraffic.For(paused, Plan));
        var bad = new AnalysisSnapshot(T0.AddHours(2), 3_000, ReleaseTestPlans.Arm(3_000, 1_500, 10, 5), ReleaseTestPlans.Arm(100_000, 70_000, 1_000, 400));

        var d = ReleaseStateMachine.Decide(paused, Plan, bad, T0.AddHours(2));

        Assert.Equal(DecisionKind.RollBack, d.Kind);
        Assert.Null(d.State.Pause);
    }

    [Theory]
    [InlineData(ReleaseCommandKind.Approve, null, FailureKind.Conflict, "not awaiting approval")]
    [InlineData(ReleaseCommandKind.Resume, null, FailureKind.Conflict, "not paused")]
    [InlineData(ReleaseCommandKind.Abort, null, FailureKind.Invalid, "abort needs a reason")]
    [InlineData(ReleaseCommandKind.Promote, " ", FailureKind.Invalid, "promote needs a reason")]
    public void Commands_ThatDoNotFit_AreRefused(ReleaseCommandKind kind, string? reason, FailureKind failure, string message)
    {
        var result = ReleaseStateMachine.Apply(Canary(2, T0), new ReleaseCommand(kind, "ana", T0, reason));

        Assert.False(result.IsSuccess);
        Assert.Equal(failure, result.Failure!.Kind);
        Assert.Contains(message, result.Failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void FinishedRelease_RefusesEveryCommand()
    {
        var aborted = ReleaseStateMachine.Apply(Canary(2, T0), new ReleaseCommand(ReleaseCommandKind.Abort, "ana", T0, "wrong version")).Unwrap();
        Assert.Equal((ReleasePhase.Aborted, "wrong version", "ana"), (aborted.State.Phase, aborted.Transition.Reason, aborted.Transition.Actor));

        foreach (var kind in Enum.GetValues<ReleaseCommandKind>())
        {
            var result = ReleaseStateMachine.Apply(aborted.State, new ReleaseCommand(kind, "ana", T0, "because"));
            Assert.Equal(FailureKind.Conflict, result.Failure!.Kind);
        }
    }

    [Fact]
    public void IssuePlan_GoodChallenger_GoesShadowThroughEveryStepToPromotion()
    {
        var run = ReleaseScenario.Run();

        Assert.Equal(
        [
            "release.started pending→shadowing/0",
            "release.advanced shadowing→canary/1",
            "release.paused canary→paused/1",
            "release.resumed paused→canary/1",
            "release.advanced canary→canary/2",
            "release.advanced canary→canary/3",
            "release.awaiting_approval canary→awaiting_approval/3",
            "release.approved awaiting_approval→canary/4",
            "release.promoted canary→promoted/4",
        ],
            run.Transitions.Select(t => $"{t.Action} {ReleaseStateMachine.Name(t.FromPhase)}→{ReleaseStateMachine.Name(t.ToPhase)}/{t.ToStep}"));
        Assert.Equal(Enumerable.Range(1, run.Transitions.Count).Select(i => (long)i), run.Transitions.Select(t => t.Sequence));

        // Shadow 2d; step 1 held 2d plus the 6h pause; then 4d, 3d, 3h waiting for approval, 4d: promoted on day 15.
        Assert.Equal(T0.AddHours(48), run.Transitions[1].At);
        Assert.Equal(T0.AddHours(48 + 48 + 6), run.Transitions[4].At);
        Assert.Equal(T0.AddHours(48 + 48 + 6 + 96 + 72 + 3 + 96), run.Transitions[^1].At);
        Assert.Equal(ReleasePhase.Promoted, run.Final.Phase);
        Assert.Equal(PromotionVerdict.Met, Assert.Single(run.Transitions[^1].Promotion).Verdict);
    }

    [Fact]
    public void CrashAtAnyPoint_ResumesWithoutSkippingOrRepeatingAStep()
    {
        var uninterrupted = ReleaseScenario.Run();
        var expected = uninterrupted.Transitions.Select(VigilJson.Serialize).ToList();
        Assert.True(uninterrupted.Ticks > 300);

        for (var tick = 0; tick < uninterrupted.Ticks; tick++)
        {
            // Killed after persisting this tick's state (and transition, if any), before acting on it.
            var afterPersist = ReleaseScenario.Run(crashAfterPersistAt: tick);
            Assert.Equal(expected, afterPersist.Transitions.Select(VigilJson.Serialize));
            Assert.Equal(uninterrupted.Final, afterPersist.Final);
        }

        foreach (var tick in uninterrupted.TransitionTicks)
        {
            // Killed after deciding, before persisting: the restarted controller decides the same tick again.
            var beforePersist = ReleaseScenario.Run(crashBeforePersistAt: tick);
            Assert.Equal(expected, beforePersist.Transitions.Select(VigilJson.Serialize));
            Assert.Equal(uninterrupted.Final, beforePersist.Final);
        }
    }

    [Fact]
    public void BadChallenger_IsRolledBackDuringItsCanary_AndCrashesDoNotRepeatTheRollback()
    {
        var run = ReleaseScenario.Run(canaryErrorPercent: 8);

        var last = run.Transitions[^1];
        Assert.Equal(ReleaseActions.RolledBack, last.Action);
        Assert.Equal(1, last.FromStep);
        Assert.Single(run.Transitions, t => t.Action == ReleaseActions.RolledBack);
        Assert.Contains(last.Triggers, t => t.Metric == ReleaseMetrics.ErrorRate && t.Verdict == TriggerVerdict.Breached);
        Assert.Equal(ReleaseTraffic.None, ReleaseTraffic.For(run.Final, Plan));

        foreach (var tick in run.TransitionTicks)
        {
            var crashed = ReleaseScenario.Run(canaryErrorPercent: 8, crashBeforePersistAt: tick);
            Assert.Equal(run.Transitions.Select(VigilJson.Serialize), crashed.Transitions.Select(VigilJson.Serialize));
        }
    }

    [Fact]
    public void StateAndTransitions_RoundTripThroughJson()
    {
        var paused = ReleaseStateMachine.Apply(Canary(2, T0), new ReleaseCommand(ReleaseCommandKind.KillSwitchOff, "ana", T0.AddHours(1))).Unwrap();
        var bad = new AnalysisSnapshot(T0.AddHours(2), 3_000, ReleaseTestPlans.Arm(3_000, 1_500, 10, 5), ReleaseTestPlans.Arm(100_000, 70_000, 1_000, 400));
        var rollback = ReleaseStateMachine.Decide(paused.State, Plan, bad, T0.AddHours(2)).Transition!;

        Assert.Equal(paused.State, VigilJson.Deserialize<ReleaseState>(VigilJson.Serialize(paused.State)));
        var json = VigilJson.Serialize(rollback);
        Assert.Contains("\"to_phase\":\"rolled_back\"", json, StringComparison.Ordinal);
        Assert.Contains("\"verdict\":\"breached\"", json, StringComparison.Ordinal);
        Assert.Equal(json, VigilJson.Serialize(VigilJson.Deserialize<ReleaseTransition>(json)));
    }
}

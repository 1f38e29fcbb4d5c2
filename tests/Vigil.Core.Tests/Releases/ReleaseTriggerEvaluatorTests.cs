using Vigil.Releases;

namespace Vigil.Core.Tests.Releases;

public sealed class ReleaseTriggerEvaluatorTests
{
    private static readonly DateTimeOffset T0 = new(2025, 3, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly ReleasePlan Plan = ReleaseTestPlans.Issue;

    private static TriggerEvaluation Only(ReleasePlan plan, string metric, AnalysisSnapshot snapshot) =>
        Assert.Single(TriggerEvaluator.EvaluateTriggers(plan, snapshot), e => e.Metric == metric);

    [Fact]
    public void ErrorRate_ConfidentlyAboveMax_Breaches_WithTheNumbers()
    {
        var snapshot = new AnalysisSnapshot(T0, 2_000, ReleaseTestPlans.Arm(2_000, 1_400, 120, 5), ReleaseTestPlans.Arm(50_000, 35_000, 500, 100));

        var e = Only(Plan, ReleaseMetrics.ErrorRate, snapshot);

        Assert.Equal(TriggerVerdict.Breached, e.Verdict);
        Assert.Equal(0.06, e.Estimate!.Value, 12);
        Assert.True(e.Lower > 0.02);
        Assert.Equal(0.02, e.Threshold);
        Assert.True(e.MarginLeft < 0);
        Assert.Equal(2_000, e.ChallengerSamples);
        Assert.Equal(0.95, e.Confidence);
        Assert.Contains("confidently above 2%", e.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void ErrorRate_SlightlyAboveMaxButNotConfidently_IsOk_WithLittleMarginLeft()
    {
        var snapshot = new AnalysisSnapshot(T0, 1_000, ReleaseTestPlans.Arm(1_000, 700, 25, 5), ReleaseTestPlans.Arm(50_000, 35_000, 500, 100));

        var e = Only(Plan, ReleaseMetrics.ErrorRate, snapshot);

        Assert.Equal(TriggerVerdict.Ok, e.Verdict);
        Assert.True(e.Estimate > 0.02);
        Assert.InRange(e.MarginLeft!.Value, 0, 0.02);
    }

    [Fact]
    public void TaskCompletion_ConfidentlyMoreThanMaxDropBelowControl_Breaches()
    {
        var snapshot = new AnalysisSnapshot(T0, 3_000, ReleaseTestPlans.Arm(3_000, 1_800, 10, 5), ReleaseTestPlans.Arm(60_000, 42_000, 600, 100));

        var e = Only(Plan, ReleaseMetrics.TaskCompleted, snapshot);

        Assert.Equal(TriggerVerdict.Breached, e.Verdict);
        Assert.Equal(-0.10, e.Estimate!.Value, 12);
        Assert.Equal(-0.03, e.Threshold, 12);
        Assert.True(e.Upper < -0.03);
        Assert.Equal(60_000, e.ControlSamples);
    }

    [Fact]
    public void TaskCompletion_DropWithinMargin_IsOk()
    {
        var snapshot = new AnalysisSnapshot(T0, 3_000, ReleaseTestPlans.Arm(3_000, 2_070, 10, 5), ReleaseTestPlans.Arm(60_000, 42_000, 600, 100));

        Assert.Equal(TriggerVerdict.Ok, Only(Plan, ReleaseMetrics.TaskCompleted, snapshot).Verdict);
    }

    [Fact]
    public void LatencyP99_IsJudgedAsTheShareSlowerThanTheThreshold_AgainstOnePercent()
    {
        var slow = new AnalysisSnapshot(T0, 2_000, ReleaseTestPlans.Arm(2_000, 1_400, 10, 80), ReleaseTestPlans.Arm(50_000, 35_000, 500, 300));
        var fine = new AnalysisSnapshot(T0, 2_000, ReleaseTestPlans.Arm(2_000, 1_400, 10, 15), ReleaseTestPlans.Arm(50_000, 35_000, 500, 300));

        var breached = Only(Plan, ReleaseMetrics.LatencyP99, slow);
        Assert.Equal(TriggerVerdict.Breached, breached.Verdict);
        Assert.Equal(0.01, breached.Threshold);
        Assert.Equal(0.04, breached.Estimate!.Value, 12);
        Assert.Contains("share slower than 250ms", breached.Reason, StringComparison.Ordinal);
        Assert.Equal(TriggerVerdict.Ok, Only(Plan, ReleaseMetrics.LatencyP99, fine).Verdict);
        Assert.Equal("latency_over_250ms", ReleaseMetrics.CountKey(ReleaseMetrics.LatencyP99, Threshold.Milliseconds(250)));
    }

    [Fact]
    public void TooFewSamples_IsInconclusive_EvenWhenTheEstimateLooksBad()
    {
        var snapshot = new AnalysisSnapshot(T0, 50, ReleaseTestPlans.Arm(50, 10, 25, 25), ReleaseTestPlans.Arm(50_000, 35_000, 500, 100));

        var evaluations = TriggerEvaluator.EvaluateTriggers(Plan, snapshot);

        Assert.All(evaluations, e => Assert.Equal(TriggerVerdict.Inconclusive, e.Verdict));
        Assert.Contains("too few samples", evaluations[0].Reason, StringComparison.Ordinal);
        Assert.All(TriggerEvaluator.EvaluateTriggers(Plan, AnalysisSnapshot.Empty(T0)), e => Assert.Null(e.Estimate));
    }

    [Fact]
    public void PlanWithFewMinSamples_StillNeedsThirtyPerArm_BeforeATriggerIsJudged()
    {
        // What CI once saw in the demo: a plan with min_samples_per_step 10, a good challenger's unlucky 0 of 10
        // completions against the champion's 32%. With ten trials the plug-in interval excluded -3pp; it must wait.
        var plan = Plan with { MinSamplesPerStep = 10 };
        var unlucky = new AnalysisSnapshot(T0, 10, ReleaseTestPlans.Arm(10, 0, 0, 0), ReleaseTestPlans.Arm(714, 228, 0, 0));
        var clear = new AnalysisSnapshot(T0, 60, ReleaseTestPlans.Arm(60, 0, 0, 0), ReleaseTestPlans.Arm(714, 228, 0, 0));

        var early = Only(plan, ReleaseMetrics.TaskCompleted, unlucky);
        var later = Only(plan, ReleaseMetrics.TaskCompleted, clear);

        Assert.Equal(30, TriggerEvaluator.MinSamplesFor(plan));
        Assert.Equal(TriggerVerdict.Inconclusive, early.Verdict);
        Assert.Contains("too few samples", early.Reason, StringComparison.Ordinal);
        Assert.Equal(TriggerVerdict.Breached, later.Verdict); // 0 of 60 against 32% is a real regression
    }

    [Fact]
    public void WhileShadowing_OnlyMetricsMeasurableInShadowAreJudged()
    {
        var snapshot = new AnalysisSnapshot(T0, 2_000, ReleaseTestPlans.Arm(2_000, 0, 10, 5), ReleaseTestPlans.Arm(50_000, 35_000, 500, 100));

        var metrics = TriggerEvaluator.EvaluateTriggers(Plan, snapshot, shadowing: true).Select(e => e.Metric).ToArray();

        Assert.Equal([ReleaseMetrics.ErrorRate, ReleaseMetrics.LatencyP99], metrics);
    }

    [Fact]
    public void PerSegmentTrigger_CatchesARegressionHiddenInOneMarket_WithBonferroniCorrection()
    {
        var plan = Plan with { Triggers = [new RollbackTrigger(ReleaseMetrics.TaskCompleted, TriggerCompare.Control, MaxDrop: new PercentagePoints(3), PerSegment: "country")] };
        var good = ReleaseTestPlans.Arm(3_000, 2_100, 10, 5);
        var control = ReleaseTestPlans.Arm(30_000, 21_000, 100, 50);
        var segments = new List<SegmentCounts>
        {
            new("country", "US", good, control),
            new("country", "FR", good, control),
            new("country", "DE", ReleaseTestPlans.Arm(3_000, 1_650, 10, 5), control), // 55% vs 70%
            new("device", "ios", good, control),
        };
        // Overall the regression is diluted: (2·2100 + 1650)/9000 = 65% vs 70%.
        var snapshot = new AnalysisSnapshot(T0, 9_000, ReleaseTestPlans.Arm(9_000, 5_850, 30, 15), ReleaseTestPlans.Arm(90_000, 63_000, 300, 150), segments);

        var evaluations = TriggerEvaluator.EvaluateTriggers(plan, snapshot);

        Assert.Equal(["country=DE", "country=FR", "country=US"], evaluations.Select(e => e.Segment));
        Assert.All(evaluations, e => Assert.Equal(1 - (0.05 / 3), e.Confidence, 12));
        Assert.Equal(TriggerVerdict.Breached, Assert.Single(evaluations, e => e.Segment == "country=DE").Verdict);
        Assert.All(evaluations.Where(e => e.Segment != "country=DE"), e => Assert.Equal(TriggerVerdict.Ok, e.Verdict));
    }

    [Fact]
    public void PerSegmentTrigger_WithoutSegmentData_IsInconclusive()
    {
        var plan = Plan with { Triggers = [new RollbackTrigger(ReleaseMetrics.ErrorRate, Max: Threshold.Percent(2), PerSegment: "country")] };

        var e = Assert.Single(TriggerEvaluator.EvaluateTriggers(plan, AnalysisSnapshot.Empty(T0)));

        Assert.Equal(TriggerVerdict.Inconclusive, e.Verdict);
        Assert.Equal("country=*", e.Segment);
    }

    [Fact]
    public void Promotion_NonInferiority_IsMetOnlyWhenTheLowerBoundClearsTheMargin()
    {
        var equal = new AnalysisSnapshot(T0, 60_000, ReleaseTestPlans.Arm(60_000, 42_000, 10, 5), ReleaseTestPlans.Arm(60_000, 42_000, 10, 5));
        var few = new AnalysisSnapshot(T0, 2_000, ReleaseTestPlans.Arm(2_000, 1_400, 10, 5), ReleaseTestPlans.Arm(60_000, 42_000, 10, 5));
        var worse = new AnalysisSnapshot(T0, 60_000, ReleaseTestPlans.Arm(60_000, 41_100, 10, 5), ReleaseTestPlans.Arm(60_000, 42_000, 10, 5));

        var met = Assert.Single(TriggerEvaluator.EvaluatePromotion(Plan, equal));
        Assert.Equal(PromotionVerdict.Met, met.Verdict);
        Assert.True(met.Lower > -0.01);
        Assert.Equal(-0.01, met.Threshold, 12);
        Assert.Equal(PromotionVerdict.NotMet, Assert.Single(TriggerEvaluator.EvaluatePromotion(Plan, few)).Verdict);
        Assert.Equal(PromotionVerdict.NotMet, Assert.Single(TriggerEvaluator.EvaluatePromotion(Plan, worse)).Verdict);
        Assert.Equal(PromotionVerdict.Inconclusive, Assert.Single(TriggerEvaluator.EvaluatePromotion(Plan, AnalysisSnapshot.Empty(T0))).Verdict);
    }

    [Fact]
    public void AnalysisRequirements_ListWhatTheCallerMustCount()
    {
        var plan = Plan with { Triggers = [.. Plan.TriggerList, new RollbackTrigger(ReleaseMetrics.Escalated, Max: Threshold.Percent(5), PerSegment: "country")] };

        var requirements = AnalysisRequirements.For(plan);

        Assert.Equal([ReleaseMetrics.TaskCompleted, ReleaseMetrics.ErrorRate, "latency_over_250ms", ReleaseMetrics.Escalated], requirements.CountKeys);
        Assert.Equal(["country"], requirements.SegmentAttributes);
        Assert.Equal([250.0], requirements.LatencyThresholdsMs);
    }
}

using Vigil.Registry;
using Vigil.Releases;

namespace Vigil.Core.Tests.Releases;

public sealed class ReleasePlanValidatorTests
{
    private static readonly AliasSet Aliases = new(Champion: 2, Challenger: null, PreviousChampion: 1, Revision: 7);
    private static readonly HashSet<int> Versions = [1, 2, 3];

    [Fact]
    public void IssuePlan_IsValid()
    {
        Assert.Empty(ReleasePlanValidator.Validate(ReleaseTestPlans.Issue));
        Assert.Empty(ReleasePlanValidator.ValidateForStart(ReleaseTestPlans.Issue, Aliases, Versions));
    }

    [Fact]
    public void Template_WithoutChallenger_IsValidButCannotStart()
    {
        var template = ReleaseTestPlans.Issue with { Challenger = null };

        Assert.Empty(ReleasePlanValidator.Validate(template));
        var error = Assert.Single(ReleasePlanValidator.ValidateForStart(template, Aliases, Versions));
        Assert.Contains("challenger: required", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(2, "already the champion")]
    [InlineData(9, "does not exist")]
    public void Challenger_MustExistAndDifferFromTheChampion(int challenger, string expected)
    {
        var errors = ReleasePlanValidator.ValidateForStart(ReleaseTestPlans.Issue with { Challenger = challenger }, Aliases, Versions);

        Assert.Contains(errors, e => e.Contains(expected, StringComparison.Ordinal));
    }

    [Fact]
    public void ServiceWithoutChampion_CannotStartARelease()
    {
        var errors = ReleasePlanValidator.ValidateForStart(ReleaseTestPlans.Issue, AliasSet.Empty, Versions);

        Assert.Contains(errors, e => e.Contains("no champion", StringComparison.Ordinal));
    }

    [Fact]
    public void InvalidPlan_ReportsEveryErrorAtOnce()
    {
        var plan = ReleaseTestPlans.Issue with
        {
            Service = "Recommender!",
            Shadow = new ShadowPhase(new Percent(0), new Duration(TimeSpan.Zero)),
            Steps =
            [
                new ReleaseStep(new Percent(5), Duration.Days(1)),
                new ReleaseStep(new Percent(5), Duration.Days(1)),      // not rising
                new ReleaseStep(new Percent(150), Duration.Days(1)),    // above 100%
                new ReleaseStep(new Percent(60), new Duration(TimeSpan.Zero)), // hold not positive
            ],
            MinSamplesPerStep = 0,
            Triggers =
            [
                new RollbackTrigger("happiness", Max: Threshold.Percent(2)),                                         // unknown metric
                new RollbackTrigger(ReleaseMetrics.TaskCompleted, MaxDrop: new PercentagePoints(3)),                 // max_drop without compare: control
                new RollbackTrigger(ReleaseMetrics.ErrorRate, Max: Threshold.Milliseconds(2)),                       // wrong unit
                new RollbackTrigger(ReleaseMetrics.LatencyP99, TriggerCompare.Control, MaxIncrease: new PercentagePoints(1)), // latency is absolute
                new RollbackTrigger(ReleaseMetrics.ErrorRate, Max: Threshold.Percent(2), Confidence: 0.4),           // confidence out of range
                new RollbackTrigger(ReleaseMetrics.ErrorRate, Max: Threshold.Percent(2), Min: Threshold.Percent(1)), // two thresholds
            ],
            Promotion = [new PromotionCriterion(ReleaseMetrics.TaskCompleted, null, null)],
            Approval = [new ApprovalGate(7)],
        };

        var errors = ReleasePlanValidator.Validate(plan);

        string[] expected =
        [
            "service:", "shadow.sample", "shadow.duration", "steps[1] (step 2): weight 5% must be above", "steps[2] (step 3): weight 150%",
            "steps[3] (step 4): hold 0s", "min_samples_per_step", "unknown metric 'happiness'", "(a margin against the control needs compare: control)",
            "is a share of requests; write a percentage", "latency triggers are absolute", "confidence 0.4", "give exactly one threshold, max", "promotion[0] (task_completed): promotion criteria compare with the control",
            "non_inferior_margin: required", "before_step 7 does not refer to a step",
        ];
        foreach (var fragment in expected)
        {
            Assert.True(errors.Any(e => e.Contains(fragment, StringComparison.Ordinal)), $"missing '{fragment}' in:\n{string.Join("\n", errors)}");
        }

        Assert.True(expected.Length == errors.Count, string.Join("\n", errors));
    }

    [Fact]
    public void StrategyRules_ShadowNeedsAShadowPhase_CanaryAndProgressiveNeedSteps()
    {
        var shadow = ReleasePlanValidator.Validate(new ReleasePlan("recommender", 3, ReleaseStrategy.Shadow, Steps: [new ReleaseStep(new Percent(5), Duration.Days(1))]));
        Assert.Contains(shadow, e => e.StartsWith("shadow: required", StringComparison.Ordinal));
        Assert.Contains(shadow, e => e.StartsWith("steps: strategy shadow has no canary steps", StringComparison.Ordinal));

        var trigger = new RollbackTrigger(ReleaseMetrics.ErrorRate, Max: Threshold.Percent(2));
        var canary = ReleasePlanValidator.Validate(new ReleasePlan("recommender", 3, ReleaseStrategy.Canary, Triggers: [trigger]));
        Assert.Contains(canary, e => e.StartsWith("steps: strategy canary needs at least one step", StringComparison.Ordinal));

        var progressive = ReleasePlanValidator.Validate(new ReleasePlan("recommender", 3, ReleaseStrategy.Progressive, Steps: [new ReleaseStep(new Percent(5), Duration.Days(1))], Triggers: [trigger]));
        Assert.Contains(progressive, e => e.StartsWith("steps: strategy progressive needs at least two", StringComparison.Ordinal));

        var shadowOnly = new ReleasePlan("recommender", 3, ReleaseStrategy.Shadow, new ShadowPhase(new Percent(10), Duration.Days(1)));
        Assert.Empty(ReleasePlanValidator.Validate(shadowOnly));
    }

    [Fact]
    public void CanaryWithoutTriggers_IsRefused()
    {
        var plan = ReleaseTestPlans.Issue with { Triggers = [], Promotion = [] };

        Assert.Contains(ReleasePlanValidator.Validate(plan), e => e.StartsWith("triggers: declare at least one rollback trigger", StringComparison.Ordinal));
    }

    [Fact]
    public void FullWeightStep_WithControlComparisons_IsRefused()
    {
        var plan = ReleaseTestPlans.Issue with
        {
            Steps = [new ReleaseStep(new Percent(10), Duration.Days(1)), new ReleaseStep(new Percent(100), Duration.Days(1))],
            Approval = [],
        };

        Assert.Contains(ReleasePlanValidator.Validate(plan), e => e.Contains("weight 100% leaves no control traffic", StringComparison.Ordinal));
        var absoluteOnly = plan with { Triggers = [new RollbackTrigger(ReleaseMetrics.ErrorRate, Max: Threshold.Percent(2))], Promotion = [] };
        Assert.Empty(ReleasePlanValidator.Validate(absoluteOnly));
    }

    [Theory]
    [InlineData(ReleaseMetrics.TaskCompleted, "max_drop")]
    [InlineData(ReleaseMetrics.Accepted, "max_drop")]
    [InlineData(ReleaseMetrics.Accuracy, "max_drop")]
    [InlineData(ReleaseMetrics.Escalated, "max_increase")]
    [InlineData(ReleaseMetrics.ErrorRate, "max_increase")]
    public void RelativeTrigger_TakesTheMarginMatchingTheMetricsDirection(string metric, string field)
    {
        var drop = new RollbackTrigger(metric, TriggerCompare.Control, MaxDrop: new PercentagePoints(2));
        var rise = new RollbackTrigger(metric, TriggerCompare.Control, MaxIncrease: new PercentagePoints(2));
        var good = field == "max_drop" ? drop : rise;
        var bad = field == "max_drop" ? rise : drop;

        Assert.Empty(ReleasePlanValidator.Validate(ReleaseTestPlans.Issue with { Triggers = [good] }));
        Assert.Contains(ReleasePlanValidator.Validate(ReleaseTestPlans.Issue with { Triggers = [bad] }), e => e.Contains($"give exactly one threshold, {field}", StringComparison.Ordinal));
    }

    [Fact]
    public void EveryMetric_IsDefinedOnce()
    {
        Assert.Equal(ReleaseMetrics.Names.Count, ReleaseMetrics.Names.Distinct().Count());
        Assert.Equal(
            [ReleaseMetrics.TaskCompleted, ReleaseMetrics.Accepted, ReleaseMetrics.Escalated, ReleaseMetrics.Accuracy, ReleaseMetrics.ErrorRate, ReleaseMetrics.LatencyP99, ReleaseMetrics.LatencyP50],
            ReleaseMetrics.Names);
        Assert.Equal(0.01, ReleaseMetrics.Get(ReleaseMetrics.LatencyP99).AllowedShareOver);
        Assert.Equal(0.5, ReleaseMetrics.Get(ReleaseMetrics.LatencyP50).AllowedShareOver);
    }
}

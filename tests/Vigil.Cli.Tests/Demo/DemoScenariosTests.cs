using System.Text.Json;
using Vigil.Cli.Demo;
using Vigil.Releases;

namespace Vigil.Cli.Tests.Demo;

public sealed class DemoScenariosTests
{
    [Fact]
    public void Defaults_PlayBaselineThenTheSchemaChangeThenTheBadCanaryThenTheRolloutThenTheRetrainingLoop() =>
        Assert.Equal(
            [DemoScenarios.Baseline, DemoScenarios.SchemaChange, DemoScenarios.BadCanary, DemoScenarios.Rollout, DemoScenarios.QaPipeline, DemoScenarios.Retraining],
            DemoRunner.DefaultScenarios().Select(s => s.Name));

    [Fact]
    public void Parse_CommaList_WithBaselineForShort_InTheOrderGiven()
    {
        var names = DemoScenarios.Parse(" rollout, baseline ,bad-canary");

        Assert.Equal(["rollout", "baseline", "bad-canary"], names);
        Assert.Equal(
            [DemoScenarios.Rollout, DemoScenarios.Baseline, DemoScenarios.BadCanary],
            DemoScenarios.Create(names).Select(s => s.Name));
    }

    [Fact]
    public void Parse_Nothing_IsEveryScenario()
    {
        Assert.Equal(DemoScenarios.Names, DemoScenarios.Parse(null));
        Assert.Equal(DemoScenarios.Names, DemoScenarios.Parse(" "));
    }

    [Theory]
    [InlineData("baseline", DemoScenarios.Baseline)]
    [InlineData("Baseline-Traffic", DemoScenarios.Baseline)]
    [InlineData("BAD-CANARY", DemoScenarios.BadCanary)]
    [InlineData("rollout", DemoScenarios.Rollout)]
    [InlineData("canary", null)]
    public void Canonical_KnowsTheNames(string name, string? expected) => Assert.Equal(expected, DemoScenarios.Canonical(name));

    [Fact]
    public void BadCanaryPlan_IsAValidCanaryPlan_WithTheAgreedTriggers()
    {
        var plan = Read(BadCanaryScenario.Plan(2));

        Assert.Empty(ReleasePlanValidator.Validate(plan));
        Assert.Equal(ReleaseStrategy.Canary, plan.Strategy);
        Assert.Equal([5.0, 25.0], plan.StepList.Select(s => s.Weight.Value));
        Assert.Equal(200, plan.MinSamplesPerStep);
        Assert.Equal(TimeSpan.FromMinutes(5), plan.EffectiveAnalysisInterval);
        Assert.Equal(TimeSpan.FromHours(1), plan.EffectiveOutcomeWindow);
        Assert.Equal(["task_completed", "error_rate"], plan.TriggerList.Select(t => t.Metric));
    }

    [Fact]
    public void RolloutPlan_IsShadowThenFourSteps_OverFifteenDays()
    {
        var plan = Read(RolloutScenario.Plan(3, DemoSettings.DefaultRolloutRequestsPerDay));

        Assert.Empty(ReleasePlanValidator.Validate(plan));
        Assert.Equal(ReleaseStrategy.Progressive, plan.Strategy);
        Assert.Equal(100.0, plan.Shadow!.Sample.Value);
        Assert.Equal([1.0, 5.0, 25.0, 50.0], plan.StepList.Select(s => s.Weight.Value));
        Assert.Equal(TimeSpan.FromDays(15), plan.Shadow.Duration.Value + plan.StepList.Aggregate(TimeSpan.Zero, (sum, s) => sum + s.Hold.Value));
    }

    [Theory]
    [InlineData(500)]
    [InlineData(1_500)]
    [InlineData(100_000)]
    public void RolloutMinSamples_AreReachableInTheOnePercentStep(int requestsPerDay)
    {
        var min = RolloutScenario.MinSamplesPerStep(requestsPerDay);
        var expectedInOnePercentStep = requestsPerDay * 2 * 0.01;

        Assert.InRange(min, 10, Math.Max(10, expectedInOnePercentStep / 2));
    }

    private static ReleasePlan Read(System.Text.Json.Nodes.JsonObject json) =>
        JsonSerializer.Deserialize<ReleasePlan>(json.ToJsonString(), VigilJson.Options)!;
}

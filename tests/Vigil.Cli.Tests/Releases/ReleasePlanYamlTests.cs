using Vigil.Cli.Releases;
using Vigil.Releases;

namespace Vigil.Cli.Tests.Releases;

public sealed class ReleasePlanYamlTests
{
    /// <summary>The plan of issue 3, verbatim.</summary>
    private const string IssueYaml = """
        service: recommender
        challenger: 3            # model version
        strategy: progressive    # shadow | canary | progressive
        shadow: { sample: 100%, duration: 2d }         # optional first phase
        steps:                    # the default schedule for progressive: full release on day 14
          - { weight: 1%,  hold: 2d }   # day 1-3
          - { weight: 5%,  hold: 4d }   # day 3-7
          - { weight: 25%, hold: 3d }   # day 7-10
          - { weight: 50%, hold: 4d }   # day 10-14, then promotion to 100%
        min_samples_per_step: 500
        analysis_interval: 5m
        outcome_window: 1h        # how long feedback may take to arrive
        triggers:                 # rollback rules, agreed in advance
          - { metric: task_completed, compare: control, max_drop: 3pp }
          - { metric: error_rate, max: 2% }
          - { metric: latency_p99, max: 250ms }
        promotion:                # what must hold to become champion
          - { metric: task_completed, compare: control, non_inferior_margin: 1pp }
        approval: [ { before_step: 4 } ]   # human gates, only where declared
        fallback_on_error: true
        """;

    [Fact]
    public void IssuePlan_Parses_IntoTheSameModelAsTheApiJson()
    {
        var result = ReleasePlanYaml.Read(IssueYaml);

        Assert.True(result.IsValid, string.Join("\n", result.Errors));
        var plan = result.Plan!;
        Assert.Equal(("recommender", 3, ReleaseStrategy.Progressive), (plan.Service, plan.Challenger!.Value, plan.Strategy));
        Assert.Equal(new ShadowPhase(new Percent(100), Duration.Days(2)), plan.Shadow);
        Assert.Equal(
            [new ReleaseStep(new Percent(1), Duration.Days(2)), new ReleaseStep(new Percent(5), Duration.Days(4)), new ReleaseStep(new Percent(25), Duration.Days(3)), new ReleaseStep(new Percent(50), Duration.Days(4))],
            plan.StepList);
        Assert.Equal(500, plan.MinSamplesPerStep);
        Assert.Equal(TimeSpan.FromMinutes(5), plan.EffectiveAnalysisInterval);
        Assert.Equal(TimeSpan.FromHours(1), plan.EffectiveOutcomeWindow);
        Assert.Equal(
            [
                new RollbackTrigger(ReleaseMetrics.TaskCompleted, TriggerCompare.Control, MaxDrop: new PercentagePoints(3)),
                new RollbackTrigger(ReleaseMetrics.ErrorRate, Max: Threshold.Percent(2)),
                new RollbackTrigger(ReleaseMetrics.LatencyP99, Max: Threshold.Milliseconds(250)),
            ],
            plan.TriggerList);
        Assert.Equal([new PromotionCriterion(ReleaseMetrics.TaskCompleted, TriggerCompare.Control, new PercentagePoints(1))], plan.PromotionList);
        Assert.Equal([new ApprovalGate(4)], plan.ApprovalList);
        Assert.True(plan.FallbackOnError);

        // The JSON sent to the API reads back to the same plan.
        var again = VigilJson.Deserialize<ReleasePlan>(result.Json!)!;
        Assert.Equal(plan.StepList, again.StepList);
        Assert.Equal(plan.TriggerList, again.TriggerList);
        Assert.Contains("\"weight\":\"1%\"", result.Json, StringComparison.Ordinal);
    }

    [Fact]
    public void Json_IsReadToo()
    {
        var result = ReleasePlanYaml.Read("""
            { "service": "fraud", "challenger": 2, "strategy": "canary",
              "steps": [ { "weight": "0.5%", "hold": "90s" } ], "triggers": [ { "metric": "error_rate", "max": "1%" } ] }
            """);

        Assert.True(result.IsValid, string.Join("\n", result.Errors));
        Assert.Equal(new ReleaseStep(new Percent(0.5), Duration.Seconds(90)), Assert.Single(result.Plan!.StepList));
    }

    [Fact]
    public void StructuralMistakes_AreAllReported_WithTheirLines()
    {
        const string yaml = """
            service: recommender
            challenger: 3
            strategy: progressive
            colour: blue
            steps:
              - { weight: 1%, hold: 2d, wait: 1h }
              - weight: 5%
                hold: [ 4d ]
            triggers: { metric: error_rate, max: 2% }
            """;

        var result = ReleasePlanYaml.Read(yaml);

        Assert.False(result.IsValid);
        Assert.Contains(result.Errors, e => e.StartsWith("line 4: unknown key 'colour' in the plan", StringComparison.Ordinal));
        Assert.Contains(result.Errors, e => e.StartsWith("line 6: unknown key 'wait' in steps[0]", StringComparison.Ordinal));
        Assert.Contains(result.Errors, e => e.StartsWith("line 8: steps[1].hold: expected a single value", StringComparison.Ordinal));
        Assert.Contains(result.Errors, e => e.StartsWith("line 9: triggers: expected a list", StringComparison.Ordinal));
        Assert.Equal(4, result.Errors.Count);
    }

    [Fact]
    public void BadUnit_IsReportedWithItsLine()
    {
        var result = ReleasePlanYaml.Read(IssueYaml.Replace("{ weight: 5%,  hold: 4d }", "{ weight: 5,  hold: 4d }", StringComparison.Ordinal));

        var error = Assert.Single(result.Errors);
        Assert.StartsWith("line 7: steps[1].weight: a percentage needs its unit", error, StringComparison.Ordinal);
    }

    [Fact]
    public void RuleViolations_AreAllReported_WithLinesWhereKnown()
    {
        var yaml = IssueYaml
            .Replace("{ weight: 25%, hold: 3d }", "{ weight: 4%, hold: 0s }", StringComparison.Ordinal)
            .Replace("metric: error_rate, max: 2%", "metric: error_rat, max: 2%", StringComparison.Ordinal)
            .Replace("before_step: 4", "before_step: 9", StringComparison.Ordinal);

        var result = ReleasePlanYaml.Read(yaml);

        Assert.False(result.IsValid);
        Assert.Contains(result.Errors, e => e.StartsWith("line 8: steps[2] (step 3): weight 4% must be above", StringComparison.Ordinal));
        Assert.Contains(result.Errors, e => e.StartsWith("line 8: steps[2] (step 3): hold 0s must be positive", StringComparison.Ordinal));
        Assert.Contains(result.Errors, e => e.StartsWith("line 15: triggers[1]: unknown metric 'error_rat'", StringComparison.Ordinal));
        Assert.Contains(result.Errors, e => e.StartsWith("line 19: approval[0]: before_step 9", StringComparison.Ordinal));
        Assert.Equal(4, result.Errors.Count);
    }

    [Theory]
    [InlineData("", "the file is empty")]
    [InlineData("service: [unclosed", "not valid YAML")]
    [InlineData("a: 1\n---\nb: 2\n", "2 documents")]
    public void UnreadableFiles_GiveOneClearError(string yaml, string expected) =>
        Assert.Contains(expected, Assert.Single(ReleasePlanYaml.Read(yaml).Errors), StringComparison.Ordinal);
}

using Vigil.Releases;

namespace Vigil.Core.Tests.Releases;

/// <summary>Plans shared by the release tests.</summary>
internal static class ReleaseTestPlans
{
    /// <summary>The plan of issue 3, as the API receives it.</summary>
    public const string IssueJson = """
        {
          "service": "recommender",
          "challenger": 3,
          "strategy": "progressive",
          "shadow": { "sample": "100%", "duration": "2d" },
          "steps": [
            { "weight": "1%", "hold": "2d" },
            { "weight": "5%", "hold": "4d" },
            { "weight": "25%", "hold": "3d" },
            { "weight": "50%", "hold": "4d" }
          ],
          "min_samples_per_step": 500,
          "analysis_interval": "5m",
          "outcome_window": "1h",
          "triggers": [
            { "metric": "task_completed", "compare": "control", "max_drop": "3pp" },
            { "metric": "error_rate", "max": "2%" },
            { "metric": "latency_p99", "max": "250ms" }
          ],
          "promotion": [
            { "metric": "task_completed", "compare": "control", "non_inferior_margin": "1pp" }
          ],
          "approval": [ { "before_step": 4 } ],
          "fallback_on_error": true
        }
        """;

    /// <summary>The plan of issue 3.</summary>
    public static ReleasePlan Issue { get; } = new(
        "recommender",
        3,
        ReleaseStrategy.Progressive,
        new ShadowPhase(new Percent(100), Duration.Days(2)),
        [
            new ReleaseStep(new Percent(1), Duration.Days(2)),
            new ReleaseStep(new Percent(5), Duration.Days(4)),
            new ReleaseStep(new Percent(25), Duration.Days(3)),
            new ReleaseStep(new Percent(50), Duration.Days(4)),
        ],
        500,
        Duration.Minutes(5),
        Duration.Hours(1),
        [
            new RollbackTrigger(ReleaseMetrics.TaskCompleted, TriggerCompare.Control, MaxDrop: new PercentagePoints(3)),
            new RollbackTrigger(ReleaseMetrics.ErrorRate, Max: Threshold.Percent(2)),
            new RollbackTrigger(ReleaseMetrics.LatencyP99, Max: Threshold.Milliseconds(250)),
        ],
        [new PromotionCriterion(ReleaseMetrics.TaskCompleted, TriggerCompare.Control, new PercentagePoints(1))],
        [new ApprovalGate(4)],
        FallbackOnError: true);

    /// <summary>Counts for one arm: task completion, errors and requests slower than 250ms.</summary>
    public static ArmCounts Arm(long trials, long completed, long errors, long slow) => new(new Dictionary<string, MetricCounts>
    {
        [ReleaseMetrics.TaskCompleted] = new(completed, trials),
        [ReleaseMetrics.ErrorRate] = new(errors, trials),
        [ReleaseMetrics.LatencyOverKey(250)] = new(slow, trials),
    });
}

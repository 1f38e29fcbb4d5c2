using Vigil.Predictions;
using Vigil.Releases;

namespace Vigil.Core.Tests.Releases;

public sealed class ReleaseArmCountsTests
{
    [Fact]
    public void FromStoreRows_SumsSegmentsIntoTheCountKeysTriggersRead()
    {
        var rows = new[]
        {
            new ArmWindowCounts(3, "canary", "DE", 1_000, 30, 12, 800, [new("task_completed", 700, 490), new("accepted", 100, 40)]),
            new ArmWindowCounts(3, "canary", "FR", 500, 5, 3, 400, [new("task_completed", 350, 245)]),
        };

        var arm = ArmCounts.From(rows, latencyThresholdMs: 250);

        Assert.Equal(new MetricCounts(35, 1_500), arm.Get(ReleaseMetrics.ErrorRate));
        Assert.Equal(new MetricCounts(15, 1_500), arm.Get("latency_over_250ms"));
        Assert.Equal(new MetricCounts(735, 1_050), arm.Get(ReleaseMetrics.TaskCompleted));
        Assert.Equal(new MetricCounts(40, 100), arm.Get(ReleaseMetrics.Accepted));
        Assert.Equal(MetricCounts.Zero, arm.Get(ReleaseMetrics.Escalated));

        var withP50 = arm.With(ArmCounts.From(rows, latencyThresholdMs: 100));
        Assert.Equal(new MetricCounts(15, 1_500), withP50.Get("latency_over_100ms"));
        Assert.Equal(new MetricCounts(35, 1_500), withP50.Get(ReleaseMetrics.ErrorRate));
    }
}

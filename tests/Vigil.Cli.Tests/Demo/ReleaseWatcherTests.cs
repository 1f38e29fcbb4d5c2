using Vigil.Cli.Demo;
using Vigil.Releases;

namespace Vigil.Cli.Tests.Demo;

public sealed class ReleaseWatcherTests
{
    [Theory]
    [InlineData(-0.03, "−3.0pp")]
    [InlineData(0.0123, "+1.2pp")]
    [InlineData(0.0, "0.0pp")]
    [InlineData(null, "-")]
    public void Points_AreSignedPercentagePoints(double? fraction, string expected) => Assert.Equal(expected, ReleaseWatcher.Points(fraction));

    [Theory]
    [InlineData(0.02, "2.0%")]
    [InlineData(0.0025, "0.25%")]
    [InlineData(0.0, "0.0%")]
    [InlineData(null, "-")]
    public void Percent_ShowsSmallSharesWithMoreDecimals(double? fraction, string expected) => Assert.Equal(expected, ReleaseWatcher.Percent(fraction));

    [Fact]
    public void Trigger_Relative_ShowsTheDifferenceItsIntervalAndTheThreshold_InPoints()
    {
        var trigger = new RollbackTrigger("task_completed", TriggerCompare.Control, MaxDrop: new PercentagePoints(3));
        var evaluation = new TriggerEvaluation(trigger, null, -0.128, -0.221, -0.034, -0.03, 243, 668, 0.95, TriggerVerdict.Breached, -0.004, "fired");

        Assert.Equal(
            "task_completed: challenger − control −12.8pp [−22.1pp, −3.4pp], fires below −3.0pp (243 challenger vs 668 control) → breached",
            ReleaseWatcher.Trigger(evaluation));
    }

    [Fact]
    public void Trigger_Absolute_ShowsTheShare_AndNoDataSaysSo()
    {
        var trigger = new RollbackTrigger("error_rate", Max: Threshold.Percent(2));
        var evaluation = new TriggerEvaluation(trigger, null, 0.0, 0.0, 0.0025, 0.02, 1_451, 0, 0.95, TriggerVerdict.Ok, 0.0175, "ok");
        var empty = evaluation with { Estimate = null, Lower = null, Upper = null, ChallengerSamples = 0, Verdict = TriggerVerdict.Inconclusive };

        Assert.Equal("error_rate: 0.0% [0.0%, 0.25%], fires above 2.0% (1,451 challenger) → ok", ReleaseWatcher.Trigger(evaluation));
        Assert.Equal("error_rate: no data yet (0 challenger) → inconclusive", ReleaseWatcher.Trigger(empty));
    }
}

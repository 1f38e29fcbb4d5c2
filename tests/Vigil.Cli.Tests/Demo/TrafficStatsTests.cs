using Vigil.Cli.Demo;

namespace Vigil.Cli.Tests.Demo;

public sealed class TrafficStatsTests
{
    private static DateTimeOffset T0 => new(2025, 3, 1, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Report_CountsRequestsErrorsEngagementAndLatency()
    {
        var stats = new TrafficStats();
        for (var i = 1; i <= 100; i++)
        {
            stats.Success(probability: 0.4, latencyMs: i, engaged: i % 4 == 0);
        }

        stats.Failure("boom");
        stats.Failure("second");
        stats.FeedbackDelivered(items: 100, stored: 300, duplicates: 0, aheadOfPrediction: 2);

        var report = stats.Report("s", T0, T0.AddDays(1), TimeSpan.FromSeconds(6));

        Assert.Equal(102, report.Requests);
        Assert.Equal(2, report.Errors);
        Assert.Equal(0.25, report.EngagementRate, 10);
        Assert.Equal(0.4, report.MeanPredictedProbability, 10);
        Assert.Equal(50.5, report.MeanLatencyMs, 10);
        Assert.Equal(99, report.P99LatencyMs);
        Assert.Equal(300, report.OutcomesStored);
        Assert.Equal(2, report.FeedbackAheadOfPrediction);
        Assert.Equal("boom", report.FirstError);
    }

    [Fact]
    public void Report_WithNoRequests_HasZerosNotNaN()
    {
        var report = new TrafficStats().Report("s", T0, T0, TimeSpan.Zero);

        Assert.Equal(0, report.MeanPredictedProbability);
        Assert.Equal(0, report.MeanLatencyMs);
        Assert.Equal(0, report.P99LatencyMs);
        Assert.Equal(0, report.EngagementRate);
    }

    [Fact]
    public void Progress_Label_CountsCalendarDaysFromTheStart()
    {
        var start = T0.AddHours(1);
        var progress = new TrafficStats().Progress("s", start, T0.AddDays(1).AddHours(0.5), TimeSpan.FromDays(2), 10);

        Assert.Equal("day 2 00:30", progress.SimulatedLabel);
    }
}

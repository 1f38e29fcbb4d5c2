using Vigil.Predictions;

namespace Vigil.Storage.Tests;

public abstract partial class StoreConformanceTests
{
    [Fact]
    public async Task GetTrafficSeries_CountsEachBucketPerVersionAndArm_AndLeavesOutTheWindowsEdges()
    {
        await Store.WritePredictionsAsync(
            [
                Prediction("before", 1, Arms.Champion) with { At = T0.AddMinutes(-1) },
                Prediction("a", 1, Arms.Champion) with { At = T0, LatencyMs = 10 },
                Prediction("b", 1, Arms.Champion) with { At = T0.AddMinutes(9), LatencyMs = 30, Error = "boom", Outputs = null },
                Prediction("c", 2, Arms.Canary) with { At = T0.AddMinutes(10), LatencyMs = 5 },
                Prediction("d", 1, Arms.Champion) with { At = T0.AddMinutes(29), LatencyMs = 8 },
                Prediction("end", 1, Arms.Champion) with { At = T0.AddMinutes(30) },
                Prediction("other", 1, Arms.Champion) with { At = T0, Service = "search" },
            ],
            Ct);

        var series = await Store.GetTrafficSeriesAsync(new TrafficSeriesQuery("shop", T0, T0.AddMinutes(30), 3), Ct);

        Assert.Equal(
            [
                new TrafficBucket(T0, 1, Arms.Champion, 2, 1, 20, 30),
                new TrafficBucket(T0.AddMinutes(10), 2, Arms.Canary, 1, 0, 5, 5),
                new TrafficBucket(T0.AddMinutes(20), 1, Arms.Champion, 1, 0, 8, 8),
            ],
            series);
        Assert.Equal(0.5, series[0].ErrorRate);
    }

    [Fact]
    public async Task GetTrafficSeries_RejectsAnEmptyWindowAndTooManyBuckets()
    {
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => Store.GetTrafficSeriesAsync(new TrafficSeriesQuery("shop", T0, T0, 3), Ct));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => Store.GetTrafficSeriesAsync(new TrafficSeriesQuery("shop", T0, T0.AddHours(1), TrafficSeriesQuery.MaxBuckets + 1), Ct));
    }
}

using Vigil.Cli.Demo;

namespace Vigil.Cli.Tests.Demo;

public sealed class BaselineTrafficTests
{
    private static DateTimeOffset Midnight => new(2025, 3, 1, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Arrivals_AreInOrder_WithinTheDay_AndAsManyAsAsked()
    {
        var arrivals = BaselineTraffic.Arrivals(new Random(1), Midnight, 5_000).ToList();

        Assert.Equal(5_000, arrivals.Count);
        Assert.Equal(arrivals.Order(), arrivals);
        Assert.All(arrivals, a => Assert.InRange(a, Midnight, Midnight.AddDays(1)));
    }

    [Fact]
    public void Arrivals_FollowTheDailyCurve_EveningBusierThanMorning()
    {
        var arrivals = BaselineTraffic.Arrivals(new Random(1), Midnight, 20_000).ToList();

        var evening = arrivals.Count(a => a.Hour is >= 18 and < 22);
        var morning = arrivals.Count(a => a.Hour is >= 6 and < 10);

        Assert.True(evening > 3 * morning, $"evening {evening}, morning {morning}");
    }

    [Fact]
    public void Arrivals_SameSeed_SameTimes() =>
        Assert.Equal(
            BaselineTraffic.Arrivals(new Random(5), Midnight, 100),
            BaselineTraffic.Arrivals(new Random(5), Midnight, 100));
}

using Microsoft.Extensions.Time.Testing;
using Vigil.Cli.Demo;

namespace Vigil.Cli.Tests.Demo;

public sealed class AcceleratedTimeProviderTests
{
    private static DateTimeOffset RealStart => new(2025, 3, 1, 12, 0, 0, TimeSpan.Zero);
    private static DateTimeOffset SimulatedStart => new(2025, 3, 1, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public void GetUtcNow_AfterRealSeconds_AdvancesSpeedTimesAsFar()
    {
        var real = new FakeTimeProvider(RealStart);
        var clock = new AcceleratedTimeProvider(real, speed: 14_400, SimulatedStart);

        Assert.Equal(SimulatedStart, clock.GetUtcNow());
        real.Advance(TimeSpan.FromSeconds(6));
        Assert.Equal(SimulatedStart.AddDays(1), clock.GetUtcNow());
        real.Advance(TimeSpan.FromMilliseconds(250));
        Assert.Equal(SimulatedStart.AddDays(1).AddHours(1), clock.GetUtcNow());
        Assert.Equal(TimeSpan.FromHours(25), clock.SimulatedElapsed);
    }

    [Fact]
    public void GetUtcNow_WithoutStart_StartsAtRealNow()
    {
        var real = new FakeTimeProvider(RealStart);
        var clock = new AcceleratedTimeProvider(real, speed: 60);

        Assert.Equal(RealStart, clock.Start);
        real.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(RealStart.AddMinutes(1), clock.GetUtcNow());
    }

    [Fact]
    public void GetElapsedTime_MeasuresRealDurations_NotAccelerated()
    {
        var real = new FakeTimeProvider(RealStart);
        var clock = new AcceleratedTimeProvider(real, speed: 1_000);

        var started = clock.GetTimestamp();
        real.Advance(TimeSpan.FromMilliseconds(3));

        Assert.Equal(TimeSpan.FromMilliseconds(3), clock.GetElapsedTime(started));
        Assert.Equal(real.TimestampFrequency, clock.TimestampFrequency);
    }

    [Fact]
    public async Task Delay_OfOneSimulatedHour_CompletesAfterOneHourDividedBySpeedOfRealTime()
    {
        var real = new FakeTimeProvider(RealStart);
        var clock = new AcceleratedTimeProvider(real, speed: 3_600, SimulatedStart);

        var delay = Task.Delay(TimeSpan.FromHours(1), clock, TestContext.Current.CancellationToken);
        real.Advance(TimeSpan.FromMilliseconds(999));
        Assert.False(delay.IsCompleted);

        real.Advance(TimeSpan.FromMilliseconds(1));
        await delay.WaitAsync(TimeSpan.FromSeconds(5), TestContext.Current.CancellationToken);
        Assert.Equal(SimulatedStart.AddHours(1), clock.GetUtcNow());
    }

    [Fact]
    public void Timer_PeriodAndChange_AreSimulatedDurations()
    {
        var real = new FakeTimeProvider(RealStart);
        var clock = new AcceleratedTimeProvider(real, speed: 600);
        var fired = 0;

        using var timer = clock.CreateTimer(_ => Interlocked.Increment(ref fired), null, TimeSpan.FromMinutes(10), TimeSpan.FromMinutes(10));
        real.Advance(TimeSpan.FromSeconds(1)); // 10 simulated minutes
        Assert.Equal(1, fired);
        real.Advance(TimeSpan.FromSeconds(2)); // 20 more
        Assert.Equal(3, fired);

        Assert.True(timer.Change(TimeSpan.FromHours(1), Timeout.InfiniteTimeSpan));
        real.Advance(TimeSpan.FromSeconds(5));
        Assert.Equal(3, fired);
        real.Advance(TimeSpan.FromSeconds(1)); // one simulated hour after the change
        Assert.Equal(4, fired);
        real.Advance(TimeSpan.FromMinutes(10));
        Assert.Equal(4, fired);
    }

    [Fact]
    public void ToReal_KeepsZeroAndInfinite_AndNeverGoesBelowOneMillisecond()
    {
        var clock = new AcceleratedTimeProvider(new FakeTimeProvider(RealStart), speed: 1_000_000);

        Assert.Equal(TimeSpan.Zero, clock.ToReal(TimeSpan.Zero));
        Assert.Equal(Timeout.InfiniteTimeSpan, clock.ToReal(Timeout.InfiniteTimeSpan));
        Assert.Equal(AcceleratedTimeProvider.MinimumRealPeriod, clock.ToReal(TimeSpan.FromSeconds(1)));
        Assert.Equal(TimeSpan.FromSeconds(3.6), clock.ToReal(TimeSpan.FromHours(1000)));
        Assert.Equal(TimeSpan.FromHours(1000), clock.ToSimulated(TimeSpan.FromSeconds(3.6)));
    }

    [Fact]
    public void ChangeSpeed_GoesOnFromWhereTheClockIs_AtTheNewSpeed()
    {
        var real = new FakeTimeProvider(RealStart);
        var clock = new AcceleratedTimeProvider(real, speed: 14_400, SimulatedStart);
        real.Advance(TimeSpan.FromSeconds(6)); // one simulated day

        clock.ChangeSpeed(86_400);

        Assert.Equal(86_400, clock.Speed);
        Assert.Equal(SimulatedStart.AddDays(1), clock.GetUtcNow());
        real.Advance(TimeSpan.FromSeconds(2)); // two more days at the new speed
        Assert.Equal(SimulatedStart.AddDays(3), clock.GetUtcNow());
        Assert.Equal(TimeSpan.FromDays(3), clock.SimulatedElapsed);
        Assert.Equal(TimeSpan.FromSeconds(1), clock.ToReal(TimeSpan.FromDays(1)));

        clock.ChangeSpeed(3_600);
        real.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(SimulatedStart.AddDays(3).AddHours(1), clock.GetUtcNow());
        Assert.Equal(SimulatedStart, clock.Start);
    }

    [Fact]
    public async Task ChangeSpeed_DelaysStartedAfterwards_UseTheNewSpeed()
    {
        var real = new FakeTimeProvider(RealStart);
        var clock = new AcceleratedTimeProvider(real, speed: 60, SimulatedStart);
        clock.ChangeSpeed(3_600);

        var delay = Task.Delay(TimeSpan.FromHours(1), clock, TestContext.Current.CancellationToken);
        real.Advance(TimeSpan.FromSeconds(1));
        await delay.WaitAsync(TimeSpan.FromSeconds(5), TestContext.Current.CancellationToken);
        Assert.Equal(SimulatedStart.AddHours(1), clock.GetUtcNow());
    }

    [Theory]
    [InlineData(0)]
    [InlineData(double.NaN)]
    public void ChangeSpeed_BelowOneOrNotFinite_Throws_AndKeepsTheSpeed(double speed)
    {
        var clock = new AcceleratedTimeProvider(new FakeTimeProvider(RealStart), speed: 100);

        Assert.Throws<ArgumentOutOfRangeException>(() => clock.ChangeSpeed(speed));
        Assert.Equal(100, clock.Speed);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(0.5)]
    [InlineData(-1)]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    public void Constructor_SpeedBelowOneOrNotFinite_Throws(double speed) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new AcceleratedTimeProvider(TimeProvider.System, speed));
}

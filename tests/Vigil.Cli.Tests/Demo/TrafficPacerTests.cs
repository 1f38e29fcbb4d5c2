using Microsoft.Extensions.Time.Testing;
using Vigil.Cli.Demo;

namespace Vigil.Cli.Tests.Demo;

/// <summary>The clock's throttle and the pacer that sets it when the simulated traffic falls behind, on a fake real clock.</summary>
public sealed class TrafficPacerTests
{
    private static DateTimeOffset RealStart => new(2025, 3, 1, 12, 0, 0, TimeSpan.Zero);
    private static DateTimeOffset SimulatedStart => new(2025, 3, 1, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public void SetThrottle_SlowsTheClockWithoutAJump_AndChangeSpeedKeepsIt()
    {
        var real = new FakeTimeProvider(RealStart);
        var clock = new AcceleratedTimeProvider(real, speed: 14_400, SimulatedStart);
        real.Advance(TimeSpan.FromSeconds(6)); // one simulated day

        clock.SetThrottle(0.25);

        Assert.Equal(SimulatedStart.AddDays(1), clock.GetUtcNow());
        Assert.Equal((3_600, 14_400, 0.25), (clock.Speed, clock.RequestedSpeed, clock.Throttle));
        real.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(SimulatedStart.AddDays(1).AddHours(1), clock.GetUtcNow());

        clock.ChangeSpeed(86_400);
        Assert.Equal((21_600, 86_400, 0.25), (clock.Speed, clock.RequestedSpeed, clock.Throttle));
        real.Advance(TimeSpan.FromSeconds(4)); // 4 × 21,600 s = one simulated day
        Assert.Equal(SimulatedStart.AddDays(2).AddHours(1), clock.GetUtcNow());

        clock.SetThrottle(1);
        Assert.Equal(86_400, clock.Speed);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1.5)]
    [InlineData(double.NaN)]
    public void SetThrottle_OutsideZeroToOne_Throws(double throttle) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new AcceleratedTimeProvider(TimeProvider.System, 100).SetThrottle(throttle));

    [Fact]
    public void SetThrottle_NeverRunsTheClockSlowerThanRealTime()
    {
        var clock = new AcceleratedTimeProvider(new FakeTimeProvider(RealStart), speed: 100);

        clock.SetThrottle(1.0 / 1024);

        Assert.Equal(1, clock.Speed);
    }

    [Fact]
    public void Sending_LateRequests_HalveTheSpeed_AtMostOncePerAdjustPeriod_AndOnTimeRequestsGiveItBack()
    {
        var real = new FakeTimeProvider(RealStart);
        var clock = new AcceleratedTimeProvider(real, speed: 14_400, SimulatedStart);
        var pacer = new TrafficPacer(clock);

        // On time, or late by less than the high-water mark: nothing changes.
        pacer.Sending(clock.GetUtcNow());
        pacer.Sending(clock.GetUtcNow() - TimeSpan.FromMinutes(1));
        Assert.Equal(14_400, clock.Speed);

        // Ten simulated minutes late: the clock halves, and the requests sent right after do not halve it again.
        pacer.Sending(clock.GetUtcNow() - TimeSpan.FromMinutes(10));
        pacer.Sending(clock.GetUtcNow() - TimeSpan.FromMinutes(10));
        Assert.Equal(7_200, clock.Speed);
        real.Advance(TrafficPacer.AdjustEvery);
        pacer.Sending(clock.GetUtcNow() - TimeSpan.FromMinutes(10));
        Assert.Equal(3_600, clock.Speed);
        Assert.Equal((2, 0.25), (pacer.Slowdowns, pacer.LowestThrottle));

        // On time again: a quarter faster per period, up to the requested speed and no further.
        for (var i = 0; i < 10; i++)
        {
            real.Advance(TrafficPacer.AdjustEvery);
            pacer.Sending(clock.GetUtcNow());
        }

        Assert.Equal(14_400, clock.Speed);
        Assert.Equal(1, clock.Throttle);
        Assert.Contains("3,600× real time", pacer.Describe("baseline-traffic"), StringComparison.Ordinal);
    }

    [Fact]
    public void Release_GivesTheRequestedSpeedBack_AndANewPacerStartsUnthrottled()
    {
        var real = new FakeTimeProvider(RealStart);
        var clock = new AcceleratedTimeProvider(real, speed: 14_400, SimulatedStart);
        var pacer = new TrafficPacer(clock);
        pacer.Sending(clock.GetUtcNow() - TimeSpan.FromHours(1));
        Assert.Equal(7_200, clock.Speed);

        pacer.Release();
        Assert.Equal(14_400, clock.Speed);

        clock.SetThrottle(0.5);
        var next = new TrafficPacer(clock);
        Assert.Equal(14_400, clock.Speed);
        Assert.Null(next.Describe("x"));
    }

    [Fact]
    public async Task WaitUntil_WhenTheClockSlowsDuringTheWait_WaitsForTheRest()
    {
        var real = new FakeTimeProvider(RealStart);
        var clock = new AcceleratedTimeProvider(real, speed: 3_600, SimulatedStart);
        var due = SimulatedStart.AddHours(1);

        var wait = BaselineTraffic.WaitUntilAsync(clock, due, TestContext.Current.CancellationToken);
        real.Advance(TimeSpan.FromMilliseconds(500)); // half an hour simulated
        clock.SetThrottle(0.5);

        // The first delay ends after 1 s of real time, when only a quarter of an hour more has passed: it waits again for
        // the last quarter, 500 ms at the slower speed.
        var advanced = TimeSpan.FromMilliseconds(500);
        while (!wait.IsCompleted && advanced < TimeSpan.FromSeconds(3))
        {
            real.Advance(TimeSpan.FromMilliseconds(10));
            advanced += TimeSpan.FromMilliseconds(10);
            await Task.WhenAny(wait, Task.Delay(5, TestContext.Current.CancellationToken));
        }

        Assert.True(wait.IsCompleted);
        Assert.InRange(advanced, TimeSpan.FromMilliseconds(1500), TimeSpan.FromMilliseconds(1600));
        Assert.True(clock.GetUtcNow() >= due);
    }
}

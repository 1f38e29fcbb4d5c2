using Vigil.Monitoring;

namespace Vigil.Core.Tests.Monitoring;

public sealed class AlertLifecycleTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 1, 14, 0, 0, TimeSpan.Zero);

    private static readonly MonitorDefinition Drift = new("input-drift", MonitorLayer.Input, "psi", 0.25, Duration.Minutes(15),
        For: Duration.Minutes(5), KeepFiringFor: Duration.Minutes(3));

    private static AlertStatus Run(MonitorDefinition monitor, params double?[] values)
    {
        var status = AlertStatus.Inactive(monitor.Name, "price", monitor.Threshold);
        for (var i = 0; i < values.Length; i++)
        {
            status = AlertLifecycle.Step(monitor, status, values[i], T0.AddMinutes(i), T0.AddMinutes(i + 1));
        }

        return status;
    }

    [Fact]
    public void Holds_GoesPendingThenFiresAfterFor_RecordingTimeToDetectFromTheFirstBadWindow()
    {
        Assert.Equal(AlertState.Pending, Run(Drift, 0.4).State);
        Assert.Equal(AlertState.Pending, Run(Drift, 0.4, 0.4, 0.4, 0.4, 0.4).State);
        var fired = Run(Drift, 0.4, 0.4, 0.4, 0.4, 0.4, 0.4);
        Assert.Equal(AlertState.Firing, fired.State);
        Assert.Equal(T0, fired.FirstBadWindowStart);
        Assert.Equal(T0.AddMinutes(6), fired.FiredAt);
        Assert.Equal(360, fired.TimeToDetectSeconds);
    }

    [Fact]
    public void PendingThatStopsHolding_GoesInactive_AndStartsOverNextTime()
    {
        var status = Run(Drift, 0.4, 0.4, 0.1, 0.4);
        Assert.Equal(AlertState.Pending, status.State);
        Assert.Equal(T0.AddMinutes(3), status.FirstBadWindowStart);
        Assert.Equal(AlertState.Inactive, Run(Drift, 0.4, 0.4, 0.1).State);
    }

    [Fact]
    public void Firing_KeepsFiringFor_ThenResolves()
    {
        double?[] bad = [0.4, 0.4, 0.4, 0.4, 0.4, 0.4];
        Assert.Equal(AlertState.Firing, Run(Drift, [.. bad, 0.1, 0.1]).State);
        var resolved = Run(Drift, [.. bad, 0.1, 0.1, 0.1]);
        Assert.Equal(AlertState.Resolved, resolved.State);
        Assert.Equal(T0.AddMinutes(9), resolved.ResolvedAt);
        // Holding again before keep_firing_for ends keeps the same episode.
        var flapped = Run(Drift, [.. bad, 0.1, 0.4, 0.1, 0.1]);
        Assert.Equal(AlertState.Firing, flapped.State);
        Assert.Equal(T0.AddMinutes(6), flapped.FiredAt);
    }

    [Fact]
    public void ZeroFor_FiresAtOnce_AndMissingValueDoesNotHold()
    {
        var now = Drift with { For = default };
        Assert.Equal(AlertState.Firing, Run(now, 0.3).State);
        Assert.Equal(60, Run(now, 0.3).TimeToDetectSeconds);
        Assert.Equal(AlertState.Inactive, Run(Drift, 0.4, null).State);
    }

    [Fact]
    public void Below_FiresUnderTheThreshold()
    {
        var low = new MonitorDefinition("completion", MonitorLayer.Performance, "request_count", 10, Duration.Minutes(1), Operator: MonitorOperator.Below);
        Assert.Equal(AlertState.Firing, Run(low, 5).State);
        Assert.Equal(AlertState.Inactive, Run(low, 50).State);
    }

    [Fact]
    public void Validate_NamesUnknownMetricsAndFeatures()
    {
        var bad = Drift with { Metric = "psy", Feature = "prize" };
        var errors = bad.Validate(["price", "country"]);
        Assert.Contains(errors, e => e.Contains("metric 'psy' is unknown", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("feature 'prize' is not a feature", StringComparison.Ordinal));
        Assert.Empty(Drift.Validate(["price"]));
        Assert.All(DefaultMonitors.All, m => Assert.Empty(m.Validate()));
    }
}

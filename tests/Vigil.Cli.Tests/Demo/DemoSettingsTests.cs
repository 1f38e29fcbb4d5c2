using Vigil.Cli.Demo;

namespace Vigil.Cli.Tests.Demo;

public sealed class DemoSettingsTests
{
    [Fact]
    public void Validate_Defaults_AreValid() => Assert.Empty(new DemoSettings().Validate());

    [Fact]
    public void Validate_SeveralBadOptions_ReportsEveryOne()
    {
        var errors = new DemoSettings { Speed = 0, Days = 0, RequestsPerDay = 0, Port = 70_000, Directory = " " }.Validate();

        Assert.Equal(5, errors.Count);
        Assert.Contains(errors, e => e.StartsWith("--speed", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("--days", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("--requests-per-day", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("--port", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("--dir", StringComparison.Ordinal));
    }

    [Fact]
    public void Validate_ReleaseOptions_ReportEachBadOne()
    {
        var errors = new DemoSettings { RolloutSpeed = 0.5, RolloutRequestsPerDay = 10, CanaryRequestsPerDay = 10, Scenarios = ["baseline", "canary-of-doom"] }.Validate();

        Assert.Equal(4, errors.Count);
        Assert.Contains(errors, e => e.StartsWith("--rollout-speed", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("--rollout-requests-per-day", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("--canary-requests-per-day", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("'canary-of-doom'", StringComparison.Ordinal));
    }

    [Fact]
    public void Validate_NoScenario_IsAnError() =>
        Assert.Contains(new DemoSettings { Scenarios = [] }.Validate(), e => e.StartsWith("--scenarios", StringComparison.Ordinal));
}

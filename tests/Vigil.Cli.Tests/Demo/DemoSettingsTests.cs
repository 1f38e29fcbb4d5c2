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
}

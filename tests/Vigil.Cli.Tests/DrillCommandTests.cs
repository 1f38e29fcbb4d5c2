namespace Vigil.Cli.Tests;

/// <summary><c>vigil drill</c> against a real server: its errors reach the user in one line (the full drill is run in Vigil.Server.Tests' DrillTests).</summary>
public sealed class DrillCommandTests(ServerFixture server) : IClassFixture<ServerFixture>
{
    private Task<CliResult> RunAsync(params string[] args) => Cli.RunAsync(["--server", server.Server, .. args]);

    [Fact]
    public async Task Drill_ServiceWithoutChampion_OrBadDegradation_FailsWithAClearMessage()
    {
        var name = "drill-" + Guid.NewGuid().ToString("N")[..8];
        Assert.Equal(0, (await RunAsync("services", "create", "--name", name, "--input", "price:number:0..", "--output", "probability")).ExitCode);

        var noChampion = await RunAsync("drill", name, "--degrade", "quality=10%");
        var badDegrade = await RunAsync("drill", name, "--degrade", "quality");
        var missing = await RunAsync("drill", name);

        Assert.Equal(1, noChampion.ExitCode);
        Assert.Contains("has no champion to drill", noChampion.Err, StringComparison.Ordinal);
        Assert.Equal(1, badDegrade.ExitCode);
        Assert.Contains("quality=10%", badDegrade.Err, StringComparison.Ordinal);
        Assert.NotEqual(0, missing.ExitCode);
    }
}

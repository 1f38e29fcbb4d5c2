using Vigil.Server.Hosting;

namespace Vigil.Cli.Tests;

public sealed class VersionTests
{
    [Fact]
    public async Task Version_PrintsTheVersionAndTheCommitOnOneLine()
    {
        var result = await Cli.RunAsync("--version");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal($"vigil {VigilBuild.Version} (commit {VigilBuild.Commit})", result.Out.Trim());
        Assert.Matches(@"^vigil \d+\.\d+\.\d+\S* \(commit ([0-9a-f]{40}|unknown)\)$", result.Out.Trim());
    }
}

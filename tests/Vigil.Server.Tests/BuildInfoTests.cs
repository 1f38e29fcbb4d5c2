using System.Diagnostics;
using System.Text.Json.Nodes;
using Vigil.Server.Hosting;

namespace Vigil.Server.Tests;

/// <summary>Which build answers: the version and the git commit, in <c>/v1/status</c> (docs/operations.md, "Version").</summary>
public sealed class BuildInfoTests
{
    [Fact]
    public async Task Status_ReportsTheVersionAndTheCommitThisBuildWasMadeFrom()
    {
        await using var server = await VigilTestServer.StartAsync();
        var status = JsonNode.Parse(await server.Client.GetStringAsync("/v1/status", TestContext.Current.CancellationToken))!;

        Assert.Equal(VigilBuild.Version, status["version"]!.GetValue<string>());
        Assert.Equal(VigilBuild.Commit, status["commit"]!.GetValue<string>());
        Assert.Matches(@"^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$", VigilBuild.Version);

        // Built from a git checkout (as the tests are): the commit is the one git names, not "unknown".
        if (await GitHeadAsync() is { } head)
        {
            Assert.Equal(head, VigilBuild.Commit);
        }
    }

    [Theory]
    [InlineData("0.1.0+3479e6f383f90a6087a0cae6e35e7ebab2bbae45", "0.1.0", "3479e6f383f90a6087a0cae6e35e7ebab2bbae45")]
    [InlineData("0.2.0-rc.1+abc123", "0.2.0-rc.1", "abc123")]
    [InlineData("0.1.0", "0.1.0", VigilBuild.UnknownCommit)]
    [InlineData("0.1.0+", "0.1.0", VigilBuild.UnknownCommit)]
    [InlineData(null, "0.0.0", VigilBuild.UnknownCommit)]
    public void Parse_SplitsTheInformationalVersion_AndSaysUnknownWithoutACommit(string? informational, string version, string commit) =>
        Assert.Equal((version, commit), VigilBuild.Parse(informational));

    /// <summary>The checkout's HEAD, or null outside a git checkout (a source tarball) or without git.</summary>
    private static async Task<string?> GitHeadAsync()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "Vigil.slnx")))
        {
            directory = directory.Parent;
        }

        if (directory is null || !Path.Exists(Path.Combine(directory.FullName, ".git")))
        {
            return null;
        }

        try
        {
            using var git = Process.Start(new ProcessStartInfo("git", ["-C", directory.FullName, "rev-parse", "HEAD"]) { RedirectStandardOutput = true, RedirectStandardError = true })!;
            var output = await git.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
            await git.WaitForExitAsync(TestContext.Current.CancellationToken);
            return git.ExitCode == 0 ? output.Trim() : null;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return null;
        }
    }
}

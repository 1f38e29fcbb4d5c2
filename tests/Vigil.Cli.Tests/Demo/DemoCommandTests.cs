using System.CommandLine;
using System.Text.Json;
using Vigil.Cli.Demo;

namespace Vigil.Cli.Tests.Demo;

/// <summary>Runs <c>vigil demo</c> in process, end to end: data, training, the real server on SQLite, HTTP traffic, feedback.</summary>
[Collection(DemoCollection.Name)]
public sealed class DemoCommandTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), $"vigil-demo-test-{Guid.NewGuid():N}");

    public void Dispose()
    {
        if (Directory.Exists(_dir))
        {
            Directory.Delete(_dir, recursive: true);
        }
    }

    [Fact]
    public async Task Demo_OneDayExitWhenDone_SendsTrafficWithoutErrors_AndVigilStoresTheFeedback()
    {
        var result = await RunAsync(
            "--exit-when-done", "--scenarios", "baseline", "--days", "1", "--port", "0", "--dir", _dir, "--requests-per-day", "200", "--speed", "43200", "--seed", "7");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("What the simulated users saw", result.Out, StringComparison.Ordinal);
        Assert.Contains("/openapi/v1.json", result.Out, StringComparison.Ordinal);
        Assert.Contains("vigil status recommender", result.Out, StringComparison.Ordinal);

        using var summary = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(_dir, DemoSummary.FileName), TestContext.Current.CancellationToken));
        var scenario = summary.RootElement.GetProperty("scenarios")[0];
        Assert.Equal(200, scenario.GetProperty("requests").GetInt64());
        Assert.Equal(0, scenario.GetProperty("errors").GetInt64());
        Assert.Equal(200, scenario.GetProperty("feedback_sent").GetInt64());
        Assert.Equal(0, scenario.GetProperty("feedback_errors").GetInt64());
        Assert.Equal(600, scenario.GetProperty("outcomes_stored").GetInt64());
        Assert.InRange(scenario.GetProperty("mean_predicted_probability").GetDouble(), 0.05, 0.95);

        // Vigil's own view: every request recorded against version 1, champion arm, with its outcomes joined.
        var traffic = summary.RootElement.GetProperty("service_status").GetProperty("traffic");
        Assert.Equal(200, traffic.EnumerateArray().Sum(t => t.GetProperty("requests").GetInt64()));
        var champion = Assert.Single(traffic.EnumerateArray());
        Assert.Equal(1, champion.GetProperty("version").GetInt32());
        Assert.Equal("champion", champion.GetProperty("arm").GetString());
        Assert.Contains(champion.GetProperty("outcomes").EnumerateArray(), o => o.GetProperty("name").GetString() == "task_completed" && o.GetProperty("count").GetInt64() == 200);
    }

    [Fact]
    public async Task Demo_DirThatIsNotADemoFolder_IsLeftAlone_AndExitsOne()
    {
        Directory.CreateDirectory(_dir);
        var precious = Path.Combine(_dir, "precious.txt");
        await File.WriteAllTextAsync(precious, "keep me", TestContext.Current.CancellationToken);

        var result = await RunAsync("--exit-when-done", "--port", "0", "--dir", _dir);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("was not made by 'vigil demo'", result.Err, StringComparison.Ordinal);
        Assert.True(File.Exists(precious));
    }

    [Fact]
    public async Task Demo_BadOptions_ExitTwo_AndNameEveryOne()
    {
        var result = await RunAsync("--days", "0", "--speed", "0.5", "--scenarios", "baseline,nope", "--dir", _dir);

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("--days", result.Err, StringComparison.Ordinal);
        Assert.Contains("--speed", result.Err, StringComparison.Ordinal);
        Assert.Contains("unknown scenario 'nope'", result.Err, StringComparison.Ordinal);
        Assert.False(Directory.Exists(_dir));
    }

    internal static async Task<CliResult> RunAsync(params string[] args)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var root = new RootCommand { DemoCommand.Create() };
        var exitCode = await root.Parse(["demo", .. args]).InvokeAsync(
            new InvocationConfiguration { Output = stdout, Error = stderr },
            TestContext.Current.CancellationToken);
        return new CliResult(exitCode, stdout.ToString(), stderr.ToString());
    }
}

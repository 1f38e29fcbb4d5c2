using System.Diagnostics;
using System.Text.Json;

namespace Vigil.Cli.Tests.Demo;

/// <summary>
/// Runs <c>vigil demo --scenarios qa-pipeline</c> end to end on the real server: ranking degrades in week two while retrieval
/// stays fine, the ranking stage breaches its threshold, and the report names ranking first although generation is what
/// users see failing.
/// </summary>
[Collection(DemoCollection.Name)]
public sealed class DemoQaPipelineScenarioTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), $"vigil-demo-qa-{Guid.NewGuid():N}");

    public void Dispose()
    {
        if (Directory.Exists(_dir))
        {
            Directory.Delete(_dir, recursive: true);
        }
    }

    [Fact]
    public async Task Demo_QaPipeline_RankingDegrades_ReportNamesRankingFirst()
    {
        var watch = Stopwatch.StartNew();
        var result = await DemoCommandTests.RunAsync(
            "--exit-when-done", "--port", "0", "--dir", _dir, "--seed", "5", "--scenarios", "qa-pipeline", "--speed", "43200");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("Look at ranking first", result.Out, StringComparison.Ordinal);
        Assert.Contains("Stage breach: the ranking stage alert is firing since", result.Out, StringComparison.Ordinal);
        Assert.Contains("End to end: ", result.Out, StringComparison.Ordinal);
        Assert.InRange(watch.Elapsed.TotalSeconds, 0, 60);
        using var summary = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(_dir, "summary.json"), TestContext.Current.CancellationToken));
        var scenario = summary.RootElement.GetProperty("scenarios")[0];
        Assert.Equal("qa-pipeline", scenario.GetProperty("scenario").GetString());
        Assert.Equal(14 * 150, scenario.GetProperty("requests").GetInt64());
        Assert.Equal(JsonValueKind.Null, scenario.GetProperty("first_error").ValueKind);
    }
}

using System.Diagnostics;
using System.Text.Json;
using Vigil.Cli.Demo;

namespace Vigil.Cli.Tests.Demo;

/// <summary>
/// Runs <c>vigil demo --scenarios retraining</c> end to end on the real server: the world changes, the performance trigger
/// (the stand-in for a monitor's retrain action) retrains the model with the built-in trainer, the candidate passes the
/// evaluation, is canaried from the release template and promoted by the controller, and the maturity report says Level 2.
/// </summary>
[Collection(DemoCollection.Name)]
public sealed class DemoRetrainingScenarioTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), $"vigil-demo-retraining-{Guid.NewGuid():N}");

    public void Dispose()
    {
        if (Directory.Exists(_dir))
        {
            Directory.Delete(_dir, recursive: true);
        }
    }

    [Fact]
    public async Task Demo_PerformanceDrop_RetrainsEvaluatesCanariesAndPromotes_ByItself_AndReachesLevelTwo()
    {
        var wall = Stopwatch.StartNew();
        var result = await DemoCommandTests.RunAsync("--exit-when-done", "--port", "0", "--dir", _dir, "--seed", "42", "--scenarios", DemoScenarios.Retraining);

        Assert.True(result.ExitCode == 0, result.ToString());
        // Nobody pulls the trigger: the performance monitor's retrain action does.
        Assert.Matches(@"Alert auc-drop fired and its retrain action queued job job-[0-9a-f]+: alert auc-drop on 'v1/champion' fired", result.Out);
        Assert.Matches(@"Evaluation of v2 against champion v1 on the same \d+ held-out requests: passed", result.Out);
        Assert.Matches(@"trigger to canary took \d+\.\d s of real time", result.Out);
        Assert.Contains("Promoted by the release controller: v2 is the champion", result.Out, StringComparison.Ordinal);
        Assert.Contains("Level 2: the loop closes by itself", result.Out, StringComparison.Ordinal);

        using var summary = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(_dir, DemoSummary.FileName), TestContext.Current.CancellationToken));
        var root = summary.RootElement;
        Assert.Equal(2, root.GetProperty("service_status").GetProperty("aliases").GetProperty("champion").GetInt32());
        Assert.All(root.GetProperty("scenarios").EnumerateArray(), s => Assert.Equal(0, s.GetProperty("errors").GetInt64()));
        Assert.True(wall.Elapsed < TimeSpan.FromSeconds(60), $"the scenario should take about 10 s; it took {wall.Elapsed.TotalSeconds:0} s");
    }
}

using System.Diagnostics;
using System.Text.Json;
using Vigil.Cli.Demo;

namespace Vigil.Cli.Tests.Demo;

/// <summary>
/// Runs <c>vigil demo --scenarios baseline,schema-change</c> end to end on the real server: after two simulated days of
/// traffic the champion gets its training baseline, the feed sends price in cents on day 3, and the input layer's
/// default monitors fire on price within the first simulated hour, with the shift and the time to detect printed.
/// </summary>
[Collection(DemoCollection.Name)]
public sealed class DemoSchemaChangeScenarioTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), $"vigil-demo-schema-{Guid.NewGuid():N}");

    public void Dispose()
    {
        if (Directory.Exists(_dir))
        {
            Directory.Delete(_dir, recursive: true);
        }
    }

    [Fact]
    public async Task Demo_PriceInCentsOnDayThree_InputDriftOnPriceFiresWithinAnHour_AndNamesTheShift()
    {
        var watch = Stopwatch.StartNew();
        var result = await DemoCommandTests.RunAsync(
            "--exit-when-done", "--port", "0", "--dir", _dir, "--seed", "3", "--scenarios", "baseline,schema-change",
            "--days", "2", "--requests-per-day", "300", "--speed", "86400");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("input `price` shifted from the training baseline: median ", result.Out, StringComparison.Ordinal);
        // Prices in cents break the schema's declared maximum too: the gateway counts them, the schema alert fires on price
        // and, as inhibition says, mutes price's drift alert; either way the alert names price.
        Assert.Matches(@"alert \(GET /v1/alerts\): (input-drift: psi|schema-violations: schema_violation_rate) of 'price'", result.Out);
        Assert.InRange(watch.Elapsed.TotalSeconds, 0, 120);

        using var outcome = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(_dir, SchemaChangeScenario.ResultFileName), TestContext.Current.CancellationToken));
        var root = outcome.RootElement;
        Assert.True(root.GetProperty("detected").GetBoolean(), root.ToString());
        Assert.Contains(root.GetProperty("monitor").GetString(), new[] { "input-drift", "schema-violations" });
        Assert.Equal("price", root.GetProperty("feature").GetString());
        Assert.Equal(0, root.GetProperty("alerts_before_change").GetInt32());
        Assert.InRange(root.GetProperty("seconds_since_change").GetDouble(), 60, 3600);
        Assert.InRange(root.GetProperty("time_to_detect_seconds").GetDouble(), 60, 3600);
        Assert.True(root.GetProperty("value").GetDouble() > 0, root.ToString());
        Assert.True(root.GetProperty("current_median").GetDouble() > 50 * root.GetProperty("baseline_median").GetDouble(), root.ToString());

        // Day 3 of the demo's clock or later: two days of baseline traffic came first.
        using var summary = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(_dir, DemoSummary.FileName), TestContext.Current.CancellationToken));
        var scenarios = summary.RootElement.GetProperty("scenarios");
        Assert.True(root.GetProperty("change_day").GetInt32() >= SchemaChangeScenario.ChangeDay, root.ToString());
        Assert.True(root.GetProperty("changed_at").GetDateTimeOffset() > scenarios[0].GetProperty("simulated_end").GetDateTimeOffset());
        Assert.Equal("schema-change", scenarios[1].GetProperty("scenario").GetString());
        Assert.Equal(0, scenarios[1].GetProperty("errors").GetInt64());
    }
}

using Vigil.Server.Retraining;

namespace Vigil.Server.Tests;

/// <summary>
/// The detection drill (docs/retraining.md, "Detection drill") over real HTTP: two hours of labelled traffic replayed
/// through the real champion in a sandbox, a degradation injected half-way, each layer's time to detect reported, the
/// drill audited as one, and nothing served changed.
/// </summary>
public sealed class DrillTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task QualityDrop_IsCaughtByThePerformanceLayerOnly_AndAuditedAsADrill()
    {
        await using var harness = await StartWithTrafficAsync();

        var report = await harness.Server.ReadAsync<DrillReport>(await harness.Server.PostJsonAsync("/v1/services/shop/drill", """{"degrade": "quality=40%", "window": "1d"}"""));

        Assert.True(report.Sandbox);
        Assert.Equal("quality=40%", report.Degrade);
        Assert.Equal(1200, report.Rows);
        Assert.InRange(report.DegradedRows, 200, 280); // 40% of the ~600 rows after the injection, by hash of the request id
        Assert.True(report.DegradedAccuracy < report.ReferenceAccuracy - 0.1, $"{report.DegradedAccuracy} vs {report.ReferenceAccuracy}");
        var performance = report.Layers.Single(l => l.Layer == "performance");
        Assert.True(performance.Caught, performance.Note);
        Assert.InRange(performance.TimeToDetectSeconds!.Value, 1, 3600);
        Assert.Equal("performance", report.FirstLayer);

        // Flipping answers leaves confidence and inputs as they were: the input and output layers cannot see it.
        Assert.False(report.Layers.Single(l => l.Layer == "input").Caught);
        Assert.False(report.Layers.Single(l => l.Layer == "output").Caught);
        var business = report.Layers.Single(l => l.Layer == "business");
        Assert.False(business.Caught);
        Assert.Contains("has no business monitor", business.Note, StringComparison.Ordinal);
        Assert.Equal(0, report.MedianLabelDelaySeconds);

        // With a business monitor, the report estimates when the business layer would see it: its window, then its for.
        var monitored = await harness.Server.Client.PutAsync("/v1/services/shop/monitoring", new StringContent("""
            {"monitors": [{"name": "retention-drop", "layer": "business", "metric": "business_mean", "feature": "retention_d7",
                           "threshold": 0.3, "operator": "below", "window": "7d", "for": "1d"}]}
            """, System.Text.Encoding.UTF8, "application/json"), Ct);
        Assert.True(monitored.IsSuccessStatusCode, await monitored.Content.ReadAsStringAsync(Ct));
        var again = await harness.Server.ReadAsync<DrillReport>(await harness.Server.PostJsonAsync("/v1/services/shop/drill", """{"degrade": "quality=40%", "window": "1d"}"""));
        var estimated = again.Layers.Single(l => l.Layer == "business");
        Assert.Equal("retention-drop", estimated.Monitor);
        Assert.Contains("about 8.00:00:00 after the injection", estimated.Note, StringComparison.Ordinal);

        var audit = await harness.Server.Client.GetStringAsync("/v1/audit?action=drill.run", Ct);
        Assert.Contains("DRILL (sandbox", audit, StringComparison.Ordinal);

        // A sandbox: the champion still answers as before.
        Assert.Equal(1, (await harness.Server.GetAsync<Vigil.Server.Api.AliasesView>("/v1/services/shop/aliases")).Champion);
    }

    [Fact]
    public async Task FeatureShift_IsCaughtByTheInputLayerFirst()
    {
        await using var harness = await StartWithTrafficAsync();

        var report = await harness.Server.ReadAsync<DrillReport>(await harness.Server.PostJsonAsync("/v1/services/shop/drill", """{"degrade": "shift=price:+300%"}"""));

        var input = report.Layers.Single(l => l.Layer == "input");
        Assert.True(input.Caught, input.Note);
        Assert.Contains("price", input.Monitor, StringComparison.Ordinal);
        Assert.Equal("input", report.FirstLayer);
        Assert.Equal(report.FirstTimeToDetectSeconds, input.TimeToDetectSeconds);
    }

    [Fact]
    public async Task BadDrills_GetClearProblems()
    {
        await using var harness = await RetrainingHarness.StartAsync();
        await harness.CreateShopAsync();

        Assert.Contains("percentage", (await VigilTestServer.ProblemAsync(await harness.Server.PostJsonAsync("/v1/services/shop/drill", """{"degrade": "quality=lots"}"""), 400))["detail"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Contains("no feature 'colour'", (await VigilTestServer.ProblemAsync(await harness.Server.PostJsonAsync("/v1/services/shop/drill", """{"degrade": "nulls=colour:30%"}"""), 422))["detail"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Contains("send feedback first", (await VigilTestServer.ProblemAsync(await harness.Server.PostJsonAsync("/v1/services/shop/drill", """{"degrade": "quality=10%"}"""), 422))["detail"]!.GetValue<string>(), StringComparison.Ordinal);
        await VigilTestServer.ProblemAsync(await harness.Server.PostJsonAsync("/v1/services/nope/drill", """{"degrade": "quality=10%"}"""), 404);
        await VigilTestServer.ProblemAsync(await harness.Server.PostJsonAsync("/v1/services/shop/drill", """{"degrade": "quality=10%", "window": "forever"}"""), 400);
    }

    /// <summary>The shop with two hours of labelled traffic, 100 requests every 10 minutes, on the fake clock.</summary>
    private static async Task<RetrainingHarness> StartWithTrafficAsync()
    {
        var harness = await RetrainingHarness.StartAsync();
        await harness.CreateShopAsync();
        for (var batch = 0; batch < 12; batch++)
        {
            await harness.SendLabelledAsync(100, seed: batch);
            harness.Clock.Advance(TimeSpan.FromMinutes(10));
        }

        return harness;
    }
}

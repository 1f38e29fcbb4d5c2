using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Vigil.Monitoring;
using Vigil.Persistence;
using Vigil.Registry;
using Vigil.Server.Api;
using Vigil.Server.Monitoring;
using Vigil.Server.Monitoring.Layers;

namespace Vigil.Server.Tests;

/// <summary>
/// Issue 13, item 2: memory, stored windows, <c>/features</c> and metric series stay bounded whatever names a client
/// invents. On main, 100,000 requests with one new feature name each took the server from 237 MB to 3.16 GB, and
/// <c>/features</c> answered 17 MB. Over real HTTP on a fake clock, so the window closes when the test says.
/// </summary>
public sealed class CardinalityTests : IAsyncLifetime
{
    private const int Names = 10_000;
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 11, 1, 0, 0, 0, TimeSpan.Zero));
    private RemoteModel _model = null!;
    private VigilTestServer _server = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        _model = await RemoteModel.StartAsync();
        _server = await VigilTestServer.StartAsync(configure: o =>
        {
            o.TimeProvider = _clock;
            o.ControllerTick = TimeSpan.FromDays(365); // the test ticks by hand
        });
        var created = await _server.PostAsync("/v1/services", new CreateServiceRequest(
            "wide", [new("x", FeatureType.Number)], new OutputSpec(OutputKind.Probability), "test"));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        await _server.RegisterRemoteAsync(_model, "wide", "champion");
        var settings = await _server.Client.PutAsync(
            "/v1/services/wide/monitoring", new StringContent("""{"segments": ["country"]}""", Encoding.UTF8, "application/json"), Ct);
        Assert.Equal(HttpStatusCode.OK, settings.StatusCode);
    }

    public async ValueTask DisposeAsync()
    {
        await _server.DisposeAsync();
        await _model.DisposeAsync();
    }

    [Fact]
    public async Task UnknownFeatureNames_TenThousandDistinctInOneWindow_StayAtTheBound_OverflowCounted_FeaturesAndMetricsSmall()
    {
        // Every instance carries a new feature name, a new attribute key and a new value of the segment attribute.
        for (var batch = 0; batch < Names / 1000; batch++)
        {
            var instances = Enumerable.Range(batch * 1000, 1000).Select(i => string.Create(CultureInfo.InvariantCulture,
                $$$"""{"attributes": {"country": "c{{{i}}}", "key{{{i}}}": "v"}, "inputs": {"x": {{{i % 100}}}, "name_{{{i}}}": {{{i}}}}}"""));
            var response = await _server.PostJsonAsync("/v1/services/wide/predict", "{\"instances\": [" + string.Join(",", instances) + "]}");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        await _server.App.FlushAsync(Ct);
        _clock.Advance(TimeSpan.FromMinutes(1));
        await _server.App.Services.GetRequiredService<MonitorEvaluator>().TickAsync(Ct);

        var bound = _server.App.Services.GetRequiredService<LiveMonitoring>().MaxUnknownFeatures;
        Assert.Equal(64, bound);

        // The window: the bound's names counted by name, the rest in one overflow bucket, reported as a schema violation.
        var layers = await _server.GetAsync<JsonObject>("/v1/services/wide/layers");
        var window = layers["history"]!.AsArray()[^1]!;
        Assert.Equal(Names, window["requests"]!.GetValue<long>());
        var kinds = window["violations_by_kind"]!.AsObject();
        Assert.Equal(bound, kinds.Count(k => k.Value!["unknown"] is not null));
        Assert.Equal(Names - bound, kinds[InputLayerFold.Overflow]![InputLayerFold.OverflowKind]!.GetValue<long>());
        Assert.Equal(bound + 1, window["features"]!.AsObject().Count); // x and the tracked names

        // /features lists the tracked names only, and stays small.
        var featuresText = await _server.Client.GetStringAsync("/v1/services/wide/features", Ct);
        var features = JsonNode.Parse(featuresText)!["features"]!.AsArray();
        Assert.Equal(bound + 1, features.Count);
        Assert.True(featuresText.Length < 64 * 1024, $"/features answered {featuresText.Length:N0} bytes");

        // The stored window summary, what the database keeps a day of per minute, is bounded the same way.
        var stored = await _server.App.Services.GetRequiredService<IVigilStore>()
            .ListWindowsAsync("wide", null, WindowResolution.Minute, _clock.GetUtcNow().AddDays(-1), 10, Ct);
        var summary = Assert.Single(stored).Summary;
        Assert.True(summary.Length < 64 * 1024, $"the stored window summary is {summary.Length:N0} characters");

        // Metric series: one per (service, kind), not one per name; the overflow has its own counter.
        var metrics = await _server.Client.GetStringAsync("/metrics", Ct);
        var violationSeries = metrics.Split('\n').Where(l => l.StartsWith("vigil_schema_violations_total{", StringComparison.Ordinal)).ToList();
        Assert.Single(violationSeries);
        Assert.Contains("vigil_feature=\"(unknown)\"", violationSeries[0], StringComparison.Ordinal);
        Assert.Equal(Names.ToString(CultureInfo.InvariantCulture), violationSeries[0].Split(' ')[1]);
        var overflow = Assert.Single(metrics.Split('\n'), l => l.StartsWith("vigil_monitoring_unknown_features_overflow_total{", StringComparison.Ordinal));
        Assert.Contains("vigil_service=\"wide\"", overflow, StringComparison.Ordinal);
        Assert.Equal((Names - bound).ToString(CultureInfo.InvariantCulture), overflow.Split(' ')[1]);
    }
}

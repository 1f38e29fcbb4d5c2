using System.Globalization;
using System.Net;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Vigil.Registry;
using Vigil.Server.Api;
using Vigil.Server.Monitoring;
using Vigil.Server.Recording;

namespace Vigil.Server.Tests;

/// <summary>
/// <c>GET /v1/services/{s}/features</c> and <c>…/features/{f}/distribution</c>: a feature's baseline and recent
/// distributions read from the sketches, with shared bins and the same drift numbers the monitors use.
/// </summary>
public sealed class FeatureDistributionTests : IAsyncLifetime
{
    private static readonly string[] Countries = ["DE", "FR", "US"];
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 11, 3, 0, 0, 0, TimeSpan.Zero));
    private readonly Random _random = new(3);
    private RemoteModel _model = null!;
    private VigilTestServer _server = null!;

    public async ValueTask InitializeAsync()
    {
        _model = await RemoteModel.StartAsync();
        _server = await VigilTestServer.StartAsync(configure: o =>
        {
            o.TimeProvider = _clock;
            o.ControllerTick = TimeSpan.FromDays(40);
        });
        var created = await _server.PostAsync("/v1/services", new CreateServiceRequest(
            "feed",
            [new("price", FeatureType.Number), new("country", FeatureType.Category, Categories: Countries)],
            new OutputSpec(OutputKind.Probability),
            "test"));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        await _server.RegisterRemoteAsync(_model, "feed", "champion");
    }

    public async ValueTask DisposeAsync()
    {
        await _server.DisposeAsync();
        await _model.DisposeAsync();
    }

    private double Price() => Math.Round(12.4 * Math.Exp(0.4 * Math.Sqrt(-2 * Math.Log(1 - _random.NextDouble())) * Math.Cos(2 * Math.PI * _random.NextDouble())), 2);

    private string Row(bool cents) =>
        string.Create(CultureInfo.InvariantCulture, $$"""{"price": {{(cents ? Math.Round(Price() * 100) : Price())}}, "country": "{{Countries[_random.Next(Countries.Length)]}}"}""");

    private async Task MinutesAsync(int minutes, bool cents)
    {
        for (var m = 0; m < minutes; m++)
        {
            var instances = Enumerable.Range(0, 40).Select(_ => "{\"inputs\": " + Row(cents) + "}");
            var response = await _server.PostJsonAsync("/v1/services/feed/predict", "{\"instances\": [" + string.Join(",", instances) + "]}");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            await _server.App.Services.GetRequiredService<PredictionRecorder>().FlushAsync(TestContext.Current.CancellationToken);
            _clock.Advance(TimeSpan.FromMinutes(1));
            await _server.App.Services.GetRequiredService<MonitorEvaluator>().TickAsync(TestContext.Current.CancellationToken);
        }
    }

    private async Task PutBaselineAsync()
    {
        var rows = string.Join(",", Enumerable.Range(0, 4000).Select(_ => Row(cents: false)));
        using var body = new StringContent("{\"rows\": [" + rows + "]}", Encoding.UTF8, "application/json");
        var response = await _server.Client.PutAsync("/v1/services/feed/versions/1/baseline", body, TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task PriceInCents_ShowsBothSidesApart_WhileUnchangedTrafficOverlapsTheBaseline()
    {
        await PutBaselineAsync();
        await MinutesAsync(20, cents: false);

        var calm = await _server.GetAsync<FeatureDistributionView>("/v1/services/feed/features/price/distribution");
        Assert.Equal(1, calm.Version);
        Assert.Equal("numeric", calm.Kind);
        Assert.Equal(15 * 40, calm.Current!.Count);
        Assert.InRange(calm.Baseline!.Quantiles.Single(q => q.Q == 0.5).Value, 11.5, 13.5);
        Assert.InRange(calm.Current.Quantiles.Single(q => q.Q == 0.5).Value, 11, 14);
        Assert.Equal(FeatureDistributions.NumericBins, calm.Bins.Count);
        Assert.InRange(calm.Bins.Sum(b => b.Baseline!.Value), 0.99, 1.01);
        Assert.InRange(calm.Bins.Sum(b => b.Current!.Value), 0.99, 1.01);
        Assert.InRange(calm.Drift!.Psi!.Value, 0, 0.1);
        Assert.Equal(calm.To - calm.From, TimeSpan.FromMinutes(15));

        var list = await _server.GetAsync<FeatureDriftList>("/v1/services/feed/features");
        Assert.True(list.HasBaseline);
        Assert.Equal(["country", "price"], list.Features.Select(f => f.Feature).Order(StringComparer.Ordinal));

        await MinutesAsync(15, cents: true);
        var shifted = await _server.GetAsync<FeatureDistributionView>("/v1/services/feed/features/price/distribution?minutes=15");
        Assert.InRange(shifted.Current!.Quantiles.Single(q => q.Q == 0.5).Value, 1100, 1400);
        Assert.True(shifted.Drift!.Psi > 1, shifted.Drift.ToString());
        // Dollars against cents span two orders of magnitude: bins of equal width in log(1 + x), the baseline's mass
        // below 100 and the cents' above, both visible.
        Assert.True(shifted.Bins[5].High / shifted.Bins[5].Low > 1.2, "log-scaled bins");
        Assert.True(shifted.Bins.Where(b => b.High <= 100).Sum(b => b.Baseline!.Value) > 0.99);
        Assert.True(shifted.Bins.Where(b => b.Low >= 100).Sum(b => b.Current!.Value) > 0.9);
        Assert.True(shifted.Bins.Count(b => b.Baseline > 0.01) >= 4, "the baseline spreads over several bins");
        var ranked = await _server.GetAsync<FeatureDriftList>("/v1/services/feed/features");
        Assert.Equal("price", ranked.Features[0].Feature);
        Assert.True(ranked.Features[0].CurrentMedian > 1000);

        var country = await _server.GetAsync<FeatureDistributionView>("/v1/services/feed/features/country/distribution");
        Assert.Equal("categorical", country.Kind);
        Assert.Equal(Countries.Order(StringComparer.Ordinal), country.Bins.Select(b => b.Label).Order(StringComparer.Ordinal));
        Assert.InRange(country.Drift!.Psi!.Value, 0, 0.1);

        var latency = await _server.GetAsync<FeatureDistributionView>("/v1/services/feed/features/@latency_ms/distribution");
        Assert.Null(latency.Baseline);
        Assert.NotEmpty(latency.Current!.Quantiles);
    }

    [Fact]
    public async Task UnknownFeature_Is404_BadMinutes_Is400_UnknownService_Is404()
    {
        await PutBaselineAsync();
        Assert.Equal(HttpStatusCode.NotFound, (await _server.Client.GetAsync("/v1/services/feed/features/nope/distribution", TestContext.Current.CancellationToken)).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await _server.Client.GetAsync("/v1/services/feed/features/price/distribution?minutes=0", TestContext.Current.CancellationToken)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await _server.Client.GetAsync("/v1/services/nope/features", TestContext.Current.CancellationToken)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await _server.Client.GetAsync("/v1/services/feed/features/price/distribution?version=7", TestContext.Current.CancellationToken)).StatusCode);

        // Baseline only, no traffic yet: the baseline side alone.
        var only = await _server.GetAsync<FeatureDistributionView>("/v1/services/feed/features/price/distribution");
        Assert.NotNull(only.Baseline);
        Assert.Null(only.Current);
        Assert.Null(only.Drift);
    }
}

using System.Globalization;
using System.Net;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Vigil.Monitoring;
using Vigil.Registry;
using Vigil.Server.Api;
using Vigil.Server.Monitoring;
using Vigil.Server.Recording;

namespace Vigil.Server.Tests;

/// <summary>
/// The schema-change story of issue 4 on the live server and a fake clock, over a long quiet stretch: a week of
/// unchanged traffic through the gateway raises no alert at all (pending included), then price arrives in cents and the
/// default input-drift monitor fires on price within one simulated hour.
/// </summary>
public sealed class MonitoringWeekTests : IAsyncLifetime
{
    private static readonly string[] Countries = ["DE", "FR", "US", "BR"];
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 11, 2, 0, 0, 0, TimeSpan.Zero));
    private readonly Random _random = new(11);
    private RemoteModel _model = null!;
    private VigilTestServer _server = null!;

    public async ValueTask InitializeAsync()
    {
        _model = await RemoteModel.StartAsync();
        _server = await VigilTestServer.StartAsync(configure: o =>
        {
            o.TimeProvider = _clock;
            o.ControllerTick = TimeSpan.FromDays(40); // the test ticks by hand
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

    /// <summary>A price in dollars: log-normal around 12.40, a quarter of items free.</summary>
    private double Price()
    {
        if (_random.NextDouble() < 0.25)
        {
            return 0;
        }

        var gaussian = Math.Sqrt(-2 * Math.Log(1 - _random.NextDouble())) * Math.Cos(2 * Math.PI * _random.NextDouble());
        return Math.Round(12.4 * Math.Exp(0.6 * gaussian), 2);
    }

    private string Row(bool cents) =>
        string.Create(CultureInfo.InvariantCulture, $$"""{"price": {{(cents ? Math.Round(Price() * 100) : Price())}}, "country": "{{Countries[_random.Next(Countries.Length)]}}"}""");

    /// <summary>Sends <paramref name="count"/> requests now, lets the recorder fold them, advances the clock and ticks the evaluator.</summary>
    private async Task StepAsync(bool cents, int count, TimeSpan advance)
    {
        var instances = Enumerable.Range(0, count).Select(_ => "{\"inputs\": " + Row(cents) + "}");
        var response = await _server.PostJsonAsync("/v1/services/feed/predict", "{\"instances\": [" + string.Join(",", instances) + "]}");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        await _server.App.Services.GetRequiredService<PredictionRecorder>().FlushAsync(TestContext.Current.CancellationToken);
        _clock.Advance(advance);
        await _server.App.Services.GetRequiredService<MonitorEvaluator>().TickAsync(TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task AWeekOfUnchangedTraffic_RaisesNoAlert_ThenPriceInCents_FiresWithinAnHour()
    {
        var rows = string.Join(",", Enumerable.Range(0, 5000).Select(_ => Row(cents: false)));
        using var body = new StringContent("{\"rows\": [" + rows + "]}", Encoding.UTF8, "application/json");
        var baseline = await _server.Client.PutAsync("/v1/services/feed/versions/1/baseline", body, TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, baseline.StatusCode);

        // A week: a batch of 100 every 5 minutes (about 300 values per 15-minute drift window), 2,016 steps.
        for (var step = 0; step < 7 * 24 * 12; step++)
        {
            await StepAsync(cents: false, 100, TimeSpan.FromMinutes(5));
        }

        var quiet = (await _server.GetAsync<AlertList>("/v1/alerts")).Alerts;
        Assert.True(quiet.Count == 0, "alerts in a week of unchanged traffic: " + string.Join("; ", quiet.Select(a => a.Summary)));
        Assert.True(_server.App.Services.GetRequiredService<LiveMonitoring>().History("feed", LiveMonitoring.HistoryWindows).Count >= 1000);

        var changedAt = _clock.GetUtcNow();
        AlertView? fired = null;
        for (var step = 0; step < 12 && fired is null; step++)
        {
            await StepAsync(cents: true, 100, TimeSpan.FromMinutes(5));
            fired = (await _server.GetAsync<AlertList>("/v1/alerts")).Alerts.FirstOrDefault(a => a.Status.State == AlertState.Firing);
        }

        Assert.NotNull(fired);
        Assert.Equal(("input-drift", "price"), (fired.Status.Monitor, fired.Status.Subject));
        Assert.InRange(fired.Status.FiredAt!.Value - changedAt, TimeSpan.Zero, TimeSpan.FromHours(1));
        Assert.InRange(fired.Status.TimeToDetectSeconds!.Value, 0, 3600);
        Assert.Contains("median", fired.Summary, StringComparison.Ordinal);
    }
}

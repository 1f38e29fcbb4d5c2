using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Vigil.Registry;
using Vigil.Server.Api;
using Vigil.Server.Monitoring;
using Vigil.Server.Recording;

namespace Vigil.Server.Tests;

/// <summary>
/// Live monitoring end to end on a fake clock: traffic through the gateway is folded by the recorder into one-minute
/// windows, the evaluator ticks, and the schema-change story (price sent in cents) fires input-drift on price within an
/// hour, reaching the webhook, /v1/alerts and the layers view — after hours of unchanged traffic that raised nothing.
/// </summary>
public sealed class MonitoringTests : IAsyncLifetime
{
    private static readonly string[] Countries = ["DE", "FR", "US"];
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 11, 1, 0, 0, 0, TimeSpan.Zero));
    private readonly Random _random = new(5);
    private RemoteModel _model = null!;
    private VigilTestServer _server = null!;

    public async ValueTask InitializeAsync()
    {
        _model = await RemoteModel.StartAsync();
        _server = await VigilTestServer.StartAsync(configure: o =>
        {
            o.TimeProvider = _clock;
            o.ControllerTick = TimeSpan.FromDays(365); // the test ticks by hand
            o.Webhooks.Add(new Uri(_model.Url, "hook").ToString());
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

    private double Price() => Math.Max(0.5, 12.4 + (3 * Math.Sqrt(-2 * Math.Log(1 - _random.NextDouble())) * Math.Cos(2 * Math.PI * _random.NextDouble())));

    private async Task<HttpResponseMessage> PutBaselineAsync(string rows) =>
        await _server.Client.PutAsync("/v1/services/feed/versions/1/baseline", new StringContent("{\"rows\": [" + rows + "]}", Encoding.UTF8, "application/json"), TestContext.Current.CancellationToken);

    /// <summary>Sends a minute of traffic, lets the recorder fold it, advances the clock a minute and ticks the evaluator.</summary>
    private async Task MinuteAsync(bool cents, int perMinute = 30)
    {
        var instances = Enumerable.Range(0, perMinute).Select(_ =>
            string.Create(CultureInfo.InvariantCulture, $$$"""{"inputs": {"price": {{{(cents ? Price() * 100 : Price()):0.00}}}, "country": "{{{Countries[_random.Next(3)]}}}"}}"""));
        var response = await _server.PostJsonAsync("/v1/services/feed/predict", "{\"instances\": [" + string.Join(",", instances) + "]}");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        await _server.App.Services.GetRequiredService<PredictionRecorder>().FlushAsync(TestContext.Current.CancellationToken);
        _clock.Advance(TimeSpan.FromMinutes(1));
        await _server.App.Services.GetRequiredService<MonitorEvaluator>().TickAsync(TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task PriceInCents_FiresInputDriftOnPriceWithinAnHour_AfterQuietHours()
    {
        var rows = string.Join(",", Enumerable.Range(0, 5000).Select(_ =>
            string.Create(CultureInfo.InvariantCulture, $$"""{"price": {{Price():0.00}}, "country": "{{Countries[_random.Next(3)]}}"}""")));
        var baseline = await PutBaselineAsync(rows);
        Assert.Equal(HttpStatusCode.OK, baseline.StatusCode);

        for (var m = 0; m < 180; m++)
        {
            await MinuteAsync(cents: false);
        }

        var quiet = await _server.GetAsync<AlertList>("/v1/alerts");
        Assert.DoesNotContain(quiet.Alerts, a => a.Status.State == Vigil.Monitoring.AlertState.Firing);
        var calm = await _server.GetAsync<JsonObject>("/v1/services/feed/layers");
        Assert.Equal("ok", calm["input"]!["state"]!.GetValue<string>());
        Assert.Contains("data-layer=\"input\" data-state=\"ok\"", await _server.Client.GetStringAsync("/", TestContext.Current.CancellationToken), StringComparison.Ordinal);

        var changedAt = _clock.GetUtcNow();
        AlertView? fired = null;
        for (var m = 0; m < 60 && fired is null; m++)
        {
            await MinuteAsync(cents: true);
            fired = (await _server.GetAsync<AlertList>("/v1/alerts")).Alerts.FirstOrDefault(a => a.Status.State == Vigil.Monitoring.AlertState.Firing);
        }

        Assert.NotNull(fired);
        Assert.Equal("input-drift", fired.Status.Monitor);
        Assert.Equal("price", fired.Status.Subject);
        Assert.InRange(fired.Status.FiredAt!.Value - changedAt, TimeSpan.FromMinutes(1), TimeSpan.FromHours(1));
        Assert.InRange(fired.Status.TimeToDetectSeconds!.Value, 60, 3600);
        Assert.Contains("median", fired.Summary, StringComparison.Ordinal);

        var layers = await _server.GetAsync<JsonObject>("/v1/services/feed/layers");
        Assert.Equal("firing", layers["input"]!["state"]!.GetValue<string>());
        // The answers move too (prices in cents saturate the model's probability), so the output layer may already be
        // pending on confidence-shift against the version's first hour; it has data either way.
        Assert.NotEqual("no-data", layers["output"]!["state"]!.GetValue<string>());
        var last = layers["history"]!.AsArray()[^1]!;
        Assert.True(last["features"]!["price"]!["median"]!.GetValue<double>() > 500);

        string? hook = null;
        for (var i = 0; i < 100 && hook is null; i++)
        {
            hook = _model.Hooks.FirstOrDefault(h => h.Contains("input-drift", StringComparison.Ordinal));
            await Task.Delay(20, TestContext.Current.CancellationToken);
        }

        Assert.NotNull(hook);
        Assert.Contains("\"time_to_detect_seconds\"", hook, StringComparison.Ordinal);
        Assert.Contains("price", hook, StringComparison.Ordinal);

        // The dashboard's overview lights the input layer as an alert (a diamond and the word, not colour alone) …
        var overview = await _server.Client.GetStringAsync("/", TestContext.Current.CancellationToken);
        Assert.Contains("data-layer=\"input\" data-state=\"alert\"", overview, StringComparison.Ordinal);
        Assert.Matches("data-layer=\"output\" data-state=\"(ok|warning|alert)\"", overview);

        // … and its alerts page shows the same alert, firing, with its time to detect.
        var page = await _server.Client.GetStringAsync("/alerts", TestContext.Current.CancellationToken);
        Assert.Contains("data-monitor=\"input-drift\" data-state=\"firing\"", page, StringComparison.Ordinal);
        Assert.Contains(string.Create(CultureInfo.InvariantCulture, $"data-ttd=\"{fired.Status.TimeToDetectSeconds}\""), page, StringComparison.Ordinal);
        Assert.Contains("<td>price</td>", page, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AlertsPage_WithNoAlerts_SaysHowToGetThem()
    {
        var page = await _server.Client.GetStringAsync("/alerts", TestContext.Current.CancellationToken);

        Assert.Contains("No alerts pending, firing or resolved", page, StringComparison.Ordinal);
        Assert.Contains("vigil baseline upload", page, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("", "between 1 and")]
    [InlineData("""{"price": 1.5, "country": "DE"}, {"price": "abc", "country": "FR"}""", "text \\\"abc\\\" in the numeric input 'price'")]
    [InlineData("""{"price": 1.5, "country": "DE", "colour": "red"}""", "column 'colour' is not an input of 'feed'")]
    [InlineData("""{"price": 1.5}""", "input 'country' has no column")]
    [InlineData("""{"price": 1.5, "country": "DE"}, {"price": 2, "country": 3}""", "")]
    [InlineData("""{"price": 1e308, "country": "DE"}""", "is not a usable finite number")]
    [InlineData("""{"price": 1.5, "country": "DE"}, {"price": null}""", "")]
    [InlineData("""{"price": null}""", "has no value in any row")]
    public async Task BadBaselines_AreRejectedWithEveryProblem(string rows, string message)
    {
        var response = await PutBaselineAsync(rows);
        if (message.Length == 0)
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            return;
        }

        Assert.True(response.StatusCode is HttpStatusCode.BadRequest or HttpStatusCode.UnprocessableEntity, response.StatusCode.ToString());
        Assert.Contains(message, await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken), StringComparison.Ordinal);
    }

    [Fact]
    public async Task BaselineForAnUnknownVersion_Is404()
    {
        var response = await _server.Client.PutAsync("/v1/services/feed/versions/9/baseline", new StringContent("{\"rows\": [{\"price\": 1}]}", Encoding.UTF8, "application/json"), TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }
}

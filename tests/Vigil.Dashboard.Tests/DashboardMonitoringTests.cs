using System.Globalization;
using System.Net;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using OpenQA.Selenium;
using Vigil.Registry;
using Vigil.Server.Api;
using Vigil.Server.Monitoring;
using Vigil.Server.Recording;
using Vigil.Server.Tests;

namespace Vigil.Dashboard.Tests;

/// <summary>
/// The service page's monitoring sections in a real headless Chromium: after half an hour of traffic against a baseline,
/// with price switched to cents for the last 15 minutes, the drift table ranks price first with a sparkline per feature,
/// sorts by its headers, and draws price's baseline and current distributions overlaid; the outputs section shows the
/// latency distribution. The numbers are the same as GET /v1/services/{s}/features/{f}/distribution.
/// </summary>
public sealed class DashboardMonitoringTests : IAsyncLifetime
{
    private static readonly string[] Countries = ["DE", "FR", "US"];
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 11, 4, 9, 0, 0, TimeSpan.Zero));
    private readonly Random _random = new(8);
    private readonly Browser _browser = new();
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
            "an upstream feed"));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        await _server.RegisterRemoteAsync(_model, "feed", "champion");
    }

    public async ValueTask DisposeAsync()
    {
        _browser.Dispose();
        await _server.DisposeAsync();
        await _model.DisposeAsync();
    }

    private string Row(bool cents)
    {
        var price = Math.Round(12.4 * Math.Exp(0.4 * Math.Sqrt(-2 * Math.Log(1 - _random.NextDouble())) * Math.Cos(2 * Math.PI * _random.NextDouble())), 2);
        return string.Create(CultureInfo.InvariantCulture, $$"""{"price": {{(cents ? Math.Round(price * 100) : price)}}, "country": "{{Countries[_random.Next(Countries.Length)]}}"}""");
    }

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

    [Fact]
    public async Task ServicePage_ShowsPerformancePerVersionAndBusinessMetrics_AsTheLayersApiGivesThem()
    {
        var driver = _browser.Open();
        driver.Navigate().GoToUrl(new Uri(_server.App.BaseAddress, "/services/feed"));
        Assert.NotEmpty(driver.FindElements(By.CssSelector("[data-empty='performance']")));
        Assert.NotEmpty(driver.FindElements(By.CssSelector("[data-empty='business']")));

        await MinutesAsync(5, cents: false);
        _clock.Advance(TimeSpan.FromHours(25)); // past the default 24 h outcome window: the predictions have matured
        var points = string.Join(",", Enumerable.Range(0, 6).Select(d =>
            $$$"""{"name": "retention_d7", "value": {{{(0.40 + (0.01 * d)).ToString(CultureInfo.InvariantCulture)}}}, "timestamp": "{{{_clock.GetUtcNow().AddDays(d - 6):O}}}", "service": "feed"}"""));
        Assert.Equal(HttpStatusCode.OK, (await _server.PostJsonAsync("/v1/business-metrics", "{\"points\": [" + points + "]}")).StatusCode);
        var api = await _server.GetAsync<System.Text.Json.Nodes.JsonObject>("/v1/services/feed/performance?from=" + Uri.EscapeDataString(_clock.GetUtcNow().AddDays(-7).ToString("O")));
        var accuracy = api["groups"]!.AsArray().First()!["metrics"]!.AsArray().First(m => m!["name"]!.GetValue<string>() == "accuracy")!;

        driver.Navigate().GoToUrl(new Uri(_server.App.BaseAddress, "/services/feed"));

        var shown = driver.FindElement(By.CssSelector("table[data-performance] tr[data-group^='1/champion'] span[data-metric='accuracy']"));
        Assert.Equal(accuracy["value"]!.GetValue<double>(), double.Parse(shown.GetAttribute("data-value")!, CultureInfo.InvariantCulture), 9);
        Assert.Contains("(estimate)", shown.Text, StringComparison.Ordinal); // no label yet: implied by the model's confidence
        var business = driver.FindElement(By.CssSelector("table[data-business] tr[data-business-metric='retention_d7']"));
        Assert.Contains("0.45", business.Text, StringComparison.Ordinal); // the latest point
        Assert.Equal("6", business.FindElement(By.CssSelector("[data-sparkline='business-retention_d7']")).GetAttribute("data-points"));
    }

    [Fact]
    public async Task ServicePage_WithABaselineAndTraffic_ShowsTheDriftTableSparklinesAndTheOverlaidDistributions()
    {
        var driver = _browser.Open();
        driver.Navigate().GoToUrl(new Uri(_server.App.BaseAddress, "/services/feed"));
        Assert.NotEmpty(driver.FindElements(By.CssSelector("[data-empty='drift']")));
        Assert.NotEmpty(driver.FindElements(By.CssSelector("[data-empty='outputs']")));

        var rows = string.Join(",", Enumerable.Range(0, 4000).Select(_ => Row(cents: false)));
        using var body = new StringContent("{\"rows\": [" + rows + "]}", Encoding.UTF8, "application/json");
        Assert.Equal(HttpStatusCode.OK, (await _server.Client.PutAsync("/v1/services/feed/versions/1/baseline", body, TestContext.Current.CancellationToken)).StatusCode);
        await MinutesAsync(20, cents: false);
        await MinutesAsync(15, cents: true);

        driver.Navigate().GoToUrl(new Uri(_server.App.BaseAddress, "/services/feed"));
        var table = driver.FindElement(By.CssSelector("table[data-drift-table]"));
        var features = table.FindElements(By.CssSelector("tbody tr")).Select(r => r.GetAttribute("data-feature")).ToList();
        Assert.Equal(["price", "country"], features);
        var api = await _server.GetAsync<FeatureDistributionView>("/v1/services/feed/features/price/distribution");
        var pricePsi = double.Parse(table.FindElement(By.CssSelector("tr[data-feature='price']")).GetAttribute("data-psi")!, CultureInfo.InvariantCulture);
        Assert.Equal(api.Drift!.Psi!.Value, pricePsi, 9);
        Assert.True(pricePsi > 1);
        Assert.Contains("◆", table.FindElement(By.CssSelector("tr[data-feature='price']")).Text, StringComparison.Ordinal);
        foreach (var feature in features)
        {
            var spark = table.FindElement(By.CssSelector($"[data-sparkline='{feature}']"));
            Assert.InRange(int.Parse(spark.GetAttribute("data-points")!, CultureInfo.InvariantCulture), 30, 60);
        }

        // Price, the most drifted, is the feature drawn by default: both sides' bars, the same shares as the endpoint.
        var chart = driver.FindElement(By.CssSelector("[data-chart='distribution']"));
        Assert.Contains("price", chart.Text, StringComparison.Ordinal);
        var bins = chart.FindElements(By.CssSelector("g.bin"));
        Assert.Equal(api.Bins.Count, bins.Count);
        Assert.NotEmpty(chart.FindElements(By.CssSelector("rect.baseline")));
        Assert.NotEmpty(chart.FindElements(By.CssSelector("rect.current")));
        Assert.Equal(api.Bins[0].Baseline!.Value, double.Parse(bins[0].GetAttribute("data-baseline")!, CultureInfo.InvariantCulture), 9);
        var quantiles = driver.FindElement(By.CssSelector("table[data-quantiles]"));
        Assert.NotEmpty(quantiles.FindElements(By.CssSelector("tr[data-side='baseline'] td.num")));
        Assert.NotEmpty(quantiles.FindElements(By.CssSelector("tr[data-side='current'] td.num")));
        Assert.Contains("PSI", driver.FindElement(By.CssSelector("[data-drift-numbers]")).Text, StringComparison.Ordinal);

        // Outputs: the latency distribution of the same windows, with its per-minute p99.
        var outputs = driver.FindElement(By.CssSelector("table[data-outputs]"));
        Assert.NotEmpty(outputs.FindElements(By.CssSelector("tr[data-output='@latency_ms']")));
        // The chart draws the first output that is not latency when the output layer profiles one (the score), else latency.
        Assert.NotEmpty(driver.FindElements(By.CssSelector("[data-chart^='output-'] g.bin")));

        // Sorting by a header, then choosing another feature to draw.
        Browser.SubmitAndWait(driver, () => driver.FindElement(By.CssSelector("a[data-sort='feature']")).Click());
        Assert.Equal(["country", "price"], driver.FindElements(By.CssSelector("table[data-drift-table] tbody tr")).Select(r => r.GetAttribute("data-feature")));
        Browser.SubmitAndWait(driver, () => driver.FindElement(By.CssSelector("tr[data-feature='country'] a")).Click());
        var country = Browser.WaitFor(driver, By.CssSelector("[data-chart='distribution']"));
        Assert.Contains("country", country.Text, StringComparison.Ordinal);
        Assert.Equal(Countries.Order(StringComparer.Ordinal), country.FindElements(By.CssSelector("g.bin")).Select(b => b.GetAttribute("data-bin")).Order(StringComparer.Ordinal));
        Assert.Contains("sort=feature", driver.Url, StringComparison.Ordinal);
    }

    [Fact]
    public async Task OverviewAlertsAndServicePages_RefreshTheirLiveParts_WithoutReloading()
    {
        var rows = string.Join(",", Enumerable.Range(0, 4000).Select(_ => Row(cents: false)));
        using var body = new StringContent("{\"rows\": [" + rows + "]}", Encoding.UTF8, "application/json");
        Assert.Equal(HttpStatusCode.OK, (await _server.Client.PutAsync("/v1/services/feed/versions/1/baseline", body, TestContext.Current.CancellationToken)).StatusCode);
        await MinutesAsync(20, cents: false);

        var driver = _browser.Open();
        var js = (IJavaScriptExecutor)driver;
        driver.Navigate().GoToUrl(new Uri(_server.App.BaseAddress, "/"));
        Assert.Equal("ok", driver.FindElement(By.CssSelector("[data-service='feed'] [data-layer='input']")).GetAttribute("data-state"));
        Assert.NotEmpty(driver.FindElements(By.CssSelector("[data-empty='alerts']")));
        js.ExecuteScript("window.vigilMarker = 42;");

        // The feed switches to cents: the overview's light and its firing alerts change on their own.
        await MinutesAsync(15, cents: true);
        Until(driver, d => d.FindElement(By.CssSelector("[data-service='feed'] [data-layer='input']")).GetAttribute("data-state") == "alert", "the input light turns to alert");
        Until(driver, d => d.FindElements(By.CssSelector("tr[data-monitor='input-drift'][data-state='firing']")).Count == 1, "the firing alert is listed");
        Assert.Equal(42L, js.ExecuteScript("return window.vigilMarker;"));

        // The alerts page: the alert resolves once the feed is fixed, without a reload.
        driver.Navigate().GoToUrl(new Uri(_server.App.BaseAddress, "/alerts"));
        Assert.NotEmpty(driver.FindElements(By.CssSelector("tr[data-monitor='input-drift'][data-state='firing']")));
        js.ExecuteScript("window.vigilMarker = 43;");
        await MinutesAsync(35, cents: false);
        Until(driver, d => d.FindElements(By.CssSelector("tr[data-monitor='input-drift'][data-state='resolved']")).Count == 1, "the alert shows as resolved");
        Assert.Equal(43L, js.ExecuteScript("return window.vigilMarker;"));

        // The service page: its lights, firing alerts and monitoring sections are live parts too, and keep the page's choices.
        driver.Navigate().GoToUrl(new Uri(_server.App.BaseAddress, "/services/feed?sort=feature&feature=country"));
        var monitoring = driver.FindElement(By.CssSelector("[data-live^='/dashboard/fragments/monitoring/feed']"));
        Assert.Contains("sort=feature", monitoring.GetAttribute("data-live"), StringComparison.Ordinal);
        Until(driver, d => d.FindElement(By.CssSelector("[data-live^='/dashboard/fragments/monitoring/feed']")).GetAttribute("data-refreshed") is not null, "the monitoring sections refresh");
        Assert.Contains("country", driver.FindElement(By.CssSelector("[data-chart='distribution']")).Text, StringComparison.Ordinal);
        Assert.Equal(["country", "price"], driver.FindElements(By.CssSelector("table[data-drift-table] tbody tr")).Select(r => r.GetAttribute("data-feature")));
        Assert.NotNull(driver.FindElement(By.CssSelector("[data-live='/dashboard/fragments/lights/feed'] [data-layer='input']")));
    }

    /// <summary>Waits up to 20 s (the live parts refresh every 5 s) for <paramref name="condition"/>.</summary>
    private static void Until(IWebDriver driver, Func<IWebDriver, bool> condition, string what)
    {
        var waited = System.Diagnostics.Stopwatch.StartNew();
        while (waited.Elapsed < TimeSpan.FromSeconds(20))
        {
            try
            {
                if (condition(driver))
                {
                    return;
                }
            }
            catch (Exception ex) when (ex is NoSuchElementException or StaleElementReferenceException)
            {
                // The part was being swapped: look again.
            }

            Thread.Sleep(200);
        }

        throw new Xunit.Sdk.XunitException($"not within 20 s: {what}; the page says: {driver.FindElement(By.TagName("body")).Text}");
    }
}

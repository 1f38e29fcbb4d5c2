using System.Net;
using OpenQA.Selenium;
using Vigil.Predictions;
using Vigil.Server.Dashboard;

namespace Vigil.Dashboard.Tests;

/// <summary>Each page of the dashboard in a real headless Chromium against a real server holding the demo's story.</summary>
public sealed class DashboardPagesTests(StoryFixture fixture) : IClassFixture<StoryFixture>
{
    private DemoStory Story => fixture.Story;

    private IWebDriver Go(string path)
    {
        var driver = fixture.Browser.Open();
        driver.Navigate().GoToUrl(new Uri(Story.Server.App.BaseAddress, path));
        return driver;
    }

    [Fact]
    public async Task TrafficEndpoint_CountsEveryPredictionPerArmInTimeBuckets()
    {
        var series = await Story.Server.GetAsync<TrafficSeriesView>("/v1/services/shop/traffic");

        Assert.Equal(TrafficSeriesEndpoints.DefaultBuckets, (int)Math.Round((series.To - series.From).TotalSeconds / series.BucketSeconds));
        var badCanary = series.Buckets.Where(b => b is { Version: 2, Arm: Arms.Canary }).ToList();
        Assert.NotEmpty(badCanary);
        Assert.True(badCanary.Sum(b => b.Errors) > 0, "the failing v2 canary's errors are counted");

        // Every request is there once, and each failed canary call once more: the plan falls back to the champion, which answers it too.
        Assert.Equal(Story.Sent + badCanary.Sum(b => b.Errors), series.Buckets.Sum(b => b.Requests));
        Assert.Contains(series.Buckets, b => b is { Version: 3, Arm: Arms.Canary });
        Assert.True(series.Buckets.Select(b => b.Start).Distinct().Count() >= 3, "the story spans several buckets");
        Assert.Equal(series.Buckets.OrderBy(b => b.Start).Select(b => b.Start), series.Buckets.Select(b => b.Start));

        var narrow = await Story.Server.GetAsync<TrafficSeriesView>($"/v1/services/shop/traffic?since={Uri.EscapeDataString(DemoStory.T0.ToString("O"))}&until={Uri.EscapeDataString(DemoStory.T0.AddMinutes(10).ToString("O"))}&buckets=2");
        Assert.Equal(300, narrow.Buckets.Sum(b => b.Requests));
        Assert.All(narrow.Buckets, b => Assert.Equal(Arms.Champion, b.Arm));

        await Server.Tests.VigilTestServer.ProblemAsync(await Story.Server.Client.GetAsync("/v1/services/nope/traffic", TestContext.Current.CancellationToken), 404);
        await Server.Tests.VigilTestServer.ProblemAsync(await Story.Server.Client.GetAsync("/v1/services/shop/traffic?buckets=0", TestContext.Current.CancellationToken), 400);
    }

    [Fact]
    public void Overview_ShowsTheServiceItsChampionTheLiveReleaseAsAProgressBarAndALightPerLayer()
    {
        var driver = Go("/");

        var card = driver.FindElement(By.CssSelector("[data-service='shop']"));
        Assert.Equal("v1", card.FindElement(By.CssSelector("[data-alias='champion']")).Text);
        var release = card.FindElement(By.CssSelector($"[data-release='{Story.Live.Id}']"));
        Assert.Equal("canary", release.GetAttribute("data-status"));
        var bar = release.FindElement(By.CssSelector("[role='progressbar']"));
        Assert.InRange(int.Parse(bar.GetAttribute("aria-valuenow")!, System.Globalization.CultureInfo.InvariantCulture), 51, 99);
        Assert.Contains("step 2 of 2: 50% of traffic", release.Text, StringComparison.Ordinal);
        Assert.Contains("next step in", release.Text, StringComparison.Ordinal);
        var lights = card.FindElements(By.CssSelector(".light"));
        Assert.Equal(["input", "output", "performance", "business"], lights.Select(l => l.GetAttribute("data-layer")));
        Assert.All(lights, l => Assert.Contains("not monitored yet", l.Text, StringComparison.Ordinal));
        Assert.NotEmpty(driver.FindElements(By.CssSelector("[data-empty='alerts']")));
    }

    [Fact]
    public void ServicePage_ChartsHaveAPointPerBucketAndArm_AndTheTimelineShowsTheRollbackAndTheTriggers()
    {
        var driver = Go("/services/shop");

        foreach (var chart in new[] { "requests", "errors", "latency" })
        {
            var figure = driver.FindElement(By.CssSelector($"[data-chart='{chart}']"));
            var series = figure.FindElements(By.CssSelector("g.series")).Select(s => s.GetAttribute("data-series")).ToList();
            Assert.Contains("v1 champion", series);
            Assert.Contains("v2 canary", series);
            Assert.Contains("v3 canary", series);
            Assert.True(figure.FindElements(By.CssSelector("circle.point")).Count >= 5, chart + " has its data points");
        }

        // The failing canary's error rate is drawn at 100%, the champion's at 0.
        var errors = driver.FindElement(By.CssSelector("[data-chart='errors'] g.series[data-series='v2 canary']"));
        Assert.Contains(errors.FindElements(By.CssSelector("circle.point")), p => p.GetAttribute("data-value") == "1");
        Assert.Contains(driver.FindElements(By.CssSelector("[data-chart='requests'] g.marker")), m => m.GetAttribute("data-marker") == "v2 rolled back");

        var rolledBack = driver.FindElement(By.CssSelector($"[data-release-panel='{Story.RolledBack.Id}']"));
        var rollback = rolledBack.FindElement(By.CssSelector("tr[data-event='rolled_back']")).Text;
        Assert.Contains("rollback point", rollback, StringComparison.Ordinal);
        Assert.Contains("first breach", rollback, StringComparison.Ordinal);
        var trigger = rolledBack.FindElement(By.CssSelector("tr[data-trigger='error_rate']"));
        Assert.Equal("breached", trigger.GetAttribute("data-verdict"));
        Assert.NotEmpty(trigger.FindElements(By.CssSelector("rect.band")));
        Assert.NotEmpty(trigger.FindElements(By.CssSelector("line.threshold")));

        var live = driver.FindElement(By.CssSelector($"[data-release-panel='{Story.Live.Id}']"));
        Assert.Contains("▶ now", live.Text, StringComparison.Ordinal);
        Assert.Equal("ok", live.FindElement(By.CssSelector("tr[data-trigger='error_rate']")).GetAttribute("data-verdict"));
        foreach (var section in new[] { "drift", "outputs", "business" })
        {
            Assert.NotEmpty(driver.FindElements(By.CssSelector($"[data-empty='{section}']")));
        }

        // The story's predictions may have matured (older than the outcome window) or not: either the table or its empty state.
        var performance = driver.FindElement(By.CssSelector("[data-section='performance']"));
        Assert.True(performance.FindElements(By.CssSelector("[data-empty='performance'], table[data-performance]")).Count == 1, performance.Text);
    }

    [Fact]
    public void RegistryPage_ListsTheVersionsTheirAliasesAndWhoWasChampionWhen()
    {
        var driver = Go("/registry");

        var shop = driver.FindElement(By.CssSelector("[data-registry='shop']"));
        Assert.Equal(3, shop.FindElements(By.CssSelector("tr[data-version]")).Count);
        Assert.Contains("champion", shop.FindElement(By.CssSelector("tr[data-version='1']")).Text, StringComparison.Ordinal);
        Assert.Contains("challenger", shop.FindElement(By.CssSelector("tr[data-version='3']")).Text, StringComparison.Ordinal);
        var champions = shop.FindElement(By.CssSelector("table[data-champions='shop']"));
        Assert.Contains("v1", champions.Text, StringComparison.Ordinal);
        Assert.Contains("local", champions.Text, StringComparison.Ordinal);
    }

    [Fact]
    public void AuditPage_FiltersByActionAndService()
    {
        var driver = Go("/audit?action=release.rolled_back");

        var rows = driver.FindElements(By.CssSelector("tr[data-action]"));
        Assert.Single(rows);
        Assert.Contains("vigil:controller", rows[0].Text, StringComparison.Ordinal);

        driver = Go("/audit?service=shop");
        var actions = driver.FindElements(By.CssSelector("tr[data-action]")).Select(r => r.GetAttribute("data-action")).ToHashSet();
        Assert.Contains("service.created", actions);
        Assert.Contains("release.started", actions);

        driver = Go("/audit?actor=nobody");
        Assert.NotEmpty(driver.FindElements(By.CssSelector("[data-empty='audit']")));
    }

    [Fact]
    public async Task UnknownService_IsAClearNotFoundPage_With404()
    {
        var response = await Story.Server.Client.GetAsync("/services/nope", TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);

        var driver = Go("/services/nope");
        Assert.Contains("There is no service 'nope'", driver.FindElement(By.CssSelector("[data-empty='not-found']")).Text, StringComparison.Ordinal);
    }

    [Fact]
    public void PagesStillToCome_ShowWhatToDoNext()
    {
        foreach (var page in new[] { "alerts", "pipelines", "retraining" })
        {
            var driver = Go("/" + page);
            Assert.False(string.IsNullOrWhiteSpace(driver.FindElement(By.CssSelector($"[data-empty='{page}']")).Text));
        }
    }

    [Fact]
    public async Task ReleaseProgress_RefreshesItselfWithoutReloadingThePage()
    {
        var fragment = await Story.Server.Client.GetStringAsync("/dashboard/fragments/release/shop", TestContext.Current.CancellationToken);
        Assert.Contains($"data-release=\"{Story.Live.Id}\"", fragment, StringComparison.Ordinal);
        Assert.DoesNotContain("<html", fragment, StringComparison.OrdinalIgnoreCase);

        var driver = Go("/services/shop");
        ((IJavaScriptExecutor)driver).ExecuteScript("window.__sameDocument = true;");
        var live = driver.FindElement(By.CssSelector("[data-live^='/dashboard/fragments/release/']"));
        var waited = System.Diagnostics.Stopwatch.StartNew();
        while (live.GetAttribute("data-refreshed") is null && waited.Elapsed < TimeSpan.FromSeconds(20))
        {
            await Task.Delay(250, TestContext.Current.CancellationToken);
        }

        Assert.NotNull(live.GetAttribute("data-refreshed"));
        Assert.Equal(true, ((IJavaScriptExecutor)driver).ExecuteScript("return window.__sameDocument === true;"));
        Assert.NotEmpty(live.FindElements(By.CssSelector($"[data-release='{Story.Live.Id}']")));
    }
}

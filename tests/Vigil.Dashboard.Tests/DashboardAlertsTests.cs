using Microsoft.Extensions.DependencyInjection;
using OpenQA.Selenium;
using Vigil.Audit;
using Vigil.Monitoring;
using Vigil.Persistence;
using Vigil.Server.Monitoring;

namespace Vigil.Dashboard.Tests;

/// <summary>The alerts page in a real browser: acknowledge a firing alert, silence it, and end the silence, each confirmed, with a reason, audited.</summary>
public sealed class DashboardAlertsTests : IAsyncLifetime
{
    private readonly Browser _browser = new();
    private DemoStory _story = null!;
    private string _id = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        _story = await DemoStory.StartAsync();
        var now = _story.Clock.GetUtcNow();
        _id = StoredAlert.IdOf("shop", 1, "champion", "input-drift", "price");
        var alert = new StoredAlert(
            _id, "shop", 1, "champion",
            new AlertStatus("input-drift", "price", AlertState.Firing, now.AddMinutes(-7), now.AddMinutes(-9), now.AddMinutes(-2), now, null, 4.1, 0.25),
            AlertSeverity.Critical, MonitorLayer.Input, "input-drift: psi of 'price' = 4.1 (≥ 0.25)", false, null, 0, now);
        (await _story.Server.App.Services.GetRequiredService<IVigilStore>().PutAlertAsync(alert, 0, Ct)).Unwrap();
    }

    public async ValueTask DisposeAsync()
    {
        _browser.Dispose();
        await _story.DisposeAsync();
    }

    private static void Submit(IWebDriver driver, IWebElement form, string reason, string? hours = null)
    {
        if (!form.Displayed)
        {
            driver.FindElement(By.CssSelector($"td[data-alert] details summary")).Click();
        }

        if (hours is not null)
        {
            form.FindElement(By.CssSelector($"select[name='hours'] option[value='{hours}']")).Click();
        }

        form.FindElement(By.Name("reason")).SendKeys(reason);
        form.FindElement(By.Name("confirm")).Click();
        Browser.SubmitAndWait(driver, form.FindElement(By.CssSelector("button[type='submit']")).Click);
    }

    [Fact]
    public async Task AckSilenceAndEndSilence_FromTheAlertsPage_ChangeTheAlert_AndAreAudited()
    {
        var driver = _browser.Open();
        driver.Navigate().GoToUrl(new Uri(_story.Server.App.BaseAddress, "/alerts"));

        Submit(driver, driver.FindElement(By.CssSelector($"form[data-action='alert-ack-{_id}']")), "feed team paged");
        Assert.Contains("acknowledged input-drift on price", Browser.WaitFor(driver, By.CssSelector(".notice.ok")).Text, StringComparison.Ordinal);
        Assert.Equal("feed team paged", (await _story.Server.GetAsync<AlertView>($"/v1/alerts/{_id}")).Ack?.Reason);
        Assert.Equal("local", driver.FindElement(By.CssSelector($"td[data-alert='{_id}'] [data-acked]")).GetAttribute("data-acked"));

        Submit(driver, driver.FindElement(By.CssSelector($"form[data-action='alert-silence-{_id}']")), "feed migration tonight", hours: "4");
        Assert.Contains("silenced for 4 h", Browser.WaitFor(driver, By.CssSelector(".notice.ok")).Text, StringComparison.Ordinal);
        var silence = Assert.Single((await _story.Server.GetAsync<SilenceList>("/v1/silences")).Silences);
        Assert.Equal(("shop", "input-drift", "price", "feed migration tonight"), (silence.Service, silence.Monitor, silence.Subject, silence.Comment));
        Assert.Equal(_story.Clock.GetUtcNow().AddHours(4), silence.EndsAt);
        Assert.NotEmpty(driver.FindElements(By.CssSelector($"tr[data-silence='{silence.Id}']")));
        Assert.NotEmpty(driver.FindElements(By.CssSelector($"td[data-alert='{_id}'] [data-silenced]")));

        Submit(driver, driver.FindElement(By.CssSelector($"form[data-action='silence-expire-{silence.Id}']")), "migration done early");
        Assert.Contains($"silence {silence.Id} ended", Browser.WaitFor(driver, By.CssSelector(".notice.ok")).Text, StringComparison.Ordinal);
        Assert.Empty((await _story.Server.GetAsync<SilenceList>("/v1/silences")).Silences);
        Assert.NotEmpty(driver.FindElements(By.CssSelector("[data-silences='0']")));

        var audit = await _story.Server.App.Services.GetRequiredService<IVigilStore>().QueryAuditAsync(new AuditQuery(Service: "shop"), Ct);
        Assert.Contains(audit, e => e.Action == MonitoringAuditActions.AlertAcked && e.Reason == "feed team paged" && e.Actor == "local");
        Assert.Contains(audit, e => e.Action == MonitoringAuditActions.SilenceCreated && e.Reason == "feed migration tonight");
        Assert.Contains(audit, e => e.Action == MonitoringAuditActions.SilenceExpired && e.Reason == "migration done early");
    }
}

using OpenQA.Selenium;
using Vigil.Server.Api;
using Vigil.Server.Releases;

namespace Vigil.Dashboard.Tests;

/// <summary>A release waiting at an approval gate is approved from its page, and the approval shows in its timeline.</summary>
public sealed class DashboardApprovalTests : IAsyncLifetime
{
    private readonly Browser _browser = new();
    private DemoStory _story = null!;

    public async ValueTask InitializeAsync() => _story = await DemoStory.StartAsync(rolloutPlan: DemoStory.GatedRolloutPlan);

    public async ValueTask DisposeAsync()
    {
        _browser.Dispose();
        await _story.DisposeAsync();
    }

    [Fact]
    public async Task ApproveClickedInThePage_MovesTheReleaseToItsNextStep_AndTheTimelineShowsWhoApproved()
    {
        Assert.Equal("awaiting_approval", _story.Live.Status);
        var driver = _browser.Open();
        driver.Navigate().GoToUrl(new Uri(_story.Server.App.BaseAddress, "/services/shop"));
        Assert.Contains("waits for an approval", driver.FindElement(By.CssSelector($"[data-live] [data-release='{_story.Live.Id}']")).Text, StringComparison.Ordinal);

        var form = driver.FindElement(By.CssSelector("form[data-action='release-approve']"));
        form.FindElement(By.Name("reason")).SendKeys("dashboards look fine");
        form.FindElement(By.Name("confirm")).Click();
        Browser.SubmitAndWait(driver, form.FindElement(By.CssSelector("button[type='submit']")).Click);

        // The page the form posts back to carries the result: wait for it before asking the API.
        Assert.Contains("approve", Browser.WaitFor(driver, By.CssSelector(".notice")).Text, StringComparison.OrdinalIgnoreCase);
        var release = await _story.Server.GetAsync<ReleaseView>($"/v1/releases/{_story.Live.Id}");
        Assert.Equal(("canary", 500_000), (release.Status, release.Traffic.CanaryWeightPpm));
        var audit = await _story.Server.GetAsync<AuditList>("/v1/audit?action=release.approved");
        Assert.Equal("local", Assert.Single(audit.Events).Actor);
        var approval = driver.FindElement(By.CssSelector($"table[data-timeline='{_story.Live.Id}']")).FindElements(By.CssSelector("tr[data-event]"))
            .Single(r => r.Text.Contains("✔ approval", StringComparison.Ordinal));
        Assert.Contains("dashboards look fine", approval.Text, StringComparison.Ordinal);
        Assert.Empty(driver.FindElements(By.CssSelector("form[data-action='release-approve']")));
    }
}

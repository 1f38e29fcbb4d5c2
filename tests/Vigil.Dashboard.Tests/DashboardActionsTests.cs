using System.Net;
using System.Text.RegularExpressions;
using OpenQA.Selenium;
using Vigil.Predictions;
using Vigil.Server.Api;
using Vigil.Server.Releases;

namespace Vigil.Dashboard.Tests;

/// <summary>Acting from the dashboard: the forms call the same code as the API, need a confirmation and a reason, and are audited.</summary>
public sealed partial class DashboardActionsTests : IAsyncLifetime
{
    private readonly Browser _browser = new();
    private DemoStory _story = null!;

    public async ValueTask InitializeAsync() => _story = await DemoStory.StartAsync();

    public async ValueTask DisposeAsync()
    {
        _browser.Dispose();
        await _story.DisposeAsync();
    }

    [Fact]
    public async Task KillSwitch_ClickedInThePage_TakesTheChallengerOutOfTraffic_AndIsAuditedWithItsReason()
    {
        Assert.Contains(await _story.SendAsync(200), a => a.Arm == Arms.Canary);
        var driver = _browser.Open();
        driver.Navigate().GoToUrl(new Uri(_story.Server.App.BaseAddress, "/services/shop"));

        var form = driver.FindElement(By.CssSelector("form[data-action='release-kill']"));
        form.FindElement(By.Name("reason")).SendKeys("pager: conversion dropped");
        form.FindElement(By.Name("confirm")).Click();
        Browser.SubmitAndWait(driver, form.FindElement(By.CssSelector("button[type='submit']")).Click);

        Assert.Contains("release " + _story.Live.Id + " is now paused", Browser.WaitFor(driver, By.CssSelector(".notice.ok")).Text, StringComparison.Ordinal);
        var release = await _story.Server.GetAsync<ReleaseView>($"/v1/releases/{_story.Live.Id}");
        Assert.Equal(("paused", 0), (release.Status, release.Traffic.CanaryWeightPpm));
        Assert.All(await _story.SendAsync(200), a => Assert.Equal(Arms.Champion, a.Arm));
        var audit = await _story.Server.GetAsync<AuditList>("/v1/audit?service=shop");
        var killed = Assert.Single(
            audit.Events, e => e.Action.StartsWith("release.", StringComparison.Ordinal) && e.Reason?.EndsWith(": pager: conversion dropped", StringComparison.Ordinal) == true);
        Assert.Equal("local", killed.Actor);
        // The kill switch is the release flag: it went off first, audited with the same person and reason.
        var flagOff = Assert.Single(audit.Events, e => e.Action == "flag.disabled" && e.Target.EndsWith("/flags/" + _story.Live.Id, StringComparison.Ordinal));
        Assert.Equal(("local", "pager: conversion dropped"), (flagOff.Actor, flagOff.Reason));

        // The page now offers to resume instead of the kill switch, and shows the release as killed.
        Assert.Empty(driver.FindElements(By.CssSelector("form[data-action='release-kill']")));
        Assert.NotEmpty(driver.FindElements(By.CssSelector("form[data-action='release-resume']")));
        Assert.Contains("kill switch off", driver.FindElement(By.CssSelector($"[data-live] [data-release='{_story.Live.Id}']")).Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ServiceKillSwitch_AndRollback_FromThePage_ChangeWhatServesAndLandInTheAuditLog()
    {
        var token = await AntiforgeryTokenAsync("/services/shop");

        var killed = await PostFormAsync("/dashboard/actions/services/shop/kill", token, ("reason", "bad data upstream"), ("confirm", "yes"));
        Assert.Contains("done=", killed, StringComparison.Ordinal);
        // The test service declares no fallback output, so while its flag is off it refuses predictions (no model is called).
        var refused = await _story.Server.PostJsonAsync("/v1/services/shop/predict", """{"inputs": {"price": 10, "country": "DE"}}""");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
        var flag = await _story.Server.GetAsync<AuditList>("/v1/audit?action=flag.disabled");
        Assert.Equal("bad data upstream", Assert.Single(flag.Events, e => e.Target == "shop/flags/shop-enabled").Reason);

        var revived = await PostFormAsync("/dashboard/actions/services/shop/revive", token, ("reason", "fixed"), ("confirm", "yes"));
        Assert.Contains("done=", revived, StringComparison.Ordinal);
        Assert.Contains(await _story.SendAsync(50), a => a.Arm == Arms.Champion);

        // Roll back needs a previous champion: end the release and promote v3 through the API, then roll back from the page.
        await _story.Server.ReadAsync<ReleaseView>(await _story.Server.PostJsonAsync($"/v1/releases/{_story.Live.Id}/abort", """{"reason": "test"}"""));
        var challenger = await _story.Server.Client.PutAsync(
            "/v1/services/shop/aliases/challenger", new StringContent("""{"version": 3}""", System.Text.Encoding.UTF8, "application/json"), TestContext.Current.CancellationToken);
        await _story.Server.ReadAsync<AliasesView>(challenger);
        Assert.Equal(3, (await _story.Server.ReadAsync<AliasesView>(await _story.Server.PostJsonAsync("/v1/services/shop/promote", """{"reason": "test"}"""))).Champion);
        var rolled = await PostFormAsync("/dashboard/actions/services/shop/rollback", token, ("reason", "v3 hurts conversion"), ("confirm", "yes"));
        Assert.Contains("done=", rolled, StringComparison.Ordinal);
        var aliases = await _story.Server.GetAsync<AliasesView>("/v1/services/shop/aliases");
        Assert.Equal(1, aliases.Champion);
        var audit = await _story.Server.GetAsync<AuditList>("/v1/audit?action=alias.rolled_back");
        Assert.Equal(("local", "v3 hurts conversion"), (Assert.Single(audit.Events).Actor, audit.Events[0].Reason));
    }

    [Fact]
    public async Task Action_WithoutConfirmationOrReason_ChangesNothing_AndWithoutAntiforgeryTokenIsRefused()
    {
        var token = await AntiforgeryTokenAsync("/services/shop");

        var unconfirmed = await PostFormAsync($"/dashboard/actions/releases/{_story.Live.Id}/abort", token, ("reason", "oops"));
        Assert.Contains("failed=", unconfirmed, StringComparison.Ordinal);
        var noReason = await PostFormAsync($"/dashboard/actions/releases/{_story.Live.Id}/abort", token, ("reason", " "), ("confirm", "yes"));
        Assert.Contains("failed=", noReason, StringComparison.Ordinal);
        Assert.True((await _story.Server.GetAsync<ReleaseView>($"/v1/releases/{_story.Live.Id}")).Active);

        var forged = await _story.Server.Client.PostAsync(
            $"/dashboard/actions/releases/{_story.Live.Id}/abort",
            new FormUrlEncodedContent([new("reason", "csrf"), new("confirm", "yes")]),
            TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.BadRequest, forged.StatusCode);
        Assert.True((await _story.Server.GetAsync<ReleaseView>($"/v1/releases/{_story.Live.Id}")).Active);
    }

    private async Task<string> AntiforgeryTokenAsync(string page)
    {
        var html = await _story.Server.Client.GetStringAsync(page, TestContext.Current.CancellationToken);
        return TokenPattern().Match(html) is { Success: true } m ? WebUtility.HtmlDecode(m.Groups[1].Value) : throw new InvalidOperationException("no antiforgery token in " + page);
    }

    /// <summary>Posts a form without following the redirect; returns where it redirects to.</summary>
    private async Task<string> PostFormAsync(string path, string token, params (string Name, string Value)[] fields)
    {
        var content = new FormUrlEncodedContent([new("__RequestVerificationToken", token), .. fields.Select(f => new KeyValuePair<string, string>(f.Name, f.Value))]);
        var response = await _story.Server.Client.PostAsync(path, content, TestContext.Current.CancellationToken);
        Assert.True(response.StatusCode is HttpStatusCode.OK or HttpStatusCode.Redirect or HttpStatusCode.Found, $"{(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)}");
        return Uri.UnescapeDataString(response.RequestMessage!.RequestUri!.ToString());
    }

    [GeneratedRegex("name=\"__RequestVerificationToken\" value=\"([^\"]+)\"")]
    private static partial Regex TokenPattern();
}

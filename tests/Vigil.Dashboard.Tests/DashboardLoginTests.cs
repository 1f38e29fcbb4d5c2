using System.Net;
using System.Net.Http.Headers;
using OpenQA.Selenium;
using Vigil.Server.Api;
using Vigil.Server.Tests;

namespace Vigil.Dashboard.Tests;

/// <summary>With API keys, the dashboard asks for one: read keys look, admin keys act; the key lives in a protected cookie.</summary>
public sealed class DashboardLoginTests : IAsyncLifetime
{
    private readonly Browser _browser = new();
    private VigilTestServer _server = null!;
    private string _admin = null!;
    private string _viewer = null!;

    public async ValueTask InitializeAsync()
    {
        _server = await VigilTestServer.StartAsync();
        _admin = (await _server.ReadAsync<CreatedKeyView>(await _server.PostAsync("/v1/keys", new CreateKeyRequest("alice", ["admin"])))).Key;
        _server.Client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", _admin);
        _viewer = (await _server.ReadAsync<CreatedKeyView>(await _server.PostAsync("/v1/keys", new CreateKeyRequest("viewer", ["read"])))).Key;
        await _server.ReadAsync<ServiceView>(await _server.PostAsync("/v1/services", new CreateServiceRequest("shop", VigilTestServer.Inputs, new Vigil.Registry.OutputSpec(Vigil.Registry.OutputKind.Probability), "test")));
    }

    public async ValueTask DisposeAsync()
    {
        _browser.Dispose();
        await _server.DisposeAsync();
    }

    [Fact]
    public async Task WithoutAKey_PagesRedirectToLogin_AndABearerHeaderIsNotEnough()
    {
        using var anonymous = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = _server.App.BaseAddress };
        var page = await anonymous.GetAsync("/services/shop", TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.Redirect, page.StatusCode);
        Assert.Equal("/login?return=%2Fservices%2Fshop", page.Headers.Location!.ToString());
        var fragment = await anonymous.GetAsync("/dashboard/fragments/release/shop", TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.Redirect, fragment.StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync("/login", TestContext.Current.CancellationToken)).StatusCode);
    }

    [Fact]
    public void ReadKey_Looks_AdminKey_Acts_AndAWrongKeyIsRefused()
    {
        var driver = _browser.Open();
        driver.Navigate().GoToUrl(new Uri(_server.App.BaseAddress, "/services/shop"));
        Assert.EndsWith("/login?return=%2Fservices%2Fshop", driver.Url, StringComparison.Ordinal);

        LogIn(driver, "vgl_wrong_key");
        Assert.Contains("not valid", Browser.WaitFor(driver, By.CssSelector(".notice.failed")).Text, StringComparison.Ordinal);

        LogIn(driver, _viewer);
        Assert.EndsWith("/services/shop", driver.Url, StringComparison.Ordinal);
        Assert.Contains("viewer (read only)", driver.FindElement(By.CssSelector(".who")).Text, StringComparison.Ordinal);
        Assert.Empty(driver.FindElements(By.CssSelector("form.action[data-action]")));

        Browser.SubmitAndWait(driver, driver.FindElement(By.CssSelector(".who button")).Click);
        driver.Navigate().GoToUrl(new Uri(_server.App.BaseAddress, "/services/shop"));
        LogIn(driver, _admin);
        Assert.Contains("alice (admin)", driver.FindElement(By.CssSelector(".who")).Text, StringComparison.Ordinal);
        Assert.NotEmpty(driver.FindElements(By.CssSelector("form[data-action='service-kill']")));
        var cookie = driver.Manage().Cookies.GetCookieNamed(Server.Dashboard.DashboardSession.CookieName) ?? throw new InvalidOperationException("no login cookie");
        Assert.True(cookie.IsHttpOnly);
        Assert.DoesNotContain(_admin, cookie.Value, StringComparison.Ordinal);
    }

    private static void LogIn(IWebDriver driver, string key)
    {
        var field = driver.FindElement(By.Name("key"));
        field.SendKeys(key);
        Browser.SubmitAndWait(driver, field.Submit);
    }
}

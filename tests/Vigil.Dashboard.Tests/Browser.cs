using OpenQA.Selenium;
using OpenQA.Selenium.Chrome;

namespace Vigil.Dashboard.Tests;

/// <summary>
/// A real headless Chromium driven by chromedriver (Debian packages <c>chromium</c> and <c>chromium-driver</c>); never a
/// downloaded browser. Where either is missing, <see cref="Open"/> skips the test and says how to enable it.
/// </summary>
public sealed class Browser : IDisposable
{
    public const string ChromiumPath = "/usr/bin/chromium";
    public const string DriverPath = "/usr/bin/chromedriver";

    private ChromeDriver? _driver;

    public static string? MissingReason =>
        !File.Exists(ChromiumPath) ? $"browser tests need Chromium at {ChromiumPath}: apt-get install -y chromium chromium-driver"
        : !File.Exists(DriverPath) ? $"browser tests need chromedriver at {DriverPath}: apt-get install -y chromium-driver"
        : null;

    /// <summary>The driver, started on first use; skips the calling test when no Chromium is installed.</summary>
    public ChromeDriver Open()
    {
        if (MissingReason is { } reason)
        {
            Assert.Skip(reason);
        }

        if (_driver is null)
        {
            var options = new ChromeOptions { BinaryLocation = ChromiumPath };
            options.AddArguments(
                "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--no-first-run", "--window-size=1440,1000");
            var service = ChromeDriverService.CreateDefaultService(Path.GetDirectoryName(DriverPath)!, Path.GetFileName(DriverPath));
            service.HideCommandPromptWindow = true;
            service.SuppressInitialDiagnosticInformation = true;
            _driver = new ChromeDriver(service, options, TimeSpan.FromSeconds(60));
            _driver.Manage().Timeouts().PageLoad = TimeSpan.FromSeconds(30);
        }

        return _driver;
    }

    /// <summary>
    /// The first element matching <paramref name="by"/>, waiting up to 15 s for it (a form post navigates; Selenium's
    /// click does not wait for the next page). Fails with the page's text when it never comes.
    /// </summary>
    public static IWebElement WaitFor(IWebDriver driver, By by)
    {
        var waited = System.Diagnostics.Stopwatch.StartNew();
        while (true)
        {
            var found = driver.FindElements(by);
            if (found.Count > 0)
            {
                return found[0];
            }

            if (waited.Elapsed > TimeSpan.FromSeconds(15))
            {
                throw new Xunit.Sdk.XunitException($"no {by} after 15 s on {driver.Url}; the page says: {driver.FindElement(By.TagName("body")).Text}");
            }

            Thread.Sleep(50);
        }
    }

    /// <summary>
    /// Clicks or submits through <paramref name="submit"/> and waits (up to 15 s) until the page it posted to has replaced
    /// the current one: Selenium returns from a click before the next page loads.
    /// </summary>
    public static void SubmitAndWait(IWebDriver driver, Action submit)
    {
        var before = driver.FindElement(By.TagName("html"));
        submit();
        var waited = System.Diagnostics.Stopwatch.StartNew();
        while (waited.Elapsed < TimeSpan.FromSeconds(15))
        {
            try
            {
                _ = before.Enabled; // throws once the old page is gone
            }
            catch (StaleElementReferenceException)
            {
                return;
            }

            Thread.Sleep(50);
        }

        throw new Xunit.Sdk.XunitException($"the page did not change within 15 s after submitting on {driver.Url}");
    }

    public void Dispose() => _driver?.Quit();
}

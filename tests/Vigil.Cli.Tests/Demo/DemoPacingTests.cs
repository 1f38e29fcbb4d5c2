using System.Text.Json;
using Vigil.Cli.Demo;
using Vigil.Storage;

namespace Vigil.Cli.Tests.Demo;

/// <summary>
/// The demo on a machine too slow for the speed asked: the simulated clock is slowed so that every simulated day still
/// gets its requests, instead of the requests spilling into later days.
/// </summary>
[Collection(DemoCollection.Name)]
public sealed class DemoPacingTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), $"vigil-demo-pacing-{Guid.NewGuid():N}");

    public void Dispose()
    {
        if (Directory.Exists(_dir))
        {
            Directory.Delete(_dir, recursive: true);
        }
    }

    [Fact]
    public async Task Demo_FasterThanTheMachineCanSend_SlowsItsClock_AndEachSimulatedDayGetsItsRequests()
    {
        // 1,500 requests per simulated day at ten simulated days per real second would need 15,000 requests per second
        // from eight concurrent users: no machine this runs on sends that, so the requests fall behind the clock.
        const int PerDay = 1_500;
        var result = await DemoCommandTests.RunAsync(
            "--exit-when-done", "--scenarios", "baseline", "--days", "2", "--port", "0", "--dir", _dir,
            "--requests-per-day", PerDay.ToString(System.Globalization.CultureInfo.InvariantCulture), "--speed", "864000", "--seed", "11");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("the simulated clock was slowed", result.Out, StringComparison.Ordinal);
        using var summary = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(_dir, DemoSummary.FileName), TestContext.Current.CancellationToken));
        Assert.Equal(2 * PerDay, summary.RootElement.GetProperty("scenarios")[0].GetProperty("requests").GetInt64());
        Assert.Equal(0, summary.RootElement.GetProperty("scenarios")[0].GetProperty("errors").GetInt64());

        // Vigil's records, by the simulated time each request was answered: the days hold what was planned for them,
        // within the pacer's lateness (a couple of simulated minutes of the busiest hour).
        var start = DateTimeOffset.Parse(summary.RootElement.GetProperty("scenarios")[0].GetProperty("simulated_start").GetString()!, System.Globalization.CultureInfo.InvariantCulture);
        await using var store = StoreFactory.Open("sqlite:" + Path.Combine(_dir, "vigil.db"));
        await store.MigrateAsync(TestContext.Current.CancellationToken);
        async Task<long> SinceAsync(DateTimeOffset at) => (await store.GetTrafficAsync(RecommendationDataGenerator.ServiceName, at, TestContext.Current.CancellationToken)).Sum(t => t.Requests);
        var all = await SinceAsync(start);
        var fromDayTwo = await SinceAsync(start.AddDays(1));
        var afterDayTwo = await SinceAsync(start.AddDays(2).AddMinutes(15));

        Assert.Equal(2 * PerDay, all);
        Assert.InRange(all - fromDayTwo, PerDay * 0.95, PerDay * 1.05);
        Assert.InRange(fromDayTwo, PerDay * 0.95, PerDay * 1.05);
        Assert.Equal(0, afterDayTwo);
    }
}

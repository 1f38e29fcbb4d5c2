using System.Diagnostics;
using Vigil.Server.Api;
using Vigil.Testing;

namespace Vigil.Server.Tests;

/// <summary>Two Vigil replicas on one PostgreSQL store: a flag flipped through one is obeyed by the other within one second (LISTEN/NOTIFY).</summary>
public sealed class FlagReplicaTests(PostgresFixture postgres)
{
    private const string Request = """{"key": "u1", "inputs": {"price": 10, "country": "DE"}}""";

    [Fact]
    public async Task ServiceFlagFlippedOnOneReplica_IsObeyedByTheOtherWithinOneSecond()
    {
        var store = await postgres.CreateDatabaseAsync("flag_replicas", TestContext.Current.CancellationToken);
        await using var remote = await RemoteModel.StartAsync();
        await using var first = await VigilTestServer.StartAsync(store);
        await using var second = await VigilTestServer.StartAsync(store);
        await first.CreateShopAsync(remote);
        Assert.True(await WaitForStatusAsync(second, served: true, TimeSpan.FromSeconds(5)) < TimeSpan.FromSeconds(5), "the second replica never served the new service");

        // Several flips, each measured from the moment the writing replica answered to the first request the other obeys.
        var times = new List<TimeSpan>();
        for (var flip = 0; flip < 6; flip++)
        {
            var turnOn = flip % 2 == 1;
            var response = await first.PostJsonAsync($"/v1/flags/shop-enabled/{(turnOn ? "on" : "off")}", """{"reason": "replica test"}""");
            await first.ReadAsync<FlagView>(response);
            times.Add(await WaitForStatusAsync(second, served: turnOn, TimeSpan.FromSeconds(5)));
        }

        var report = $"flag propagation to the other replica: {string.Join(", ", times.Select(t => $"{t.TotalMilliseconds:F0} ms"))} (max {times.Max().TotalMilliseconds:F0} ms)";
        TestContext.Current.SendDiagnosticMessage(report);
        TestContext.Current.TestOutputHelper?.WriteLine(report);
        Console.WriteLine(report);
        Assert.All(times, t => Assert.True(t < TimeSpan.FromSeconds(1), report));
    }

    /// <summary>Polls <paramref name="server"/> until it serves (200) or refuses with the service flag (503) as wanted; returns how long that took.</summary>
    private static async Task<TimeSpan> WaitForStatusAsync(VigilTestServer server, bool served, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < timeout)
        {
            var response = await server.PostJsonAsync("/v1/services/shop/predict", Request);
            if (response.IsSuccessStatusCode == served && (served || (int)response.StatusCode == 503))
            {
                return clock.Elapsed;
            }

            await Task.Delay(5, TestContext.Current.CancellationToken);
        }

        return clock.Elapsed;
    }
}

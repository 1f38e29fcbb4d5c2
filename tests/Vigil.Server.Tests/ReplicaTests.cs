using System.Diagnostics;
using Vigil.Server.Api;
using Vigil.Testing;

namespace Vigil.Server.Tests;

/// <summary>Two Vigil replicas on one PostgreSQL store: a change made through one is served by the other without a restart.</summary>
public sealed class ReplicaTests(PostgresFixture postgres)
{
    [Fact]
    public async Task PromoteOnOneReplica_IsServedByTheOtherWithinOneSecond()
    {
        var store = await postgres.CreateDatabaseAsync("replicas", TestContext.Current.CancellationToken);
        await using var remote = await RemoteModel.StartAsync();
        await using var first = await VigilTestServer.StartAsync(store);
        await using var second = await VigilTestServer.StartAsync(store);
        await first.CreateShopAsync(remote);
        await first.RegisterRemoteAsync(remote, "shop", "challenger");

        // The second replica learned about the service through NOTIFY, not by restarting.
        Assert.Equal(1, await WaitForVersionAsync(second, 1, TimeSpan.FromSeconds(5)));

        await first.ReadAsync<AliasesView>(await first.PostJsonAsync("/v1/services/shop/promote", "{}"));
        var clock = Stopwatch.StartNew();
        Assert.Equal(2, await WaitForVersionAsync(second, 2, TimeSpan.FromSeconds(5)));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(1), $"the promotion took {clock.Elapsed.TotalMilliseconds:F0} ms to reach the other replica");
    }

    private static async Task<int> WaitForVersionAsync(VigilTestServer server, int version, TimeSpan timeout)
    {
        var deadline = Stopwatch.StartNew();
        var served = -1;
        while (deadline.Elapsed < timeout)
        {
            var response = await server.PostJsonAsync("/v1/services/shop/predict", """{"inputs": {"price": 10, "country": "DE"}}""");
            if (response.IsSuccessStatusCode)
            {
                served = (await server.ReadAsync<PredictResponse>(response)).Version;
                if (served == version)
                {
                    return served;
                }
            }

            await Task.Delay(10, TestContext.Current.CancellationToken);
        }

        return served;
    }
}

using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Vigil.Server.Api;
using Vigil.Server.Routing;
using Vigil.Serving;

namespace Vigil.Server.Tests;

public sealed class BackendWarmerTests
{
    [Fact]
    public async Task AliasedVersionsStayLoaded_AndUnaliasedOnesAreUnloaded()
    {
        await using var remote = await RemoteModel.StartAsync();
        await using var server = await VigilTestServer.StartAsync();
        await server.CreateShopAsync(remote);
        await server.RegisterRemoteAsync(remote, "shop", "challenger");
        await server.ReadAsync<AliasesView>(await server.PostJsonAsync("/v1/services/shop/promote", "{}"));
        await server.RegisterRemoteAsync(remote, "shop", "challenger");
        await server.ReadAsync<AliasesView>(await server.PostJsonAsync("/v1/services/shop/promote", "{}"));

        // champion 3, previous-champion 2; version 1 has no alias any more.
        var warmer = server.App.Services.GetServices<IHostedService>().OfType<BackendWarmer>().Single();
        var routing = server.App.Services.GetRequiredService<RoutingState>();
        await warmer.WarmAsync(routing.Current, TestContext.Current.CancellationToken);

        var cache = server.App.Services.GetRequiredService<BackendCache>();
        Assert.Equal([("shop", 2), ("shop", 3)], cache.Keys.Order());
        Assert.True(cache.TryGet("shop", 2, out _), "the previous champion is loaded, so a rollback is instant");
    }
}

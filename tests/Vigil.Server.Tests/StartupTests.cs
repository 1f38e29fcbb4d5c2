using Vigil.Server.Hosting;
using Vigil.Storage;

namespace Vigil.Server.Tests;

public sealed class StartupTests
{
    [Fact]
    public async Task StoreFileThatIsNotAVigilDatabase_FailsWithAClearMessage()
    {
        var directory = Directory.CreateTempSubdirectory("vigil-startup-");
        try
        {
            var path = Path.Combine(directory.FullName, "notes.db");
            await File.WriteAllTextAsync(path, "shopping list: milk, eggs", TestContext.Current.CancellationToken);
            var options = new VigilServerOptions { Store = "sqlite:" + path, Urls = ["http://127.0.0.1:0"] };
            var error = await Assert.ThrowsAsync<StoreException>(() => VigilServer.StartAsync(options, TestContext.Current.CancellationToken));
            Assert.Contains("notes.db", error.Message);
            Assert.Equal("shopping list: milk, eggs", await File.ReadAllTextAsync(path, TestContext.Current.CancellationToken));
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task RunAsync_UnreachablePostgres_ReturnsExitCode1Quickly()
    {
        var started = System.Diagnostics.Stopwatch.StartNew();
        var code = await VigilServer.RunAsync(new VigilServerOptions { Store = "postgres://vigil@127.0.0.1:9/vigil", Urls = ["http://127.0.0.1:0"] }, TestContext.Current.CancellationToken);
        Assert.Equal(1, code);
        Assert.True(started.Elapsed < TimeSpan.FromSeconds(30), $"took {started.Elapsed}");
    }

    [Fact]
    public async Task Restart_KeepsServicesVersionsAndAliases()
    {
        await using var remote = await RemoteModel.StartAsync();
        var server = await VigilTestServer.StartAsync();
        await server.CreateShopAsync(remote);
        var store = "sqlite:" + Path.Combine(server.Directory, "vigil.db");
        await server.App.DisposeAsync();

        await using var again = await VigilTestServer.StartAsync(store);
        var response = await again.PostJsonAsync("/v1/services/shop/predict", """{"inputs": {"price": 10, "country": "DE"}}""");
        var answer = await again.ReadAsync<Api.PredictResponse>(response);
        Assert.Equal(1, answer.Version);
        Directory.Delete(server.Directory, recursive: true);
    }

    [Fact]
    public async Task PortAlreadyInUse_FailsWithAOneLineReasonAndReleasesTheStore()
    {
        await using var first = await VigilTestServer.StartAsync();
        var directory = Directory.CreateTempSubdirectory("vigil-port-");
        try
        {
            var store = "sqlite:" + Path.Combine(directory.FullName, "v.db");
            var options = new VigilServerOptions { Store = store, Urls = [first.App.BaseAddress.ToString()] };
            var error = await Assert.ThrowsAsync<VigilStartupException>(() => VigilServer.StartAsync(options, TestContext.Current.CancellationToken));
            Assert.Contains("cannot listen on", error.Message);
            Assert.Contains("--urls", error.Message);

            // The failed start released everything: the same store opens again on a free port.
            await using var second = await VigilTestServer.StartAsync(store);
            Assert.NotEqual(first.App.BaseAddress, second.App.BaseAddress);
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }
}


using System.Diagnostics;
using System.Net;
using System.Text.Json.Nodes;
using Microsoft.Data.Sqlite;
using Vigil.Server.Api;

namespace Vigil.Server.Tests;

public sealed class ObservabilityTests
{
    [Fact]
    public async Task Metrics_PassPromtoolCheck()
    {
        var promtool = FindOnPath("promtool");
        if (promtool is null)
        {
            Assert.Skip("promtool is not installed: 'apt-get install prometheus' (as .ci/run does) enables this test");
        }

        await using var remote = await RemoteModel.StartAsync();
        await using var server = await VigilTestServer.StartAsync();
        await server.CreateShopAsync(remote);
        for (var i = 0; i < 3; i++)
        {
            await server.PostJsonAsync("/v1/services/shop/predict", """{"inputs": {"price": 10, "country": "DE"}}""");
        }

        await server.PostJsonAsync("/v1/services/shop/predict", """{"inputs": {"price": "bad"}}""");
        var metrics = await server.Client.GetStringAsync("/metrics", TestContext.Current.CancellationToken);
        Assert.Contains("vigil_gateway_requests_total", metrics);
        Assert.Contains("vigil_gateway_request_duration_seconds_bucket", metrics);
        Assert.Contains("vigil_recorder_queue_depth", metrics);

        var start = new ProcessStartInfo(promtool, "check metrics") { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
        using var process = Process.Start(start)!;
        await process.StandardInput.WriteAsync(metrics);
        process.StandardInput.Close();
        var output = await process.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken) + await process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        await process.WaitForExitAsync(TestContext.Current.CancellationToken);
        Assert.True(process.ExitCode == 0, "promtool check metrics failed:\n" + output);
    }

    [Fact]
    public async Task HealthAndReadiness_ReportTheStore()
    {
        await using var server = await VigilTestServer.StartAsync();
        Assert.Equal(HttpStatusCode.OK, (await server.Client.GetAsync("/healthz", TestContext.Current.CancellationToken)).StatusCode);
        var ready = JsonNode.Parse(await server.Client.GetStringAsync("/readyz", TestContext.Current.CancellationToken))!;
        Assert.Equal("ready", ready["status"]!.GetValue<string>());
        Assert.Equal(ready["latest_schema_version"]!.GetValue<int>(), ready["schema_version"]!.GetValue<int>());
    }

    [Fact]
    public async Task OpenApi_DescribesThePublicEndpoints()
    {
        await using var server = await VigilTestServer.StartAsync();
        var document = JsonNode.Parse(await server.Client.GetStringAsync("/openapi/v1.json", TestContext.Current.CancellationToken))!;
        var paths = document["paths"]!.AsObject().Select(p => p.Key).ToList();
        Assert.Contains("/v1/services/{service}/predict", paths);
        Assert.Contains("/v1/feedback", paths);
        Assert.Contains("/v1/services/{service}/promote", paths);
        Assert.Contains("/v2/models/{service}/infer", paths);
        Assert.Contains("/v1/audit", paths);
    }

    [Fact]
    public async Task Recorder_WhenTheStoreIsLocked_KeepsServingCountsDropsAndCatchesUp()
    {
        await using var remote = await RemoteModel.StartAsync();
        await using var server = await VigilTestServer.StartAsync(configure: o => o.RecorderCapacity = 1);
        await server.CreateShopAsync(remote);

        // Another process holds the SQLite write lock: the recorder cannot write, requests must still succeed.
        await using (var blocker = new SqliteConnection($"Data Source={Path.Combine(server.Directory, "vigil.db")};Pooling=False"))
        {
            await blocker.OpenAsync(TestContext.Current.CancellationToken);
            await using (var command = blocker.CreateCommand())
            {
                command.CommandText = "BEGIN EXCLUSIVE";
                await command.ExecuteNonQueryAsync(TestContext.Current.CancellationToken);
            }

            for (var i = 0; i < 6; i++)
            {
                var response = await server.PostJsonAsync("/v1/services/shop/predict", """{"inputs": {"price": 10, "country": "DE"}}""");
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            }

            var during = await server.GetAsync<StatusView>("/v1/status");
            Assert.True(during.Recorder.Dropped >= 3, $"dropped {during.Recorder.Dropped}");
            var metrics = await server.Client.GetStringAsync("/metrics", TestContext.Current.CancellationToken);
            Assert.Contains("vigil_recorder_records_dropped_total", metrics);
        }

        // Lock released (connection closed, transaction rolled back): what was buffered is written.
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(30));
        await server.App.FlushAsync(timeout.Token);
        var after = await server.GetAsync<StatusView>("/v1/status");
        Assert.Equal(6, after.Recorder.Written + after.Recorder.Dropped);
        var traffic = Assert.Single(after.Services.Single().Traffic);
        Assert.Equal(after.Recorder.Written, traffic.Requests);
    }

    [Fact]
    public async Task Shutdown_DrainsQueuedRecordsIntoTheStore()
    {
        await using var remote = await RemoteModel.StartAsync();
        var server = await VigilTestServer.StartAsync();
        await server.CreateShopAsync(remote);
        var body = "{\"instances\": [" + string.Join(",", Enumerable.Repeat("""{"price": 10, "country": "DE"}""", 200)) + "]}";
        for (var i = 0; i < 5; i++)
        {
            Assert.Equal(HttpStatusCode.OK, (await server.PostJsonAsync("/v1/services/shop/predict", body)).StatusCode);
        }

        var store = "sqlite:" + Path.Combine(server.Directory, "vigil.db");
        await server.App.DisposeAsync();

        await using var reopened = Vigil.Storage.StoreFactory.Open(store);
        await reopened.MigrateAsync(TestContext.Current.CancellationToken);
        var traffic = await reopened.GetTrafficAsync("shop", null, TestContext.Current.CancellationToken);
        Assert.Equal(1000, Assert.Single(traffic).Requests);
        Directory.Delete(server.Directory, recursive: true);
    }

    internal static string? FindOnPath(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(':').Select(d => Path.Combine(d, name)).FirstOrDefault(File.Exists);
}

using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Vigil.Testing;

namespace Vigil.Cli.Tests;

/// <summary>
/// The release controller survives kill -9: a real 'vigil serve' process is killed in the middle of a progressive release
/// and started again on the same store; the release goes on from where it was, without skipping or repeating a step or
/// promoting twice; on SQLite and on a throwaway PostgreSQL.
/// </summary>
public sealed class CrashResumeTests
{
    [Theory]
    [InlineData("sqlite")]
    [InlineData("postgres")]
    public async Task ServeKilledMidRelease_ResumesWithoutSkippingOrRepeatingAStep(string storeKind)
    {
        var ct = TestContext.Current.CancellationToken;
        var directory = Directory.CreateTempSubdirectory("vigil-crash-");
        await using var postgres = storeKind == "postgres" ? await StartPostgresAsync(ct) : null;
        var store = postgres is null ? "sqlite:" + Path.Combine(directory.FullName, "vigil.db") : await postgres.CreateDatabaseAsync("crash_resume", ct);
        await using var model = await FakeJsonModel.StartAsync();
        var port = Ports.Free();
        var baseUrl = $"http://127.0.0.1:{port}";
        using var client = new HttpClient { BaseAddress = new Uri(baseUrl), Timeout = TimeSpan.FromSeconds(10) };
        var server = Start(directory.FullName, store, port);
        using var traffic = CancellationTokenSource.CreateLinkedTokenSource(ct);
        try
        {
            await WaitUntilUpAsync(client, ct);
            await PostAsync(client, "/v1/services", """{"name": "shop", "description": "", "inputs": [{"name": "price", "type": "number", "nullable": false, "min": null, "max": null, "categories": null}], "output": {"kind": "probability", "description": null, "classes": null}}""", ct);
            foreach (var alias in new[] { "\"champion\"", "null" })
            {
                await PostAsync(client, "/v1/services/shop/versions", $$$"""{"backend": {"kind": "http", "location": "{{{model.Url}}}", "protocol": "json", "model": null, "timeout_ms": 2000}, "metadata": null, "metrics": null, "alias": {{{alias}}}}""", ct);
            }

            var started = JsonNode.Parse(await PostAsync(client, "/v1/releases", """
                {"service": "shop", "challenger": 2, "strategy": "progressive",
                 "steps": [{"weight": "20%", "hold": "2s"}, {"weight": "30%", "hold": "2s"}, {"weight": "40%", "hold": "2s"}, {"weight": "50%", "hold": "2s"}],
                 "min_samples_per_step": 100, "analysis_interval": "1s", "outcome_window": "1s",
                 "triggers": [{"metric": "error_rate", "max": "2%"}]}
                """, ct))!;
            var id = started["id"]!.GetValue<string>();

            var sender = Task.Run(() => SendTrafficAsync(client, traffic.Token), CancellationToken.None);

            // Kill -9 once the release is in its second step, then start the same server on the same store.
            await WaitForAsync(client, id, r => r["state"]!["step"]!.GetValue<int>() >= 2, TimeSpan.FromSeconds(60), ct);
            server.Kill(entireProcessTree: true);
            await server.WaitForExitAsync(ct);
            server.Dispose();
            server = Start(directory.FullName, store, port);
            await WaitUntilUpAsync(client, ct);

            var final = await WaitForAsync(client, id, r => r["status"]!.GetValue<string>() is "promoted" or "rolled_back" or "aborted", TimeSpan.FromSeconds(90), ct);
            traffic.Cancel();
            await sender;

            Assert.Equal("promoted", final["status"]!.GetValue<string>());
            var steps = final["events"]!.AsArray()
                .Where(e => e!["to"]!.GetValue<string>() == "canary" && e["details"] is not null)
                .Select(e => JsonNode.Parse(e!["details"]!.GetValue<string>())!["to_step"]!.GetValue<int>())
                .ToList();
            Assert.Equal([1, 2, 3, 4], steps);
            Assert.Single(final["events"]!.AsArray(), e => e!["to"]!.GetValue<string>() == "promoted");

            var history = JsonNode.Parse(await client.GetStringAsync("/v1/services/shop/history", ct))!;
            var promotions = history["changes"]!.AsArray().Where(c => c!["alias"]!.GetValue<string>() == "champion" && c["to_version"]?.GetValue<int>() == 2).ToList();
            Assert.Single(promotions);
        }
        finally
        {
            traffic.Cancel();
            if (!server.HasExited)
            {
                server.Kill(entireProcessTree: true);
                await server.WaitForExitAsync(CancellationToken.None);
            }

            server.Dispose();
            directory.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task ServeKilledBeforeAndRightAfterARollback_RollsBackExactlyOnce_AndTheChallengerStaysOut()
    {
        var ct = TestContext.Current.CancellationToken;
        var directory = Directory.CreateTempSubdirectory("vigil-crash-rollback-");
        await using var champion = await FakeJsonModel.StartAsync();
        await using var challenger = await FailingModel.StartAsync(); // answers 500 once failing, and receives the webhooks
        var port = Ports.Free();
        using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(10) };
        string[] serveArgs = ["--webhook", challenger.Url + "hook"];
        var server = Start(directory.FullName, "sqlite:" + Path.Combine(directory.FullName, "vigil.db"), port, serveArgs);
        try
        {
            await WaitUntilUpAsync(client, ct);
            await PostAsync(client, "/v1/services", """{"name": "shop", "description": "", "inputs": [{"name": "price", "type": "number", "nullable": false, "min": null, "max": null, "categories": null}], "output": {"kind": "probability", "description": null, "classes": null}}""", ct);
            foreach (var (url, alias) in new[] { (champion.Url, "\"champion\""), (challenger.Url, "null") })
            {
                await PostAsync(client, "/v1/services/shop/versions", $$$"""{"backend": {"kind": "http", "location": "{{{url}}}", "protocol": "json", "model": null, "timeout_ms": 2000}, "metadata": null, "metrics": null, "alias": {{{alias}}}}""", ct);
            }

            challenger.Failing = true;
            var id = JsonNode.Parse(await PostAsync(client, "/v1/releases", """
                {"service": "shop", "challenger": 2, "strategy": "canary", "steps": [{"weight": "50%", "hold": "1h"}],
                 "min_samples_per_step": 100, "analysis_interval": "1s", "outcome_window": "1s",
                 "triggers": [{"metric": "error_rate", "max": "2%"}], "fallback_on_error": true}
                """, ct))!["id"]!.GetValue<string>();

            // Kill -9 while the failing canary's traffic is in, before a tick could have judged it (the outcome window is 1 s).
            await SendBatchesAsync(client, 3, 0, ct);
            server.Kill(entireProcessTree: true);
            await server.WaitForExitAsync(ct);
            server.Dispose();
            server = Start(directory.FullName, "sqlite:" + Path.Combine(directory.FullName, "vigil.db"), port, serveArgs);
            await WaitUntilUpAsync(client, ct);

            // The restarted controller still rolls back: the rollback is not skipped. Kill -9 the moment it is persisted
            // (possibly before its effects: the release flag off, the webhook), then start again.
            await SendBatchesAsync(client, 3, 1_000, ct);
            await WaitForAsync(client, id, r => r["status"]!.GetValue<string>() != "canary", TimeSpan.FromSeconds(60), ct);
            server.Kill(entireProcessTree: true);
            await server.WaitForExitAsync(ct);
            server.Dispose();
            server = Start(directory.FullName, "sqlite:" + Path.Combine(directory.FullName, "vigil.db"), port, serveArgs);
            await WaitUntilUpAsync(client, ct);

            // Let the restarted controller tick a few times, with traffic, before judging.
            await SendBatchesAsync(client, 2, 2_000, ct);
            await Task.Delay(TimeSpan.FromSeconds(2), ct);
            var final = JsonNode.Parse(await client.GetStringAsync($"/v1/releases/{id}", ct))!;
            Assert.Equal("rolled_back", final["status"]!.GetValue<string>());
            Assert.Single(final["events"]!.AsArray(), e => e!["to"]!.GetValue<string>() == "rolled_back");
            Assert.DoesNotContain(final["events"]!.AsArray(), e => e!["to"]!.GetValue<string>() is "promoted" or "aborted");

            // The effects completed after the restart: the release flag is off, every answer comes from the champion,
            // the aliases did not move, and at most one rollback webhook went out (none is repeated).
            var flag = JsonNode.Parse(await client.GetStringAsync($"/v1/flags/{id}", ct))!;
            Assert.False(flag["enabled"]!.GetValue<bool>());
            var answers = JsonNode.Parse(await PostAsync(client, "/v1/services/shop/predict", "{\"instances\": [" + string.Join(",", Enumerable.Range(0, 100).Select(n => $$$"""{"key": "after-{{{n}}}", "inputs": {"price": 1}}""")) + "]}", ct))!;
            Assert.All(answers["predictions"]!.AsArray(), a => Assert.Equal(("champion", 1), (a!["arm"]!.GetValue<string>(), a["version"]!.GetValue<int>())));
            var aliases = JsonNode.Parse(await client.GetStringAsync("/v1/services/shop/aliases", ct))!;
            Assert.Equal(1, aliases["champion"]!.GetValue<int>());
            Assert.True(challenger.Hooks.Count(h => h.Contains("release.rolled_back", StringComparison.Ordinal)) <= 1, string.Join(" | ", challenger.Hooks));
        }
        finally
        {
            if (!server.HasExited)
            {
                server.Kill(entireProcessTree: true);
                await server.WaitForExitAsync(CancellationToken.None);
            }

            server.Dispose();
            directory.Delete(recursive: true);
        }
    }

    private static async Task SendBatchesAsync(HttpClient client, int batches, int offset, CancellationToken ct)
    {
        for (var batch = 0; batch < batches; batch++)
        {
            var instances = string.Join(",", Enumerable.Range(offset + (batch * 100), 100).Select(n => $$$"""{"key": "u{{{n}}}", "inputs": {"price": 1}}"""));
            await PostAsync(client, "/v1/services/shop/predict", "{\"instances\": [" + instances + "]}", ct);
        }
    }

    /// <summary>A remote model whose every prediction fails (HTTP 500) once <see cref="Failing"/> is set; it also keeps the webhooks POSTed to /hook.</summary>
    private sealed class FailingModel : IAsyncDisposable
    {
        private readonly WebApplication _app;

        private FailingModel(WebApplication app) => _app = app;

        public string Url => _app.Urls.First().TrimEnd('/') + "/";

        public System.Collections.Concurrent.ConcurrentQueue<string> Hooks { get; } = new();

        /// <summary>Off while the version is registered (registration calls the model once), on for the release.</summary>
        public bool Failing { get; set; }

        public static async Task<FailingModel> StartAsync()
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.WebHost.UseUrls("http://127.0.0.1:0");
            builder.Logging.ClearProviders();
            var app = builder.Build();
            var model = new FailingModel(app);
            app.MapPost("/hook", async (HttpRequest request) =>
            {
                using var reader = new StreamReader(request.Body);
                model.Hooks.Enqueue(await reader.ReadToEndAsync());
                return Results.Ok();
            });
            app.MapPost("/", () => model.Failing ? Results.StatusCode(500) : Results.Json(new { predictions = new[] { new { probability = 0.5 } } }));
            await app.StartAsync();
            return model;
        }

        public async ValueTask DisposeAsync()
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
    }

    /// <summary>A throwaway PostgreSQL server (Vigil.Testing's, as the server tests use); skips the test where PostgreSQL is not installed.</summary>
    private static async Task<PostgresServer> StartPostgresAsync(CancellationToken ct)
    {
        if (PostgresServer.FindBinDirectory() is null)
        {
            Assert.Skip(PostgresServer.HowToEnable);
        }

        return await PostgresServer.StartAsync(ct);
    }

    private static Process Start(string directory, string store, int port, params string[] extra)
    {
        var vigil = Path.Combine(AppContext.BaseDirectory, "vigil.dll");
        var start = new ProcessStartInfo("dotnet")
        {
            ArgumentList = { vigil, "serve", "--urls", $"http://127.0.0.1:{port}", "--store", store, "--controller-tick", "200ms" },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = directory,
        };
        foreach (var argument in extra)
        {
            start.ArgumentList.Add(argument);
        }

        var process = Process.Start(start)!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    private static async Task SendTrafficAsync(HttpClient client, CancellationToken ct)
    {
        var user = 0;
        while (!ct.IsCancellationRequested)
        {
            var instances = string.Join(",", Enumerable.Range(0, 100).Select(_ => $$$"""{"key": "u{{{user++}}}", "inputs": {"price": 1}}"""));
            try
            {
                using var content = new StringContent("{\"instances\": [" + instances + "]}", Encoding.UTF8, "application/json");
                using var response = await client.PostAsync("/v1/services/shop/predict", content, ct);
                await Task.Delay(50, ct);
            }
            catch (HttpRequestException)
            {
                // The server is being killed and restarted.
                await Task.Delay(100, CancellationToken.None);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private static async Task<JsonNode> WaitForAsync(HttpClient client, string id, Func<JsonNode, bool> condition, TimeSpan timeout, CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        JsonNode? last = null;
        while (clock.Elapsed < timeout)
        {
            try
            {
                last = JsonNode.Parse(await client.GetStringAsync($"/v1/releases/{id}", ct))!;
                if (condition(last))
                {
                    return last;
                }
            }
            catch (HttpRequestException)
            {
            }

            await Task.Delay(100, ct);
        }

        throw new Xunit.Sdk.XunitException($"the release did not get there in {timeout}: {last?.ToJsonString()}");
    }

    private static async Task<string> PostAsync(HttpClient client, string path, string json, CancellationToken ct)
    {
        using var content = new StringContent(json, Encoding.UTF8, "application/json");
        using var response = await client.PostAsync(path, content, ct);
        var body = await response.Content.ReadAsStringAsync(ct);
        Assert.True(response.IsSuccessStatusCode, $"{path}: {(int)response.StatusCode} {body}");
        return body;
    }

    private static async Task WaitUntilUpAsync(HttpClient client, CancellationToken ct)
    {
        for (var i = 0; i < 200; i++)
        {
            try
            {
                if ((await client.GetAsync("/healthz", ct)).StatusCode == HttpStatusCode.OK)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
            }

            await Task.Delay(100, ct);
        }

        throw new Xunit.Sdk.XunitException("vigil serve did not come up");
    }
}

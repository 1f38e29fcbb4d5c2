using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Vigil.Server.Hosting;
using Vigil.Testing;

namespace Vigil.Benchmarks.Flags;

/// <summary>
/// <c>flag-propagation [--flips 200]</c>: how long a flag change made through one Vigil replica takes to be obeyed by
/// another replica sharing the same PostgreSQL store (DESIGN.md's budget: under one second, through LISTEN/NOTIFY).
/// <list type="number">
/// <item>starts a throwaway PostgreSQL server (<see cref="PostgresServer"/>, the one the tests use);</item>
/// <item>starts a tiny remote model in this process (plain JSON protocol, answers probability 0.5);</item>
/// <item>starts two Vigil replicas A and B on that store as two separate processes (this program's
/// <c>flag-replica</c> mode, which runs <see cref="VigilServer.RunAsync"/> exactly like <c>vigil serve</c>);</item>
/// <item>creates service <c>shop</c> with the model as its champion through A's HTTP API;</item>
/// <item>flips the service flag <c>shop-enabled</c> off and on N times through A's <c>/v1/flags</c> API and, from the
/// moment A answered, polls B's predict endpoint back to back until B obeys (503 when off, 200 when on);</item>
/// <item>starts a canary release of version 2 at 100% through A and flips its release flag (the kill switch) N times
/// the same way, until B's answers come from the champion (off) or the canary (on).</item>
/// </list>
/// Prints each flip's time and the p50, p95, p99 and max; the exit code is 0 when every flip was under one second.
/// </summary>
internal static class FlagPropagationRun
{
    private const string ServiceName = "shop";
    private const string Flag = ServiceName + "-enabled";
    private const string PredictBody = """{"key": "u1", "inputs": {"price": 10}}""";
    private static readonly TimeSpan Budget = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan GiveUp = TimeSpan.FromSeconds(10);

    public static async Task<int> RunAsync(string[] args)
    {
        var flips = 200;
        for (var i = 0; i < args.Length; i++)
        {
            if (args[i] == "--flips" && i + 1 < args.Length && int.TryParse(args[i + 1], NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0)
            {
                flips = n;
                i++;
            }
            else
            {
                await Console.Error.WriteLineAsync($"flag-propagation: unknown argument '{args[i]}'; usage: flag-propagation [--flips N]");
                return 2;
            }
        }

        using var stopping = new CancellationTokenSource();
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => { c.Cancel = true; stopping.Cancel(); });
        var ct = stopping.Token;

        Console.WriteLine($"flag-propagation: {flips} flips; {Environment.ProcessorCount} cores, load average {LoadAverage()}");
        await using var postgres = await PostgresServer.StartAsync(ct);
        var store = await postgres.CreateDatabaseAsync("flag_propagation", ct);
        Console.WriteLine($"flag-propagation: PostgreSQL on 127.0.0.1:{postgres.Port}");
        await using var model = await StartModelAsync();

        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        Process? replicaA = null;
        Process? replicaB = null;
        try
        {
            // A migrates the fresh database before B starts, so the two never race on the schema.
            var (a, urlA) = StartReplica(store);
            replicaA = a;
            await WaitUntilUpAsync(client, urlA, replicaA, ct);
            var (b, urlB) = StartReplica(store);
            replicaB = b;
            await WaitUntilUpAsync(client, urlB, replicaB, ct);
            Console.WriteLine($"flag-propagation: replica A {urlA} (pid {replicaA.Id}), replica B {urlB} (pid {replicaB.Id})");

            await PostAsync(client, urlA, "/v1/services", $$$"""
                {"name": "{{{ServiceName}}}", "description": "flag propagation benchmark", "inputs": [{"name": "price", "type": "number", "nullable": false, "min": null, "max": null, "categories": null}], "output": {"kind": "probability", "description": null, "classes": null}}
                """, ct);
            await PostAsync(client, urlA, $"/v1/services/{ServiceName}/versions", $$$"""
                {"backend": {"kind": "http", "location": "{{{model.Urls.First()}}}", "protocol": "json", "model": null, "timeout_ms": 2000}, "metadata": null, "metrics": null, "alias": "champion"}
                """, ct);
            var first = await WaitForAsync(client, urlB, HttpStatusCode.OK, arm: null, ct);
            if (first >= GiveUp)
            {
                throw new InvalidOperationException("replica B never served the service created through replica A");
            }

            // 1. The service flag: off, B answers 503 (the service's declared behaviour without a fallback); on, B serves.
            var serviceTimes = await MeasureAsync(
                flips,
                on => FlipAsync(client, urlA, Flag, on, ct),
                on => WaitForAsync(client, urlB, on ? HttpStatusCode.OK : HttpStatusCode.ServiceUnavailable, arm: null, ct));

            // 2. The release flag (the kill switch): a canary release at 100% of a second version, so that with the flag on
            // every answer of B comes from the canary and with it off every answer from the champion.
            await PostAsync(client, urlA, $"/v1/services/{ServiceName}/versions", $$$"""
                {"backend": {"kind": "http", "location": "{{{model.Urls.First()}}}", "protocol": "json", "model": null, "timeout_ms": 2000}, "metadata": null, "metrics": null, "alias": null}
                """, ct);
            var release = JsonNode.Parse(await PostAsync(client, urlA, "/v1/releases", $$"""
                {"service": "{{ServiceName}}", "challenger": 2, "strategy": "canary", "steps": [{"weight": "100%", "hold": "30d"}],
                 "triggers": [{"metric": "error_rate", "max": "50%"}]}
                """, ct))!["id"]!.GetValue<string>();
            if (await WaitForAsync(client, urlB, HttpStatusCode.OK, "canary", ct) >= GiveUp)
            {
                throw new InvalidOperationException("replica B never served the canary of the release started through replica A");
            }

            var releaseTimes = await MeasureAsync(
                flips,
                on => FlipAsync(client, urlA, release, on, ct),
                on => WaitForAsync(client, urlB, HttpStatusCode.OK, on ? "canary" : "champion", ct));

            Console.WriteLine();
            Console.WriteLine("| flag | flips | p50 | p95 | p99 | max | min | mean | over 1 s |");
            Console.WriteLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
            var over = 0;
            foreach (var (name, times) in new[] { ("service flag (503 ↔ served)", serviceTimes), ("release flag (canary ↔ champion)", releaseTimes) })
            {
                times.Sort();
                over += times.Count(t => t >= Budget.TotalMilliseconds);
                Console.WriteLine(string.Create(
                    CultureInfo.InvariantCulture,
                    $"| {name} | {times.Count} | {Percentile(times, 0.50):F1} ms | {Percentile(times, 0.95):F1} ms | {Percentile(times, 0.99):F1} ms | {times[^1]:F1} ms | {times[0]:F1} ms | {times.Average():F1} ms | {times.Count(t => t >= Budget.TotalMilliseconds)} |"));
            }

            Console.WriteLine();
            Console.WriteLine($"flag-propagation: budget < 1 s: {(over == 0 ? "PASS" : "FAIL")}; load average {LoadAverage()}");
            return over == 0 ? 0 : 1;
        }
        finally
        {
            foreach (var replica in new[] { replicaB, replicaA })
            {
                if (replica is { HasExited: false })
                {
                    replica.Kill(entireProcessTree: true);
                    await replica.WaitForExitAsync(CancellationToken.None);
                }

                replica?.Dispose();
            }
        }
    }

    /// <summary><c>flag-replica --store SPEC --urls URL</c>: one Vigil server, as <c>vigil serve</c> runs it, until killed.</summary>
    public static async Task<int> RunReplicaAsync(string[] args)
    {
        string? store = null;
        string? urls = null;
        for (var i = 0; i + 1 < args.Length; i += 2)
        {
            switch (args[i])
            {
                case "--store": store = args[i + 1]; break;
                case "--urls": urls = args[i + 1]; break;
                default: break;
            }
        }

        if (store is null || urls is null)
        {
            await Console.Error.WriteLineAsync("flag-replica: --store SPEC and --urls URL are required");
            return 2;
        }

        return await VigilServer.RunAsync(new VigilServerOptions { Store = store, Urls = [urls], LogLevel = LogLevel.Warning }, CancellationToken.None);
    }

    private static (Process Process, Uri Url) StartReplica(string store)
    {
        var url = new Uri($"http://127.0.0.1:{Ports.Free()}");
        var start = new ProcessStartInfo(Environment.ProcessPath ?? "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };

        // Run as 'dotnet Vigil.Benchmarks.dll' or as the apphost, whichever started this process.
        if (Path.GetFileNameWithoutExtension(Environment.ProcessPath) == "dotnet")
        {
            start.ArgumentList.Add(typeof(FlagPropagationRun).Assembly.Location);
        }

        foreach (var argument in new[] { "flag-replica", "--store", store, "--urls", url.ToString().TrimEnd('/') })
        {
            start.ArgumentList.Add(argument);
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException("could not start a replica");
        process.OutputDataReceived += (_, e) => { if (e.Data is { Length: > 0 }) { Console.WriteLine($"  [replica {process.Id}] {e.Data}"); } };
        process.ErrorDataReceived += (_, e) => { if (e.Data is { Length: > 0 }) { Console.WriteLine($"  [replica {process.Id}] {e.Data}"); } };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return (process, url);
    }

    /// <summary>
    /// Flips a flag off and on <paramref name="flips"/> times (after two uncounted warm-up flips) and returns each flip's
    /// time in milliseconds, from the writer's answer until the other replica obeys. Ends with the flag on.
    /// </summary>
    private static async Task<List<double>> MeasureAsync(int flips, Func<bool, Task> flip, Func<bool, Task<TimeSpan>> obeyed)
    {
        for (var warmUp = 0; warmUp < 2; warmUp++)
        {
            await flip(warmUp % 2 == 1);
            await obeyed(warmUp % 2 == 1);
        }

        var times = new List<double>(flips);
        for (var i = 0; i < flips; i++)
        {
            var on = i % 2 == 1;
            await flip(on);
            var took = await obeyed(on);
            if (took >= GiveUp)
            {
                throw new InvalidOperationException($"flip {i + 1} ({(on ? "on" : "off")}) was not obeyed by replica B within {GiveUp.TotalSeconds} s");
            }

            times.Add(took.TotalMilliseconds);
        }

        if (flips % 2 == 1)
        {
            await flip(true);
        }

        return times;
    }

    private static async Task FlipAsync(HttpClient client, Uri replica, string flag, bool on, CancellationToken ct) =>
        await PostAsync(client, replica, $"/v1/flags/{flag}/{(on ? "on" : "off")}", """{"reason": "flag propagation benchmark"}""", ct);

    /// <summary>
    /// Polls <paramref name="replica"/>'s predict endpoint back to back until it answers <paramref name="status"/> (and,
    /// when <paramref name="arm"/> is given, from that arm).
    /// </summary>
    private static async Task<TimeSpan> WaitForAsync(HttpClient client, Uri replica, HttpStatusCode status, string? arm, CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        var predict = new Uri(replica, $"/v1/services/{ServiceName}/predict");
        while (clock.Elapsed < GiveUp)
        {
            using var content = new StringContent(PredictBody, Encoding.UTF8, "application/json");
            using var response = await client.PostAsync(predict, content, ct);
            if (response.StatusCode == status
                && (arm is null || JsonNode.Parse(await response.Content.ReadAsStringAsync(ct))?["arm"]?.GetValue<string>() == arm))
            {
                return clock.Elapsed;
            }
        }

        return clock.Elapsed;
    }

    private static async Task<string> PostAsync(HttpClient client, Uri replica, string path, string json, CancellationToken ct)
    {
        using var content = new StringContent(json, Encoding.UTF8, "application/json");
        using var response = await client.PostAsync(new Uri(replica, path), content, ct);
        var body = await response.Content.ReadAsStringAsync(ct);
        return response.IsSuccessStatusCode ? body : throw new InvalidOperationException($"POST {path}: {(int)response.StatusCode} {body}");
    }

    private static async Task WaitUntilUpAsync(HttpClient client, Uri replica, Process process, CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromSeconds(60))
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"replica {replica} exited with code {process.ExitCode}");
            }

            try
            {
                using var response = await client.GetAsync(new Uri(replica, "/healthz"), ct);
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
            }

            await Task.Delay(100, ct);
        }

        throw new InvalidOperationException($"replica {replica} did not come up within 60 s");
    }

    /// <summary>A remote model speaking Vigil's plain JSON protocol: every instance gets probability 0.5.</summary>
    private static async Task<WebApplication> StartModelAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        app.MapPost("/", async (HttpRequest request) =>
        {
            var body = await JsonNode.ParseAsync(request.Body, cancellationToken: request.HttpContext.RequestAborted);
            var count = body?["instances"] is JsonArray instances ? instances.Count : 1;
            var predictions = new JsonArray();
            for (var i = 0; i < count; i++)
            {
                predictions.Add(new JsonObject { ["probability"] = 0.5 });
            }

            return Results.Json(new JsonObject { ["predictions"] = predictions });
        });
        await app.StartAsync();
        return app;
    }

    /// <summary>Nearest-rank percentile of sorted values.</summary>
    private static double Percentile(List<double> sorted, double p) =>
        sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Count) - 1, 0, sorted.Count - 1)];

    private static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "unknown";
}

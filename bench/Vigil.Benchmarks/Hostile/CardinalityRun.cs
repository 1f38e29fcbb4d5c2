using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Vigil.Registry;

namespace Vigil.Benchmarks.Hostile;

/// <summary>
/// <c>cardinality --vigil PATH/vigil.dll [--requests 1000000] [--concurrency 32] [--settle 60] [--dir DIR] [-- serve args]</c>
/// (bench/cardinality/run.sh): DESIGN.md's memory budget against a hostile client. Starts a real <c>vigil serve</c> on a
/// fresh SQLite store with service <c>card</c> (one declared feature <c>x</c>, segment attribute <c>country</c>) served
/// by a remote model in this process, warms it up with ordinary requests, then sends N requests that each carry a new
/// unknown feature name, a new attribute key and a new segment value. Reports the server's resident memory before the
/// load, right after it and every 10 s for the settle period after it, the size of <c>GET /v1/services/card/features</c>
/// and of <c>/metrics</c>, and the database: its files, its prediction rows (raw rows are kept by design, until their
/// retention) and its stored window summaries (what must not grow with the names). Budget (issue 13): RSS growth under
/// 200 MB, flat after the load.
/// </summary>
internal static class CardinalityRun
{
    private const string Service = "card";

    public static async Task<int> RunAsync(string[] args)
    {
        string? vigilDll = null;
        var requests = 1_000_000;
        var concurrency = 32;
        var settle = 60;
        string? directory = null;
        var serveArgs = new List<string>();
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--vigil" when i + 1 < args.Length:
                    vigilDll = args[++i];
                    break;
                case "--requests" when i + 1 < args.Length:
                    requests = int.Parse(args[++i], CultureInfo.InvariantCulture);
                    break;
                case "--concurrency" when i + 1 < args.Length:
                    concurrency = int.Parse(args[++i], CultureInfo.InvariantCulture);
                    break;
                case "--settle" when i + 1 < args.Length:
                    settle = int.Parse(args[++i], CultureInfo.InvariantCulture);
                    break;
                case "--dir" when i + 1 < args.Length:
                    directory = args[++i];
                    break;
                case "--":
                    serveArgs.AddRange(args[(i + 1)..]);
                    i = args.Length;
                    break;
                default:
                    await Console.Error.WriteLineAsync($"cardinality: unknown argument '{args[i]}'; usage: cardinality --vigil PATH/vigil.dll [--requests N] [--concurrency C] [--settle S] [--dir DIR] [-- serve args]");
                    return 2;
            }
        }

        if (vigilDll is null || !File.Exists(vigilDll))
        {
            await Console.Error.WriteLineAsync("cardinality: --vigil must name the built vigil.dll (bench/cardinality/run.sh builds it)");
            return 2;
        }

        directory ??= Directory.CreateTempSubdirectory("vigil-cardinality-").FullName;
        Directory.CreateDirectory(directory);
        var database = Path.Combine(directory, "vigil.db");
        var ct = CancellationToken.None;
        Console.WriteLine($"cardinality: {requests:N0} requests, concurrency {concurrency}, settle {settle} s; {Environment.ProcessorCount} cores, load average {VigilProcess.LoadAverage()}; dir {directory}");

        await using var model = await VigilProcess.StartModelAsync();
        var modelUrl = new Uri(model.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
        await using var vigil = await VigilProcess.StartAsync(vigilDll, directory, "sqlite:" + database, Path.Combine(directory, "serve.log"), serveArgs, ct);
        using var client = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = concurrency, PooledConnectionLifetime = TimeSpan.FromMinutes(10) })
        {
            BaseAddress = vigil.Url,
            Timeout = TimeSpan.FromSeconds(30),
        };
        await vigil.CreateServiceAsync(client, Service, [new FeatureSpec("x", FeatureType.Number)], modelUrl, ct);
        using (var settings = await client.PutAsync($"/v1/services/{Service}/monitoring", new StringContent("""{"segments": ["country"]}""", Encoding.UTF8, "application/json"), ct))
        {
            settings.EnsureSuccessStatusCode();
        }

        // Warm-up: ordinary requests (no new names) until the JIT and the pools have settled.
        var warm = await SendAsync(client, 20_000, concurrency, i => string.Create(CultureInfo.InvariantCulture,
            $$$"""{"key": "u{{{i % 100}}}", "attributes": {"country": "DE"}, "inputs": {"x": {{{i % 97}}}}}"""), vigil, "warm-up");
        await Task.Delay(TimeSpan.FromSeconds(10), ct);
        var before = vigil.RssMb();
        Console.WriteLine($"cardinality: warm-up {warm.Ok:N0} ok in {warm.Elapsed.TotalSeconds:F0} s; RSS before the load {before:F0} MB");

        var load = await SendAsync(client, requests, concurrency, i => string.Create(CultureInfo.InvariantCulture,
            $$$"""{"key": "k{{{i}}}", "attributes": {"country": "c{{{i}}}", "attr_{{{i}}}": "v"}, "inputs": {"x": 1.5, "feature_{{{i}}}": {{{i}}}}}"""), vigil, "load");
        var after = vigil.RssMb();
        Console.WriteLine($"cardinality: load {load.Ok:N0} ok, {load.Failed:N0} failed in {load.Elapsed.TotalSeconds:F0} s ({load.Ok / load.Elapsed.TotalSeconds:N0}/s); peak RSS {load.PeakRssMb:F0} MB; RSS right after {after:F0} MB");

        var samples = new List<double>();
        for (var s = 10; s <= settle; s += 10)
        {
            await Task.Delay(TimeSpan.FromSeconds(10), ct);
            samples.Add(vigil.RssMb());
            Console.WriteLine($"cardinality:   +{s,3} s  RSS {samples[^1]:F0} MB");
        }

        var final = samples.Count > 0 ? samples[^1] : after;
        var featuresText = await client.GetStringAsync($"/v1/services/{Service}/features", ct);
        var featureRows = JsonNode.Parse(featuresText)!["features"]!.AsArray().Count;
        var metricsText = await client.GetStringAsync("/metrics", ct);
        var vigilSeries = metricsText.Split('\n').Count(l => l.StartsWith("vigil_", StringComparison.Ordinal));
        var status = JsonNode.Parse(await client.GetStringAsync("/v1/status", ct))!["recorder"]!;
        long Size(string path) => File.Exists(path) ? new FileInfo(path).Length : 0;
        var dbBytes = Size(database) + Size(database + "-wal") + Size(database + "-shm");
        var (rows, windows, summaryBytes) = await ReadStoreAsync(database, ct);

        Console.WriteLine();
        Console.WriteLine("| measure | value |");
        Console.WriteLine("| --- | ---: |");
        Console.WriteLine($"| requests with a new unknown feature, attribute key and segment value | {load.Ok:N0} ok, {load.Failed:N0} failed |");
        Console.WriteLine($"| RSS before the load | {before:F0} MB |");
        Console.WriteLine($"| RSS peak during the load | {load.PeakRssMb:F0} MB |");
        Console.WriteLine($"| RSS right after the load | {after:F0} MB (growth {after - before:+0;-0} MB) |");
        Console.WriteLine($"| RSS {settle} s after the load | {final:F0} MB (growth {final - before:+0;-0} MB; max in the period {(samples.Count > 0 ? samples.Max() : after):F0} MB) |");
        Console.WriteLine($"| GET /features | {featuresText.Length:N0} bytes, {featureRows} features |");
        Console.WriteLine($"| GET /metrics | {metricsText.Length:N0} bytes, {vigilSeries} vigil_ lines |");
        Console.WriteLine($"| database files | {dbBytes / 1048576.0:F0} MB |");
        Console.WriteLine($"| prediction rows (raw rows, kept until their retention) | {rows:N0} |");
        Console.WriteLine($"| stored minute windows | {windows:N0}, {summaryBytes:N0} bytes of summaries |");
        Console.WriteLine($"| recorder | written {status["written"]}, dropped {status["dropped"]}, fold errors {status["fold_errors"]} |");
        var pass = after - before < 200 && final - before < 200 && final <= after + 50;
        Console.WriteLine($"cardinality: budget (RSS growth < 200 MB, flat after the load): {(pass ? "PASS" : "FAIL")}");

        await vigil.TerminateAsync();
        return pass ? 0 : 1;
    }

    private sealed record LoadResult(long Ok, long Failed, TimeSpan Elapsed, double PeakRssMb);

    private static async Task<LoadResult> SendAsync(HttpClient client, int count, int concurrency, Func<int, string> body, VigilProcess vigil, string what)
    {
        long next = -1;
        long ok = 0;
        long failed = 0;
        var peak = 0.0;
        var clock = Stopwatch.StartNew();
        using var done = new CancellationTokenSource();
        var progress = Task.Run(async () =>
        {
            while (!done.IsCancellationRequested)
            {
                try
                {
                    await Task.Delay(TimeSpan.FromSeconds(10), done.Token);
                }
                catch (OperationCanceledException)
                {
                    return;
                }

                var rss = vigil.RssMb();
                peak = Math.Max(peak, rss);
                Console.WriteLine($"cardinality:   {what} {Interlocked.Read(ref ok):N0} ok at {clock.Elapsed.TotalSeconds:F0} s, RSS {rss:F0} MB, load average {VigilProcess.LoadAverage()}");
            }
        });
        var workers = Enumerable.Range(0, concurrency).Select(_ => Task.Run(async () =>
        {
            while (true)
            {
                var i = Interlocked.Increment(ref next);
                if (i >= count)
                {
                    return;
                }

                try
                {
                    using var content = new StringContent(body((int)i), Encoding.UTF8, "application/json");
                    using var response = await client.PostAsync($"/v1/services/{Service}/predict", content);
                    Interlocked.Increment(ref response.IsSuccessStatusCode ? ref ok : ref failed);
                }
                catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
                {
                    Interlocked.Increment(ref failed);
                    if (vigil.HasExited)
                    {
                        return;
                    }
                }
            }
        })).ToList();
        await Task.WhenAll(workers);
        await done.CancelAsync();
        await progress;
        return new LoadResult(ok, failed, clock.Elapsed, Math.Max(peak, vigil.RssMb()));
    }

    private static async Task<(long Rows, long Windows, long SummaryBytes)> ReadStoreAsync(string database, CancellationToken ct)
    {
        await using var connection = new SqliteConnection($"Data Source={database};Mode=ReadOnly;Pooling=False");
        await connection.OpenAsync(ct);
        async Task<long> ScalarAsync(string sql)
        {
            await using var command = connection.CreateCommand();
            command.CommandText = sql;
            return Convert.ToInt64(await command.ExecuteScalarAsync(ct) ?? 0L, CultureInfo.InvariantCulture);
        }

        return (
            await ScalarAsync("SELECT COUNT(*) FROM predictions"),
            await ScalarAsync("SELECT COUNT(*) FROM monitor_windows"),
            await ScalarAsync("SELECT COALESCE(SUM(LENGTH(summary)), 0) FROM monitor_windows"));
    }
}

using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Vigil.Registry;
using Vigil.Storage;
using Vigil.Testing;

namespace Vigil.Benchmarks.Hostile;

/// <summary>
/// <c>durability --vigil PATH/vigil.dll [--store sqlite|postgres] [--durability async|commit] [--rounds 5] [--seconds 5]
/// [--concurrency 32] [--instances 1]</c> (bench/durability/run.sh): how many predictions answered 200 a <c>kill -9</c>
/// of <c>vigil serve</c> loses. Each round starts a real <c>vigil serve</c> on a fresh store (a SQLite file, or a database
/// of a throwaway PostgreSQL server — the same as the tests', which runs with fsync off: it is Vigil's process that is
/// killed, PostgreSQL keeps running), drives C closed-loop clients for S seconds, SIGKILLs the server mid-load, then opens
/// the store and counts the answered request ids that are not in it. Also prints the throughput and the latency the
/// clients saw (p50, p99): those are timings, so compare modes only on a quiet machine.
/// </summary>
internal static class DurabilityRun
{
    private const string Service = "dur";

    public static async Task<int> RunAsync(string[] args)
    {
        string? vigilDll = null;
        var storeKind = "sqlite";
        var durability = "async";
        var rounds = 5;
        var seconds = 5;
        var concurrency = 32;
        var instances = 1;
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--vigil" when i + 1 < args.Length:
                    vigilDll = args[++i];
                    break;
                case "--store" when i + 1 < args.Length && args[i + 1] is "sqlite" or "postgres":
                    storeKind = args[++i];
                    break;
                case "--durability" when i + 1 < args.Length && args[i + 1] is "async" or "commit":
                    durability = args[++i];
                    break;
                case "--rounds" when i + 1 < args.Length:
                    rounds = int.Parse(args[++i], CultureInfo.InvariantCulture);
                    break;
                case "--seconds" when i + 1 < args.Length:
                    seconds = int.Parse(args[++i], CultureInfo.InvariantCulture);
                    break;
                case "--concurrency" when i + 1 < args.Length:
                    concurrency = int.Parse(args[++i], CultureInfo.InvariantCulture);
                    break;
                case "--instances" when i + 1 < args.Length:
                    instances = int.Parse(args[++i], CultureInfo.InvariantCulture);
                    break;
                default:
                    await Console.Error.WriteLineAsync($"durability: unknown argument '{args[i]}'; usage: durability --vigil PATH/vigil.dll [--store sqlite|postgres] [--durability async|commit] [--rounds R] [--seconds S] [--concurrency C] [--instances N]");
                    return 2;
            }
        }

        if (vigilDll is null || !File.Exists(vigilDll))
        {
            await Console.Error.WriteLineAsync("durability: --vigil must name the built vigil.dll (bench/durability/run.sh builds it)");
            return 2;
        }

        var ct = CancellationToken.None;
        Console.WriteLine($"durability: store {storeKind}, durability {durability}, {rounds} rounds of {seconds} s, {concurrency} clients, {instances} instance(s) per request; {Environment.ProcessorCount} cores, load average {VigilProcess.LoadAverage()}");
        await using var model = await VigilProcess.StartModelAsync();
        var modelUrl = new Uri(model.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
        await using var postgres = storeKind == "postgres" ? await PostgresServer.StartAsync(ct) : null;
        var body = "{\"instances\": [" + string.Join(",", Enumerable.Repeat("""{"x": 1.5}""", instances)) + "]}";

        long totalAnswered = 0;
        long totalMissing = 0;
        var totalElapsed = 0.0;
        var latencies = new List<double>();
        Console.WriteLine("| round | answered 200 | missing after kill -9 | answered/s | p50 ms | p99 ms |");
        Console.WriteLine("| ---: | ---: | ---: | ---: | ---: | ---: |");
        for (var round = 1; round <= rounds; round++)
        {
            var directory = Directory.CreateTempSubdirectory("vigil-durability-").FullName;
            var store = postgres is null
                ? "sqlite:" + Path.Combine(directory, "vigil.db")
                : $"postgres://{PostgresServer.User}@127.0.0.1:{postgres.Port}/{new Npgsql.NpgsqlConnectionStringBuilder(await postgres.CreateDatabaseAsync("durability", ct)).Database}";
            var answered = new ConcurrentBag<string>();
            var roundLatencies = new ConcurrentBag<double>();
            Stopwatch clock;
            await using (var vigil = await VigilProcess.StartAsync(vigilDll, directory, store, Path.Combine(directory, "serve.log"), ["--recorder-durability", durability], ct))
            {
                using var client = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = concurrency }) { BaseAddress = vigil.Url, Timeout = TimeSpan.FromSeconds(30) };
                await vigil.CreateServiceAsync(client, Service, [new FeatureSpec("x", FeatureType.Number)], modelUrl, ct);
                for (var w = 0; w < 200; w++)
                {
                    using var warm = await client.PostAsync($"/v1/services/{Service}/predict", new StringContent(body, Encoding.UTF8, "application/json"), ct);
                }

                using var stop = new CancellationTokenSource();
                clock = Stopwatch.StartNew();
                var clients = Enumerable.Range(0, concurrency).Select(_ => Task.Run(async () =>
                {
                    while (!stop.IsCancellationRequested)
                    {
                        var started = Stopwatch.GetTimestamp();
                        try
                        {
                            using var content = new StringContent(body, Encoding.UTF8, "application/json");
                            using var response = await client.PostAsync($"/v1/services/{Service}/predict", content, stop.Token);
                            if (response.StatusCode != HttpStatusCode.OK)
                            {
                                continue;
                            }

                            using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync(stop.Token));
                            roundLatencies.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                            foreach (var prediction in document.RootElement.GetProperty("predictions").EnumerateArray())
                            {
                                answered.Add(prediction.GetProperty("request_id").GetString()!);
                            }
                        }
                        catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException or IOException or JsonException)
                        {
                            if (vigil.HasExited || stop.IsCancellationRequested)
                            {
                                return;
                            }
                        }
                    }
                })).ToList();

                await Task.Delay(TimeSpan.FromSeconds(seconds), ct);
                await vigil.KillAsync();
                clock.Stop();
                await stop.CancelAsync();
                await Task.WhenAll(clients);
            }

            var missing = 0;
            await using (var reopened = StoreFactory.Open(store))
            {
                foreach (var id in answered)
                {
                    if (await reopened.GetPredictionAsync(id, ct) is null)
                    {
                        missing++;
                    }
                }
            }

            var sorted = roundLatencies.Order().ToArray();
            double Percentile(double q) => sorted.Length == 0 ? double.NaN : sorted[Math.Min(sorted.Length - 1, (int)(q * sorted.Length))];
            Console.WriteLine($"| {round} | {answered.Count:N0} | {missing:N0} | {answered.Count / clock.Elapsed.TotalSeconds:N0} | {Percentile(0.5):F2} | {Percentile(0.99):F2} |");
            totalAnswered += answered.Count;
            totalMissing += missing;
            totalElapsed += clock.Elapsed.TotalSeconds;
            latencies.AddRange(sorted);
            try
            {
                Directory.Delete(directory, recursive: true);
            }
            catch (IOException)
            {
            }
        }

        latencies.Sort();
        double All(double q) => latencies.Count == 0 ? double.NaN : latencies[Math.Min(latencies.Count - 1, (int)(q * latencies.Count))];
        var rate = totalAnswered / totalElapsed;
        Console.WriteLine($"durability: {storeKind} {durability}: {totalMissing:N0} of {totalAnswered:N0} answered predictions missing after {rounds} kill -9 " +
            $"({(double)totalMissing / rounds:F1} per kill, about {(double)totalMissing / rounds / rate * 1000:F1} ms of answers at {rate:N0}/s); " +
            $"latency p50 {All(0.5):F2} ms, p99 {All(0.99):F2} ms (timings: compare on a quiet machine only)");
        return durability == "commit" && totalMissing > 0 ? 1 : 0;
    }
}

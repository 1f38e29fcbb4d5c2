using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using Vigil.Pipelines;
using Vigil.Server.Hosting;
using Vigil.Server.Pipelines;

namespace Vigil.Benchmarks.Pipelines;

/// <summary>
/// One measured run (not a BenchmarkDotNet micro-benchmark: a million traces is one long operation):
/// <c>dotnet bench/Vigil.Benchmarks/bin/Release/net10.0/Vigil.Benchmarks.dll pipelines-million [--traces 1000000] [--store sqlite:path]</c>.
/// Starts a real Vigil server on SQLite, declares a four-stage pipeline, sends N traces and N judgments over HTTP in
/// batches of 1,000 (the API's limit), then reads the report over all of them. Prints ingestion rates and the report time.
/// </summary>
public static class PipelineMillionRun
{
    public static async Task<int> RunAsync(string[] args)
    {
        var traces = 1_000_000;
        string? store = null;
        for (var i = 0; i < args.Length - 1; i++)
        {
            if (args[i] == "--traces")
            {
                traces = int.Parse(args[i + 1], CultureInfo.InvariantCulture);
            }
            else if (args[i] == "--store")
            {
                store = args[i + 1];
            }
        }

        var directory = Directory.CreateTempSubdirectory("vigil-pipeline-bench-").FullName;
        store ??= "sqlite:" + Path.Combine(directory, "vigil.db");
        await using var app = await VigilServer.StartAsync(
            new VigilServerOptions { Urls = ["http://127.0.0.1:0"], Store = store, LogLevel = Microsoft.Extensions.Logging.LogLevel.Warning },
            CancellationToken.None);
        using var http = new HttpClient { BaseAddress = app.BaseAddress, Timeout = TimeSpan.FromMinutes(30) };
        var definition = new PipelineDefinition(
            "qa",
            [
                new("retrieval", "retrieval", "precision@3", ">= 0.5"),
                new("ranking", "ranking", "ndcg@3", ">= 0.8"),
                new("generation", "generation", "faithfulness", ">= 0.85"),
                new("validation", "validation", "false_negative_rate", "<= 0.1"),
            ]);
        (await http.PostAsJsonAsync("v1/pipelines", definition, VigilJson.Options)).EnsureSuccessStatusCode();

        const int Batch = 1_000;
        var random = new Random(42);
        var traceTime = TimeSpan.Zero;
        var judgmentTime = TimeSpan.Zero;
        for (var start = 0; start < traces; start += Batch)
        {
            var count = Math.Min(Batch, traces - start);
            var batch = new List<PipelineTrace>(count);
            var judgments = new List<PipelineJudgment>(count);
            for (var i = start; i < start + count; i++)
            {
                var id = i.ToString("x8", CultureInfo.InvariantCulture);
                var swap = random.NextDouble() < 0.2;
                batch.Add(new PipelineTrace(
                    id,
                    [
                        new("retrieval", Items: [new("a", 0.9), new("b", 0.8), new("c", 0.7)]),
                        new("ranking", Items: swap ? [new("c", 0.9), new("b", 0.5), new("a", 0.1)] : [new("a", 0.9), new("b", 0.5), new("c", 0.1)]),
                        new("generation", Output: "An answer."),
                        new("validation", Verdict: ValidationVerdict.Pass),
                    ]));
                judgments.Add(new PipelineJudgment(
                    id,
                    Relevance: new Dictionary<string, double> { ["a"] = 2, ["b"] = 1 },
                    Statements: [new("s1", true), new("s2", !swap)],
                    Accepted: !swap));
            }

            var t0 = Stopwatch.GetTimestamp();
            (await http.PostAsJsonAsync("v1/pipelines/qa/traces", new TraceBatch(batch), VigilJson.Options)).EnsureSuccessStatusCode();
            var t1 = Stopwatch.GetTimestamp();
            (await http.PostAsJsonAsync("v1/pipelines/qa/judgments", new JudgmentBatch(judgments), VigilJson.Options)).EnsureSuccessStatusCode();
            traceTime += Stopwatch.GetElapsedTime(t0, t1);
            judgmentTime += Stopwatch.GetElapsedTime(t1);
            if ((start / Batch) % 100 == 99)
            {
                Console.Error.WriteLine($"{start + count:N0} traces sent");
            }
        }

        var r0 = Stopwatch.GetTimestamp();
        var response = await http.GetAsync("v1/pipelines/qa/report?window=7d&against=previous");
        response.EnsureSuccessStatusCode();
        var report = (await response.Content.ReadFromJsonAsync<PipelineReport>(VigilJson.Options))!;
        var reportTime = Stopwatch.GetElapsedTime(r0);
        var process = Process.GetCurrentProcess();
        Console.WriteLine(FormattableString.Invariant($"traces: {traces:N0} in {traceTime.TotalSeconds:0.0} s = {traces / traceTime.TotalSeconds:N0} traces/s (HTTP, batches of {Batch})"));
        Console.WriteLine(FormattableString.Invariant($"judgments: {traces:N0} in {judgmentTime.TotalSeconds:0.0} s = {traces / judgmentTime.TotalSeconds:N0} judgments/s"));
        Console.WriteLine(FormattableString.Invariant($"report over {report.EndToEnd.Traces:N0} traces (7d, against previous): {reportTime.TotalSeconds:0.0} s; focus {report.FocusStage}; peak working set {process.PeakWorkingSet64 / (1024 * 1024):N0} MB"));
        Console.WriteLine(FormattableString.Invariant($"store file: {new FileInfo(Path.Combine(directory, "vigil.db")).Length / (1024 * 1024):N0} MB"));
        await app.DisposeAsync();
        Directory.Delete(directory, recursive: true);
        return 0;
    }
}

using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Vigil.Audit;
using Vigil.Registry;
using Vigil.Server.Hosting;
using Vigil.Server.Recording;
using Vigil.Serving.Training;
using Vigil.Storage;

namespace Vigil.Benchmarks.Gateway;

/// <summary>
/// <c>gateway-host</c>: the servers bench/gateway/run.sh loads with wrk, all in this one process (one at a time is loaded,
/// the others stay idle):
/// <list type="bullet">
/// <item><b>vigil</b>: Vigil itself (SQLite store, logging at Warning) serving a freshly trained ML.NET model as the champion of <c>bench</c>;</item>
/// <item><b>bare</b>: a bare Kestrel minimal-API endpoint returning the same JSON bytes Vigil returned for the request, no model call;</item>
/// <item><b>model</b>: a bare Kestrel endpoint that binds the request, calls the same ML.NET model directly (PredictionEngine) and returns the same JSON.</item>
/// </list>
/// Also <c>GET {bare}/stats</c>: this process's allocated bytes, GC counts, CPU time and Vigil's recorder counters, so that
/// run.sh can attribute allocations and CPU per request; <c>?flush=1</c> first waits for the recorder to drain.
/// </summary>
internal static class GatewayHost
{
    /// <summary>The service with a canary release at 50% (target "release" of bench/gateway/run.sh).</summary>
    private const string ReleaseService = "bench-release";

    private static readonly JsonSerializerOptions Snake = new(JsonSerializerDefaults.Web)
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public static async Task<int> RunAsync(string[] args)
    {
        var options = ParseArgs(args);
        var directory = options.GetValueOrDefault("dir") ?? Directory.CreateTempSubdirectory("vigil-gateway-bench-").FullName;
        Directory.CreateDirectory(directory);
        var requestPath = options.GetValueOrDefault("request") ?? throw new ArgumentException("--request FILE is required");
        var infoPath = options.GetValueOrDefault("info") ?? Path.Combine(directory, "servers.env");
        var request = (await File.ReadAllTextAsync(requestPath)).Trim();
        var requestBytes = Encoding.UTF8.GetBytes(request);

        using var stopping = new CancellationTokenSource();
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => { c.Cancel = true; stopping.Cancel(); });
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => { c.Cancel = true; stopping.Cancel(); });

        // 1. Train the model.
        var modelPath = Path.Combine(directory, "model.zip");
        var watch = Stopwatch.StartNew();
        var (rows, labels) = BenchService.Generate(5_000, seed: 7);
        var trained = MlNetTrainer.Train(BenchService.Definition, rows, labels, modelPath, new MlNetTrainingOptions { Seed = 7 }).Unwrap();
        Console.WriteLine($"gateway-host: trained {modelPath} in {watch.Elapsed.TotalSeconds:F1} s (auc {trained.Metrics["auc"]:F3}, 100 trees, 20 leaves)");

        // 2. Register it as the champion of 'bench' in a fresh SQLite store.
        var dbPath = Path.Combine(directory, "vigil.db");
        foreach (var file in Directory.GetFiles(directory, "vigil.db*"))
        {
            File.Delete(file);
        }

        var storeSpec = "sqlite:" + dbPath;
        await using (var store = StoreFactory.Open(storeSpec))
        {
            var who = new AuditContext("bench", DateTimeOffset.UtcNow);
            await store.MigrateAsync(stopping.Token);
            (await store.CreateServiceAsync(BenchService.Definition, who, stopping.Token)).Unwrap();
            var version = (await store.RegisterVersionAsync(
                new ModelVersionDraft(BenchService.Name, new BackendSpec(BackendKind.Mlnet, modelPath), Metrics: trained.Metrics), who, stopping.Token)).Unwrap();
            (await store.UpdateAliasesAsync(BenchService.Name, 0, AliasSet.Empty with { Champion = version.Number }, "alias.set", who, stopping.Token)).Unwrap();

            // The same model as 'bench-release', twice (versions 1 and 2), for a canary release at 50% started below.
            (await store.CreateServiceAsync(BenchService.Definition with { Name = ReleaseService }, who, stopping.Token)).Unwrap();
            foreach (var _ in new[] { 1, 2 })
            {
                (await store.RegisterVersionAsync(
                    new ModelVersionDraft(ReleaseService, new BackendSpec(BackendKind.Mlnet, modelPath), Metrics: trained.Metrics), who, stopping.Token)).Unwrap();
            }

            (await store.UpdateAliasesAsync(ReleaseService, 0, AliasSet.Empty with { Champion = 1 }, "alias.set", who, stopping.Token)).Unwrap();
        }

        // 3. Start Vigil.
        var vigil = await VigilServer.StartAsync(
            new VigilServerOptions
            {
                Urls = [$"http://127.0.0.1:{options.GetValueOrDefault("vigil-port") ?? "0"}"],
                Store = storeSpec,
                LogLevel = LogLevel.Warning,
                RecorderLinger = options.GetValueOrDefault("recorder-linger-ms") is { } linger
                    ? TimeSpan.FromMilliseconds(double.Parse(linger, CultureInfo.InvariantCulture))
                    : null,
            },
            stopping.Token);
        await using var vigilScope = vigil;
        var vigilUrl = new Uri(vigil.BaseAddress, $"/v1/services/{BenchService.Name}/predict");
        using var client = new HttpClient();
        var vigilBody = await PostAsync(client, vigilUrl, requestBytes, stopping.Token);

        // A canary release of 'bench-release' at 50% that holds for the whole run (its trigger cannot fire on a healthy model).
        var plan = $$"""
            {"service": "{{ReleaseService}}", "challenger": 2, "strategy": "canary", "steps": [{"weight": "50%", "hold": "30d"}],
             "triggers": [{"metric": "error_rate", "max": "50%"}]}
            """;
        using (var started = await client.PostAsync(new Uri(vigil.BaseAddress, "/v1/releases"), new StringContent(plan, Encoding.UTF8, "application/json"), stopping.Token))
        {
            var text = await started.Content.ReadAsStringAsync(stopping.Token);
            if (!started.IsSuccessStatusCode || !text.Contains("\"status\":\"canary\"", StringComparison.Ordinal))
            {
                throw new InvalidOperationException($"the benchmark's release did not start: {(int)started.StatusCode} {text}");
            }
        }

        var releaseUrl = new Uri(vigil.BaseAddress, $"/v1/services/{ReleaseService}/predict");
        await PostAsync(client, releaseUrl, requestBytes, stopping.Token);

        // 4. Start the two bare endpoints.
        var directModel = new DirectModel(modelPath);
        var bare = await StartBareAsync(options.GetValueOrDefault("bare-port") ?? "0", app =>
        {
            var body = Encoding.UTF8.GetBytes(vigilBody);
            app.MapPost("/v1/services/{service}/predict", (string service) => TypedResults.Bytes(body, "application/json; charset=utf-8"));
            var allocationTypes = options.ContainsKey("alloc-types") ? new AllocationTypes() : null;
            app.MapGet("/stats/alloc-types", () => TypedResults.Text(allocationTypes?.Report() ?? "start gateway-host with --alloc-types\n"));
            app.MapGet("/stats", async (HttpRequest http) =>
            {
                var recorder = vigil.Services.GetRequiredService<PredictionRecorder>();
                var before = recorder.Snapshot();
                if (http.Query.ContainsKey("flush"))
                {
                    await recorder.FlushAsync(http.HttpContext.RequestAborted);
                }

                var after = recorder.Snapshot();
                using var process = Process.GetCurrentProcess();
                return TypedResults.Text(
                    string.Create(
                        CultureInfo.InvariantCulture,
                        $"allocated_bytes={GC.GetTotalAllocatedBytes(precise: false)} gen0={GC.CollectionCount(0)} gen1={GC.CollectionCount(1)} gen2={GC.CollectionCount(2)} " +
                        $"cpu_ms={process.TotalProcessorTime.TotalMilliseconds:F0} working_set_mb={process.WorkingSet64 / 1048576} " +
                        $"jit_methods={System.Runtime.JitInfo.GetCompiledMethodCount()} jit_ms={System.Runtime.JitInfo.GetCompilationTime().TotalMilliseconds:F0} " +
                        $"recorder_queued_before_flush={before.Queued} recorder_written={after.Written} recorder_dropped={after.Dropped} recorder_write_failures={after.WriteFailures}\n"),
                    "text/plain");
            });
        });
        var model = await StartBareAsync(options.GetValueOrDefault("model-port") ?? "0", app =>
        {
            app.MapPost("/v1/services/{service}/predict", async (string service, HttpRequest http) =>
            {
                var body = await http.ReadFromJsonAsync<BenchRequest>(Snake, http.HttpContext.RequestAborted);
                if (body?.Inputs is null)
                {
                    return Results.BadRequest();
                }

                var p = directModel.Predict(body.Inputs);
                var response = new BenchResponse(Guid.CreateVersion7().ToString("N"), service, 1, "champion", new BenchOutputs(p.Probability, p.PredictedLabel, p.Score));
                return TypedResults.Json(response, Snake);
            });
        });

        var bareUrl = new Uri(BaseAddress(bare), $"/v1/services/{BenchService.Name}/predict");
        var modelUrl = new Uri(BaseAddress(model), $"/v1/services/{BenchService.Name}/predict");
        var bareBody = await PostAsync(client, bareUrl, requestBytes, stopping.Token);
        var modelBody = await PostAsync(client, modelUrl, requestBytes, stopping.Token);
        Console.WriteLine($"gateway-host: vigil answers {vigilBody}");
        Console.WriteLine($"gateway-host: bare  answers {bareBody}");
        Console.WriteLine($"gateway-host: model answers {modelBody}");
        if (WithoutRequestId(vigilBody) != WithoutRequestId(modelBody) || vigilBody != bareBody)
        {
            await Console.Error.WriteLineAsync("gateway-host: the three endpoints do not return the same JSON (apart from request_id); fix the benchmark before trusting it");
            return 1;
        }

        await File.WriteAllTextAsync(
            infoPath,
            $"VIGIL_URL={vigilUrl}\nRELEASE_URL={releaseUrl}\nBARE_URL={bareUrl}\nMODEL_URL={modelUrl}\nSTATS_URL={new Uri(BaseAddress(bare), "/stats")}\n" +
            $"GC_MODE={(System.Runtime.GCSettings.IsServerGC ? "server" : "workstation")}\n");
        Console.WriteLine($"gateway-host: ready (GC {(System.Runtime.GCSettings.IsServerGC ? "server" : "workstation")}, pid {Environment.ProcessId}); send SIGTERM to stop");

        try
        {
            await Task.Delay(Timeout.Infinite, stopping.Token);
        }
        catch (OperationCanceledException)
        {
        }

        await bare.StopAsync(CancellationToken.None);
        await model.StopAsync(CancellationToken.None);
        var final = vigil.Services.GetRequiredService<PredictionRecorder>().Snapshot();
        Console.WriteLine($"gateway-host: stopping; recorder wrote {final.Written:N0} records, dropped {final.Dropped:N0}, {final.WriteFailures} write failures");
        return 0;
    }

    private static async Task<WebApplication> StartBareAsync(string port, Action<WebApplication> map)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [] });
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.AddServerHeader = false);
        builder.Logging.ClearProviders();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        var app = builder.Build();
        map(app);
        await app.StartAsync();
        return app;
    }

    private static Uri BaseAddress(WebApplication app) => new(app.Urls.First());

    private static async Task<string> PostAsync(HttpClient client, Uri url, byte[] body, CancellationToken cancellationToken)
    {
        using var content = new ByteArrayContent(body);
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        using var response = await client.PostAsync(url, content, cancellationToken);
        var text = await response.Content.ReadAsStringAsync(cancellationToken);
        return response.IsSuccessStatusCode ? text : throw new InvalidOperationException($"POST {url} answered {(int)response.StatusCode}: {text}");
    }

    private static string WithoutRequestId(string json)
    {
        var node = JsonNode.Parse(json)!.AsObject();
        node.Remove("request_id");
        return node.ToJsonString();
    }

    private static Dictionary<string, string> ParseArgs(string[] args)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < args.Length; i++)
        {
            if (!args[i].StartsWith("--", StringComparison.Ordinal) || i + 1 >= args.Length)
            {
                throw new ArgumentException($"usage: gateway-host --request FILE [--dir DIR] [--info FILE] [--vigil-port N] [--bare-port N] [--model-port N] [--recorder-linger-ms MS] [--alloc-types 1]; got '{args[i]}'");
            }

            result[args[i][2..]] = args[++i];
        }

        return result;
    }
}

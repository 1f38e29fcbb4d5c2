using System.Diagnostics.Metrics;
using System.Text.Json;
using System.Text.Json.Nodes;
using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Metrics;
using Vigil.Access;
using Vigil.Benchmarks.Gateway;
using Vigil.Predictions;
using Vigil.Registry;
using Vigil.Server.Api;
using Vigil.Server.Gateway;
using Vigil.Server.Observability;
using Vigil.Serving;
using Vigil.Serving.Loading;
using Vigil.Serving.Training;

namespace Vigil.Benchmarks;

/// <summary>
/// The pieces of one predict request after routing and input reading, measured one by one so that the gateway load
/// benchmark's per-request CPU and allocations can be attributed: the model call through Vigil's ML.NET backend and
/// through ML.NET's own PredictionEngine (what a user without Vigil calls), the response serialization, the prediction
/// record, the metrics (with OpenTelemetry listening, as in the server) and the API-key check (not exercised by the
/// open-mode load benchmark).
/// </summary>
[MemoryDiagnoser]
[MinColumn]
[MedianColumn]
[SimpleJob(launchCount: 1, warmupCount: 3, iterationCount: 8, id: "Short-3x8")]
public class PredictPathBenchmarks
{
    private string _directory = "";
    private IModelBackend _backend = null!;
    private DirectModel _direct = null!;
    private InputRow[] _rows = null!;
    private BenchInputs _typed = null!;
    private JsonDocument _request = null!;
    private JsonObject _outputs = null!;
    private ServiceProvider _services = null!;
    private VigilMetrics _metrics = null!;
    private ApiKey _key = null!;
    private string _secret = "";

    [GlobalSetup]
    public void Setup()
    {
        _directory = Directory.CreateTempSubdirectory("vigil-bench-path-").FullName;
        var modelPath = Path.Combine(_directory, "model.zip");
        var (rows, labels) = BenchService.Generate(5_000, seed: 7);
        MlNetTrainer.Train(BenchService.Definition, rows, labels, modelPath, new MlNetTrainingOptions { Seed = 7 }).Unwrap();

        _services = new ServiceCollection()
            .AddVigilServing()
            .AddMetrics()
            .AddOpenTelemetry().WithMetrics(m => m.AddMeter(VigilMetrics.MeterName).AddPrometheusExporter()).Services
            .BuildServiceProvider();
        _ = _services.GetRequiredService<MeterProvider>();
        _metrics = new VigilMetrics(_services.GetRequiredService<IMeterFactory>());

        var version = new ModelVersion(BenchService.Name, 1, new BackendSpec(BackendKind.Mlnet, modelPath), new Dictionary<string, string>(), new Dictionary<string, double>(), DateTimeOffset.UnixEpoch, "bench");
        _backend = _services.GetRequiredService<IBackendLoader>().LoadAsync(BenchService.Definition, version, CancellationToken.None).GetAwaiter().GetResult().Unwrap();
        _direct = new DirectModel(modelPath);

        _request = JsonDocument.Parse(BenchService.RequestUtf8);
        _rows = [InputReader.Read(BenchService.Definition, _request.RootElement.GetProperty("inputs"), [])];
        _typed = JsonSerializer.Deserialize<BenchRequest>(BenchService.RequestUtf8, new JsonSerializerOptions(JsonSerializerDefaults.Web) { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower })!.Inputs;
        _outputs = _backend.PredictAsync(_rows, CancellationToken.None).GetAwaiter().GetResult()[0];
        (_key, var whole) = ApiKeyFactory.Create("bench", ApiScopes.Predict, DateTimeOffset.UnixEpoch);
        _secret = ApiKeyFactory.TryParse(whole, out _, out var secret) ? secret : throw new InvalidOperationException("bad key");
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _backend.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _services.Dispose();
        _request.Dispose();
        Directory.Delete(_directory, recursive: true);
    }

    /// <summary>One row through Vigil's ML.NET backend (IModelBackend.PredictAsync), giving the JsonObject outputs.</summary>
    [Benchmark]
    public JsonObject Model_VigilBackend() => _backend.PredictAsync(_rows, CancellationToken.None).GetAwaiter().GetResult()[0];

    /// <summary>The same row through ML.NET's typed PredictionEngine (pooled), as the "bare + model" endpoint does.</summary>
    [Benchmark]
    public float Model_PredictionEngine() => _direct.Predict(_typed).Probability;

    /// <summary>The answer's JSON: PredictResponse with its JsonObject outputs, serialized with Vigil's options.</summary>
    [Benchmark]
    public byte[] Response_Serialize() =>
        JsonSerializer.SerializeToUtf8Bytes(new PredictResponse(PredictionGateway.NewRequestId(DateTimeOffset.UnixEpoch), BenchService.Name, 1, Arms.Champion, _outputs), VigilJson.Options);

    /// <summary>What the gateway builds for the recorder: request id, raw inputs and attributes text, outputs text, the record.</summary>
    [Benchmark]
    public PredictionRecord Record_Build()
    {
        var root = _request.RootElement;
        var at = DateTimeOffset.UtcNow;
        return new PredictionRecord(
            PredictionGateway.NewRequestId(at),
            at,
            BenchService.Name,
            1,
            Arms.Champion,
            root.GetProperty("key").GetString(),
            root.GetProperty("attributes").GetRawText(),
            root.GetProperty("inputs").GetRawText(),
            _outputs.ToJsonString(),
            0.01,
            null);
    }

    /// <summary>The gateway's metrics of one request (request counter + duration histogram + backend histogram), with OpenTelemetry listening.</summary>
    [Benchmark]
    public void Metrics_OneRequest()
    {
        _metrics.Backend(BenchService.Name, 1, "mlnet", 0.0001);
        _metrics.Request(BenchService.Name, 1, Arms.Champion, "ok", 0.0002);
    }

    /// <summary>The API-key check a non-open server does per request (SHA-256 of the presented secret, constant-time compare).</summary>
    [Benchmark]
    public bool ApiKey_Verify() => ApiKeyFactory.Verify(_key, _secret);
}

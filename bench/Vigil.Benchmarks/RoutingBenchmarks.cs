using System.Text.Json;
using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.Logging.Abstractions;
using Vigil.Audit;
using Vigil.Persistence;
using Vigil.Registry;
using Vigil.Routing;
using Vigil.Server.Routing;
using Vigil.Storage;

namespace Vigil.Benchmarks;

/// <summary>
/// The first two steps of every predict request: find the service in the routing snapshot, and read the request's inputs
/// against its schema. A store with 20 services (SQLite, temp file) feeds a real <see cref="RoutingState"/>.
/// </summary>
[MemoryDiagnoser]
[MinColumn]
[MedianColumn]
[SimpleJob(launchCount: 1, warmupCount: 3, iterationCount: 8, id: "Short-3x8")]
public class RoutingBenchmarks
{
    private string _directory = "";
    private IVigilStore _store = null!;
    private RoutingState _state = null!;
    private JsonDocument _parsed = null!;
    private JsonElement _inputs;

    [GlobalSetup]
    public void Setup()
    {
        _directory = Directory.CreateTempSubdirectory("vigil-bench-routing-").FullName;
        _store = StoreFactory.Open("sqlite:" + Path.Combine(_directory, "routing.db"));
        SetupAsync().GetAwaiter().GetResult();
        _parsed = JsonDocument.Parse(BenchService.RequestUtf8);
        _inputs = _parsed.RootElement.GetProperty("inputs");
    }

    private async Task SetupAsync()
    {
        var ct = CancellationToken.None;
        await _store.MigrateAsync(ct);
        var who = new AuditContext("bench", DateTimeOffset.UtcNow);
        for (var i = 0; i < 20; i++)
        {
            var name = i == 7 ? BenchService.Name : $"service-{i:00}";
            var service = BenchService.Definition with { Name = name };
            (await _store.CreateServiceAsync(service, who, ct)).Unwrap();
            var version = (await _store.RegisterVersionAsync(new ModelVersionDraft(name, new BackendSpec(BackendKind.Mlnet, "/nonexistent/model.zip")), who, ct)).Unwrap();
            (await _store.UpdateAliasesAsync(name, 0, AliasSet.Empty with { Champion = version.Number }, "alias.set", who, ct)).Unwrap();
        }

        _state = new RoutingState(_store, NullLogger<RoutingState>.Instance);
        var snapshot = await _state.RebuildAsync(ct);
        if (snapshot.Find(BenchService.Name)?.Champion is null)
        {
            throw new InvalidOperationException("the routing snapshot has no champion for 'bench'");
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _parsed.Dispose();
        _store.DisposeAsync().AsTask().GetAwaiter().GetResult();
        Directory.Delete(_directory, recursive: true);
    }

    /// <summary><c>RoutingState.Current.Find(service)</c> for a service that exists (the hot path of every request).</summary>
    [Benchmark]
    public ServiceRoute? Find() => _state.Current.Find(BenchService.Name);

    /// <summary>The same for a name that is not a service (404 path).</summary>
    [Benchmark]
    public ServiceRoute? Find_Missing() => _state.Current.Find("no-such-service");

    /// <summary>Parse the typical 7-feature request body into a <see cref="JsonDocument"/> and read its inputs against the schema.</summary>
    [Benchmark]
    public InputRow InputReader_ParseAndRead()
    {
        using var document = JsonDocument.Parse(BenchService.RequestUtf8);
        var violations = new List<SchemaViolation>();
        var row = InputReader.Read(BenchService.Definition, document.RootElement.GetProperty("inputs"), violations);
        return violations.Count == 0 ? row : throw new InvalidOperationException(violations[0].Message);
    }

    /// <summary><c>InputReader.Read</c> alone, on an already parsed document.</summary>
    [Benchmark]
    public InputRow InputReader_ReadOnly() => InputReader.Read(BenchService.Definition, _inputs, []);
}

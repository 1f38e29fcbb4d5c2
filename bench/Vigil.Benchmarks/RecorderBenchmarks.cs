using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Engines;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using Vigil.Persistence;
using Vigil.Predictions;
using Vigil.Storage;
using Vigil.Testing;

namespace Vigil.Benchmarks;

/// <summary>
/// Store write throughput of the prediction recorder's unit of work: <c>WritePredictionsAsync</c> of a batch of 1,000 new
/// records (the recorder's default batch size; also 100, the per-record cost of small batches), into SQLite (a temp file, WAL) and into PostgreSQL (a throwaway server
/// started by Vigil.Testing's <see cref="PostgresServer"/>, tuned for speed: fsync and synchronous_commit off).
/// One operation is one record (OperationsPerInvoke = the batch size), so the Mean is the time per record and the
/// <c>Records/s</c> column is 10^9 / Mean.
/// </summary>
[MemoryDiagnoser]
[Config(typeof(Config))]
public class RecorderBenchmarks
{
    public const int BatchSize = 1_000;
    private const int BatchesPerIteration = 16;

    /// <summary>A small batch, as the recorder writes when it finds only a few records queued (light or bursty load).</summary>
    public const int SmallBatchSize = 100;

    private readonly Queue<PredictionRecord[]> _batches = new();
    private string _directory = "";
    private PostgresServer? _postgres;
    private IVigilStore _store = null!;
    private long _sequence;

    /// <summary>sqlite, and postgres when PostgreSQL's binaries are installed (else that case is skipped with a message).</summary>
    [ParamsSource(nameof(Stores))]
    public string Store { get; set; } = "sqlite";

    public static IEnumerable<string> Stores()
    {
        yield return "sqlite";
        if (PostgresServer.FindBinDirectory() is null)
        {
            Console.WriteLine($"RecorderBenchmarks: skipping the postgres case: {PostgresServer.HowToEnable}");
            yield break;
        }

        yield return "postgres";
    }

    [GlobalSetup]
    public void Setup() => SetupAsync().GetAwaiter().GetResult();

    private async Task SetupAsync()
    {
        _directory = Directory.CreateTempSubdirectory("vigil-bench-recorder-").FullName;
        string spec;
        if (Store == "postgres")
        {
            _postgres = await PostgresServer.StartAsync();
            spec = await _postgres.CreateDatabaseAsync("bench");
        }
        else
        {
            spec = "sqlite:" + Path.Combine(_directory, "recorder.db");
        }

        _store = StoreFactory.Open(spec);
        await _store.MigrateAsync(CancellationToken.None);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _store.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _postgres?.DisposeAsync().AsTask().GetAwaiter().GetResult();
        Directory.Delete(_directory, recursive: true);
    }

    /// <summary>Builds this iteration's batches of fresh records outside the measured time.</summary>
    [IterationSetup(Target = nameof(WritePredictions))]
    public void BuildBatches() => Fill(BatchSize);

    [IterationSetup(Target = nameof(WritePredictions_SmallBatch))]
    public void BuildSmallBatches() => Fill(SmallBatchSize);

    /// <summary>One batch of 1,000 records, the recorder's default batch size.</summary>
    [Benchmark(OperationsPerInvoke = BatchSize)]
    public Task WritePredictions() => _store.WritePredictionsAsync(Next(BatchSize), CancellationToken.None);

    /// <summary>One batch of 100 records: the per-record cost when the recorder writes small batches.</summary>
    [Benchmark(OperationsPerInvoke = SmallBatchSize)]
    public Task WritePredictions_SmallBatch() => _store.WritePredictionsAsync(Next(SmallBatchSize), CancellationToken.None);

    [IterationSetup(Target = nameof(Baseline_AdoNetCommand))]
    public void BuildBaselineBatches() => Fill(BatchSize);

    /// <summary>
    /// The alternative a .NET developer would write: Microsoft.Data.Sqlite's parameterized command with named parameters,
    /// one prepared command per batch, one transaction per batch with synchronous = NORMAL, into a second table of the
    /// same shape and indexes in the same file. Vigil's recorder wrote this way until it bound by position (SQLite only).
    /// </summary>
    [Benchmark(OperationsPerInvoke = BatchSize)]
    public void Baseline_AdoNetCommand()
    {
        if (Store != "sqlite")
        {
            return; // the comparison is for the SQLite path; on PostgreSQL the store writes with binary COPY
        }

        var batch = Next(BatchSize);
        using var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={Path.Combine(_directory, "recorder.db")}");
        connection.Open();
        using (var pragma = connection.CreateCommand())
        {
            pragma.CommandText = "PRAGMA synchronous = NORMAL; CREATE TABLE IF NOT EXISTS baseline_predictions AS SELECT * FROM predictions WHERE 0; "
                + "CREATE UNIQUE INDEX IF NOT EXISTS baseline_predictions_id ON baseline_predictions (request_id); "
                + "CREATE INDEX IF NOT EXISTS baseline_predictions_service_at ON baseline_predictions (service, at);";
            pragma.ExecuteNonQuery();
        }

        using var transaction = connection.BeginTransaction(deferred: false);
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = """
            INSERT INTO baseline_predictions (request_id, at, service, version, arm, key, attributes, inputs, outputs, latency_ms, error, flag_key, flag_reason, shadow_of)
            VALUES (@request_id, @at, @service, @version, @arm, @key, @attributes, @inputs, @outputs, @latency_ms, @error, @flag_key, @flag_reason, @shadow_of)
            ON CONFLICT (request_id) DO NOTHING
            """;
        string[] names = ["request_id", "at", "service", "version", "arm", "key", "attributes", "inputs", "outputs", "latency_ms", "error", "flag_key", "flag_reason", "shadow_of"];
        var parameters = names.Select(n => command.Parameters.Add(new Microsoft.Data.Sqlite.SqliteParameter("@" + n, null))).ToArray();
        foreach (var r in batch)
        {
            object?[] values = [r.RequestId, r.At.ToUnixTimeMilliseconds() * 1000, r.Service, r.Version, r.Arm, r.Key, r.Attributes, r.Inputs, r.Outputs, r.LatencyMs, r.Error, r.FlagKey, r.FlagReason, r.ShadowOf];
            for (var i = 0; i < values.Length; i++)
            {
                parameters[i].Value = values[i] ?? DBNull.Value;
            }

            command.ExecuteNonQuery();
        }

        transaction.Commit();
    }

    private void Fill(int size)
    {
        _batches.Clear();
        while (_batches.Count < BatchesPerIteration)
        {
            _batches.Enqueue(NewBatch(size));
        }
    }

    private PredictionRecord[] Next(int size) => _batches.Count > 0 && _batches.Peek().Length == size ? _batches.Dequeue() : NewBatch(size);

    /// <summary>A batch like the recorder writes: unique UUIDv7 ids, the typical request's inputs and a probability output.</summary>
    private PredictionRecord[] NewBatch(int size)
    {
        const string inputs = """{"age":41.5,"income":58200.0,"tenure_months":27,"visits":6,"plan":"pro","country":"DE","device":"ios"}""";
        const string outputs = """{"probability":0.7312459349632263,"label":true,"score":2.1735}""";
        var batch = new PredictionRecord[size];
        var at = DateTimeOffset.UtcNow;
        for (var i = 0; i < batch.Length; i++)
        {
            var n = Interlocked.Increment(ref _sequence);
            batch[i] = new PredictionRecord(
                Guid.CreateVersion7(at).ToString("N"),
                at,
                BenchService.Name,
                1,
                Arms.Champion,
                "user-" + (n % 10_000),
                """{"segment":"returning"}""",
                inputs,
                outputs,
                0.012,
                null);
        }

        return batch;
    }

    /// <summary>A short job (IterationSetup needs a fixed invocation count and no unrolling) and a records/s column.</summary>
    private sealed class Config : ManualConfig
    {
        public Config()
        {
            AddJob(Job.Default
                .WithStrategy(RunStrategy.Monitoring)
                .WithLaunchCount(1)
                .WithWarmupCount(3)
                .WithIterationCount(10)
                .WithInvocationCount(BatchesPerIteration)
                .WithUnrollFactor(1)
                .WithId("Short-16x1000"));
            AddColumn(new RecordsPerSecondColumn());
        }
    }

    private sealed class RecordsPerSecondColumn : IColumn
    {
        public string Id => "RecordsPerSecond";
        public string ColumnName => "Records/s";
        public bool AlwaysShow => true;
        public ColumnCategory Category => ColumnCategory.Custom;
        public int PriorityInCategory => 0;
        public bool IsNumeric => true;
        public UnitType UnitType => UnitType.Dimensionless;
        public string Legend => "Records written per second: 10^9 / Mean (ns per record)";

        public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, SummaryStyle.Default);

        public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
        {
            var mean = summary[benchmarkCase]?.ResultStatistics?.Mean;
            return mean is > 0 ? (1e9 / mean.Value).ToString("N0", System.Globalization.CultureInfo.InvariantCulture) : "-";
        }

        public bool IsAvailable(Summary summary) => true;
        public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;
    }
}

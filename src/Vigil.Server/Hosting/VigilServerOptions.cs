using System.ComponentModel.DataAnnotations;
using Vigil.Server.Recording;

namespace Vigil.Server.Hosting;

/// <summary>How <c>vigil serve</c> (or a host calling <see cref="VigilServer.StartAsync"/>) runs Vigil.</summary>
public sealed class VigilServerOptions
{
    /// <summary>Addresses to listen on. Default <c>http://127.0.0.1:5000</c>. Port 0 picks a free port (see <see cref="VigilApp.Urls"/>).</summary>
    public IList<string> Urls { get; init; } = ["http://127.0.0.1:5000"];

    /// <summary>The store: <c>sqlite:PATH</c>, a <c>postgres://</c> URL or an Npgsql connection string. Default <c>sqlite:vigil.db</c>.</summary>
    public string Store { get; init; } = "sqlite:vigil.db";

    /// <summary>The clock. Default <see cref="TimeProvider.System"/>; the demo passes an accelerated one, tests a fake one.</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>Capacity of the prediction-record channel. Default 100,000. When full, records are dropped and counted; requests still succeed.</summary>
    [Range(1, 10_000_000)]
    public int RecorderCapacity { get; init; } = 100_000;

    /// <summary>Most records written to the store in one batch. Default 1,000.</summary>
    [Range(1, 100_000)]
    public int RecorderBatchSize { get; init; } = 1_000;

    /// <summary>
    /// How long the recorder waits for more records before writing a batch that is not full (real time). Null (the
    /// default) picks by store: 2 ms on SQLite, where the write runs in this process beside the request threads (short
    /// bursts, and queued records die young: no gen2 collections under load); 20 ms on PostgreSQL, where each batch
    /// pays a fixed round trip and a staging table of its own, so a trickle should not become hundreds of tiny
    /// transactions a second (docs/benchmarks.md).
    /// </summary>
    public TimeSpan? RecorderLinger { get; init; }

    /// <summary>The recorder's linger for a store of <paramref name="storeKind"/> when <see cref="RecorderLinger"/> is not set.</summary>
    public static TimeSpan DefaultRecorderLinger(string storeKind) =>
        storeKind == "postgres" ? TimeSpan.FromMilliseconds(20) : TimeSpan.FromMilliseconds(2);

    /// <summary>
    /// When a predict request is answered relative to the write of its records. Default <see cref="RecorderDurability.Async"/>:
    /// at once, and a crash of the process loses the last few milliseconds of answered predictions (docs/operations.md,
    /// "Recorder durability", has the measured numbers). <see cref="RecorderDurability.Commit"/>: the answer waits for the
    /// records' commit (group commit, no linger unless <see cref="RecorderLinger"/> is set), so nothing answered is lost.
    /// </summary>
    public RecorderDurability RecorderDurability { get; init; } = RecorderDurability.Async;

    /// <summary>
    /// With <see cref="RecorderDurability.Commit"/>, the longest a request waits for its records' commit before it is
    /// answered 503 (the store is down or too slow; the records stay queued and are written when it recovers). Default 5 s.
    /// </summary>
    public TimeSpan RecorderCommitTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>The default of <see cref="MaxUnknownFeatures"/>.</summary>
    public const int DefaultMaxUnknownFeatures = 64;

    /// <summary>
    /// How many distinct feature names that the service's schema does not declare one monitoring window profiles and
    /// counts by name (a window is one minute of one service, version and arm, or of one segment). Default 64. Values of
    /// further unknown features count in one overflow bucket (violation kind <c>unknown_feature_overflow</c>) and are not
    /// profiled, so a client sending a new name with every request cannot grow memory, the stored window summaries or
    /// <c>/features</c> (docs/monitoring.md). 0 profiles no unknown feature.
    /// </summary>
    [Range(0, 10_000)]
    public int MaxUnknownFeatures { get; init; } = DefaultMaxUnknownFeatures;

    /// <summary>Largest request body accepted, in bytes. Default 4 MiB; larger bodies get 413.</summary>
    [Range(1_024, 1_073_741_824)]
    public long MaxRequestBodyBytes { get; init; } = 4 * 1024 * 1024;

    /// <summary>Most instances in one batch predict call. Default 1,000.</summary>
    [Range(1, 100_000)]
    public int MaxBatchSize { get; init; } = 1_000;

    /// <summary>How often the routing snapshot is rebuilt from the store even without a change notification. Default 30 s.</summary>
    public TimeSpan SnapshotResync { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// The folder for the retraining loop's exported data and trained models. Default <c>$VIGIL_ARTIFACTS</c>, else
    /// <c>vigil-artifacts</c> in the working directory; the demo keeps them in its own folder.
    /// </summary>
    public string? ArtifactsDirectory { get; init; }

    /// <summary>How often (on the server's clock) the release controller looks for releases due for analysis. Default 10 s; each release is analysed every <c>analysis_interval</c> of its plan.</summary>
    public TimeSpan ControllerTick { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>URLs that receive a JSON POST when a release is rolled back, promoted, aborted or paused. Default none.</summary>
    public IList<string> Webhooks { get; init; } = [];

    /// <summary>Minimum log level of Vigil's own console logging. Default Information.</summary>
    public Microsoft.Extensions.Logging.LogLevel LogLevel { get; init; } = Microsoft.Extensions.Logging.LogLevel.Information;

    /// <summary>Every problem with these options (each range above, and the durations), empty when they are valid.</summary>
    public IReadOnlyList<string> Validate()
    {
        var results = new List<ValidationResult>();
        Validator.TryValidateObject(this, new ValidationContext(this), results, validateAllProperties: true);
        var errors = results.Select(r => r.ErrorMessage ?? string.Join(", ", r.MemberNames) + " is not valid").ToList();
        if (RecorderLinger is { } linger && (linger < TimeSpan.Zero || linger > TimeSpan.FromSeconds(1)))
        {
            errors.Add($"RecorderLinger must be between 0 and 1 s, got {linger.TotalMilliseconds} ms");
        }

        if (RecorderCommitTimeout < TimeSpan.FromMilliseconds(10) || RecorderCommitTimeout > TimeSpan.FromMinutes(5))
        {
            errors.Add($"RecorderCommitTimeout must be between 10 ms and 5 minutes, got {RecorderCommitTimeout.TotalMilliseconds} ms");
        }

        if (!Enum.IsDefined(RecorderDurability))
        {
            errors.Add($"RecorderDurability must be async or commit, got {(int)RecorderDurability}");
        }

        return errors;
    }
}

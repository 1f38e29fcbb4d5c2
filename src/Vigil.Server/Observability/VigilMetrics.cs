using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Vigil.Server.Observability;

/// <summary>
/// Vigil's own metrics, through System.Diagnostics.Metrics and exported by OpenTelemetry (Prometheus at /metrics).
/// Names follow OpenTelemetry's conventions (dotted, unit in the instrument, seconds for durations);
/// Prometheus sees them as <c>vigil_gateway_requests_total</c>, <c>vigil_gateway_request_duration_seconds</c> …
/// </summary>
public sealed class VigilMetrics : IDisposable
{
    /// <summary>The meter name to enable in an OpenTelemetry MeterProvider.</summary>
    public const string MeterName = "Vigil";

    private readonly Meter _meter;
    private readonly Counter<long> _requests;
    private readonly Histogram<double> _requestDuration;
    private readonly Histogram<double> _backendDuration;
    private readonly Counter<long> _schemaViolations;
    private readonly Counter<long> _outcomes;
    private readonly Counter<long> _recorded;
    private readonly Counter<long> _dropped;
    private readonly Counter<long> _writeFailures;
    private readonly Counter<long> _shadowSkipped;
    private readonly Counter<long> _foldErrors;
    private readonly Counter<long> _unknownOverflow;
    private readonly Counter<long> _loopFailures;
    private readonly Counter<long> _commitTimeouts;

    public VigilMetrics(IMeterFactory meterFactory)
    {
        ArgumentNullException.ThrowIfNull(meterFactory);
        _meter = meterFactory.Create(MeterName);
        _requests = _meter.CreateCounter<long>("vigil.gateway.requests", "{request}", "Predictions answered, by service, version, arm and result (ok, error, invalid).");
        _requestDuration = _meter.CreateHistogram<double>("vigil.gateway.request.duration", "s", "Time from reading a predict request to writing its answer.", advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = DurationBuckets });
        _backendDuration = _meter.CreateHistogram<double>("vigil.backend.duration", "s", "Time spent in the model backend.", advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = DurationBuckets });
        _schemaViolations = _meter.CreateCounter<long>("vigil.schema.violations", "{violation}", "Schema violations of request inputs, by service, feature and kind.");
        _outcomes = _meter.CreateCounter<long>("vigil.feedback.outcomes", "{outcome}", "Outcomes received, by result (stored, duplicate).");
        _recorded = _meter.CreateCounter<long>("vigil.recorder.records.written", "{record}", "Prediction records written to the store.");
        _dropped = _meter.CreateCounter<long>("vigil.recorder.records.dropped", "{record}", "Prediction records dropped because the recorder's channel was full.");
        _shadowSkipped = _meter.CreateCounter<long>("vigil.shadow.skipped", "{request}", "Shadow copies skipped because every shadow slot was busy.");
        _writeFailures = _meter.CreateCounter<long>("vigil.recorder.write.failures", "{batch}", "Batches that failed to write and were retried.");
        _foldErrors = _meter.CreateCounter<long>("vigil.monitoring.fold.errors", "{value}", "Values the monitoring fold could not take (left out of the window's profiles), by service and reason.");
        _unknownOverflow = _meter.CreateCounter<long>("vigil.monitoring.unknown_features.overflow", "{value}", "Values of unknown features beyond a window's bound of distinct names: counted, not profiled.");
        _loopFailures = _meter.CreateCounter<long>("vigil.background.failures", "{failure}", "Failed turns of Vigil's background loops (each goes on at its next turn), by loop.");
        _commitTimeouts = _meter.CreateCounter<long>("vigil.recorder.commit.timeouts", "{request}", "Requests answered 503 in the commit durability mode because their records were not committed in time.");
    }

    /// <summary>Buckets from 50 µs to 10 s: the gateway's added latency budget is under 1 ms, so the low end needs resolution.</summary>
    public static IReadOnlyList<double> DurationBuckets { get; } =
        [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

    /// <summary>Registers an observable gauge (the recorder's queue depth).</summary>
    public void ObserveQueueDepth(Func<long> depth) =>
        _meter.CreateObservableGauge("vigil.recorder.queue.depth", depth, "{record}", "Prediction records waiting to be written.");

    public void Request(string service, int version, string arm, string result, double seconds)
    {
        var tags = new TagList
        {
            { "vigil.service", service },
            { "vigil.version", Boxed(version) },
            { "vigil.arm", arm },
            { "vigil.result", result },
        };
        _requests.Add(1, tags);
        _requestDuration.Record(seconds, tags);
    }

    /// <summary>A tag value for a version number, boxed once per number instead of on every measurement.</summary>
    private static object Boxed(int version) => (uint)version < (uint)BoxedVersions.Length ? BoxedVersions[version] : version;

    private static readonly object[] BoxedVersions = Enumerable.Range(0, 256).Select(v => (object)v).ToArray();

    public void Invalid(string service) =>
        _requests.Add(1, new TagList { { "vigil.service", service }, { "vigil.version", 0 }, { "vigil.arm", "none" }, { "vigil.result", "invalid" } });

    public void Backend(string service, int version, string backend, double seconds) =>
        _backendDuration.Record(seconds, new TagList { { "vigil.service", service }, { "vigil.version", Boxed(version) }, { "vigil.backend", backend } });

    /// <summary>Counts a schema violation. Unknown feature names come from callers, so they share one label value to keep the series bounded.</summary>
    public void SchemaViolation(string service, Vigil.Registry.SchemaViolation violation)
    {
        var feature = violation.Kind == Vigil.Registry.ViolationKind.Unknown ? "(unknown)" : violation.Feature;
        _schemaViolations.Add(1, new TagList { { "vigil.service", service }, { "vigil.feature", feature }, { "vigil.violation", ViolationLabel(violation.Kind) } });
    }

    /// <summary>The label value of a violation kind: missing, unknown, wrong_type, null, not_finite, out_of_range, unseen_category.</summary>
    public static string ViolationLabel(Vigil.Registry.ViolationKind kind) => kind switch
    {
        Vigil.Registry.ViolationKind.Missing => "missing",
        Vigil.Registry.ViolationKind.Unknown => "unknown",
        Vigil.Registry.ViolationKind.WrongType => "wrong_type",
        Vigil.Registry.ViolationKind.Null => "null",
        Vigil.Registry.ViolationKind.NotFinite => "not_finite",
        Vigil.Registry.ViolationKind.OutOfRange => "out_of_range",
        _ => "unseen_category",
    };

    public void Outcomes(int stored, int duplicates)
    {
        if (stored > 0)
        {
            _outcomes.Add(stored, new KeyValuePair<string, object?>("vigil.result", "stored"));
        }

        if (duplicates > 0)
        {
            _outcomes.Add(duplicates, new KeyValuePair<string, object?>("vigil.result", "duplicate"));
        }
    }

    public void Written(int count) => _recorded.Add(count);

    public void Dropped() => _dropped.Add(1);

    public void WriteFailed() => _writeFailures.Add(1);

    /// <summary>Counts a value the fold could not take; <paramref name="reason"/> is one of <see cref="Monitoring.FoldErrors"/>'s few constants.</summary>
    public void FoldError(string service, string reason) =>
        _foldErrors.Add(1, new TagList { { "vigil.service", service }, { "vigil.reason", reason } });

    /// <summary>Counts values of unknown features a window could not track by name (one label per service, whatever the names).</summary>
    public void UnknownFeatureOverflow(string service, long count) =>
        _unknownOverflow.Add(count, new KeyValuePair<string, object?>("vigil.service", service));

    /// <summary>Counts a failed turn of the background loop <paramref name="loop"/> (a constant name, never client data).</summary>
    public void LoopFailed(string loop) => _loopFailures.Add(1, new KeyValuePair<string, object?>("vigil.loop", loop));

    /// <summary>Counts a request whose records were not committed within the commit timeout.</summary>
    public void CommitTimedOut() => _commitTimeouts.Add(1);

    public void ShadowSkipped(string service) => _shadowSkipped.Add(1, new KeyValuePair<string, object?>("vigil.service", service));

    public void Dispose() => _meter.Dispose();
}

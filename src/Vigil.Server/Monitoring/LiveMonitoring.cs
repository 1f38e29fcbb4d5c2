using System.Text.Json;
using Microsoft.Extensions.Options;
using Vigil.Monitoring;
using Vigil.Predictions;
using Vigil.Profiles;
using Vigil.Registry;
using Vigil.Server.Hosting;

namespace Vigil.Server.Monitoring;

/// <summary>One stream of windows: a (service, version, arm).</summary>
public readonly record struct StreamKey(string Service, int Version, string Arm);

/// <summary>What one closed one-minute window looked like, kept for the layers' history.</summary>
public sealed record WindowSummary(
    DateTimeOffset Start,
    int Version,
    string Arm,
    long Requests,
    long Errors,
    double? LatencyP99Ms,
    IReadOnlyDictionary<string, FeatureSummary> Features,
    IReadOnlyDictionary<string, Dictionary<string, long>>? ViolationsByKind = null,
    IReadOnlyDictionary<string, Layers.OutputSummary>? Outputs = null);

/// <summary>A feature in one window: count, null rate, schema violations, median, and PSI against the baseline.</summary>
public sealed record FeatureSummary(long Count, double NullRate, long Violations, double? Median, double? Psi);

/// <summary>
/// An alert with the stream it belongs to; <see cref="Id"/> is stable (<see cref="StoredAlert.IdOf"/>), <see cref="Ack"/> the
/// acknowledgement of the current episode, <see cref="Silenced"/> the ids of the silences in force that match it, and
/// <see cref="Revision"/> the stored revision the next write must name.
/// </summary>
public sealed record AlertView(
    string Service,
    int Version,
    string Arm,
    AlertStatus Status,
    AlertSeverity Severity,
    MonitorLayer Layer,
    string? Summary,
    bool Inhibited,
    string Id = "",
    AlertAck? Ack = null,
    IReadOnlyList<string>? Silenced = null,
    long Revision = 0)
{
    /// <summary>The view of a stored alert.</summary>
    public static AlertView From(StoredAlert alert, IReadOnlyList<string>? silenced = null)
    {
        ArgumentNullException.ThrowIfNull(alert);
        return new(alert.Service, alert.Version, alert.Arm, alert.Status, alert.Severity, alert.Layer, alert.Summary, alert.Inhibited, alert.Id, alert.Ack, silenced, alert.Revision);
    }

    /// <summary>The alert as the store keeps it, written at <paramref name="at"/>.</summary>
    public StoredAlert ToStored(DateTimeOffset at) =>
        new(Id, Service, Version, Arm, Status, Severity, Layer, Summary, Inhibited, Ack, Revision, at);
}

/// <summary>
/// The live side of monitoring: the recorder's background loop folds each written batch into one-minute windows per
/// (service, version, arm) — never on the request path, and memory is the open windows plus a bounded history, not
/// the requests; <see cref="MonitorEvaluator"/> closes windows on the server clock and runs the same
/// <see cref="MonitorEngine"/> as <c>vigil backtest</c>. Baselines are profiles uploaded per version. Thread-safe.
/// The evaluator persists what this class produces (closed window summaries, alert states) and <see cref="Load"/>s it back
/// at start, so a restarted server keeps its baselines, its last day of history and its firing alerts.
/// </summary>
/// <remarks>
/// Nothing a record holds can make the fold throw out of <see cref="Fold"/>: a value of another kind than its feature's
/// profile is a type error, a value that cannot be read (an escaped lone surrogate) is a counted fold error, and an
/// unexpected failure costs that record's contribution alone (<see cref="FoldErrors"/>). Features the service's schema does
/// not declare are profiled by name up to <see cref="MaxUnknownFeatures"/> per window; further ones only count.
/// </remarks>
public sealed class LiveMonitoring
{
    /// <summary>Closed windows kept per stream for the layers' history (a day).</summary>
    public const int HistoryWindows = 1440;

    private readonly FoldErrors? _errors;

    /// <summary>Monitoring that counts fold errors in <paramref name="foldErrors"/> and bounds unknown features as <paramref name="options"/> say.</summary>
    public LiveMonitoring(FoldErrors? foldErrors = null, IOptions<VigilServerOptions>? options = null)
    {
        _errors = foldErrors;
        MaxUnknownFeatures = options?.Value.MaxUnknownFeatures ?? VigilServerOptions.DefaultMaxUnknownFeatures;
    }

    /// <summary>How many distinct unknown feature names one window profiles and counts by name (<see cref="VigilServerOptions.MaxUnknownFeatures"/>).</summary>
    public int MaxUnknownFeatures { get; }

    private readonly Lock _lock = new();
    private readonly Dictionary<(StreamKey Stream, DateTimeOffset Start), WindowProfiles> _open = [];
    private readonly Dictionary<StreamKey, DateTimeOffset> _next = [];
    private readonly Dictionary<StreamKey, MonitorEngine> _engines = [];
    private readonly Dictionary<StreamKey, LinkedList<WindowSummary>> _history = [];
    private readonly Dictionary<(string Service, int Version), Dictionary<string, FeatureProfile>> _baselines = [];
    private readonly Dictionary<(StreamKey Stream, string Monitor, string Subject), AlertView> _alerts = [];
    private readonly List<(StreamKey Stream, AlertEvent Event)> _events = [];
    private readonly List<(StreamKey Stream, WindowSummary Window)> _closed = [];

    /// <summary>
    /// Raised under the lock for each window as it closes (before the monitors see it), so that readers such as
    /// <see cref="RecentProfiles"/> can keep the recent sketches; handlers must be quick and must not keep the window
    /// itself (it is shared with the monitor engine): copy it.
    /// </summary>
    public event Action<StreamKey, WindowProfiles>? WindowClosed;

    /// <summary>mon-layers: folds what else a record carries (schema violations by kind, outputs) into its window (set by <see cref="Layers.LayersHook"/>).</summary>
    public Action<WindowProfiles, PredictionRecord>? FoldHook { get; set; }

    /// <summary>mon-layers: summarizes a closed window's outputs for the history (set by <see cref="Layers.LayersHook"/>).</summary>
    public Func<StreamKey, WindowProfiles, IReadOnlyDictionary<string, Layers.OutputSummary>?>? SummarizeOutputs { get; set; }

    /// <summary>
    /// mon-layers: adds a version's output reference (its first hour of @-profiles) to its baseline. The baseline is
    /// replaced, never changed in place (readers hold it outside the lock), so the version's engines start over with it.
    /// </summary>
    public void AddOutputReference(string service, int version, Dictionary<string, FeatureProfile> outputs)
    {
        lock (_lock)
        {
            var baseline = _baselines.TryGetValue((service, version), out var existing)
                ? new Dictionary<string, FeatureProfile>(existing, StringComparer.Ordinal)
                : new Dictionary<string, FeatureProfile>(StringComparer.Ordinal);
            foreach (var (name, profile) in outputs)
            {
                baseline.TryAdd(name, profile.Clone());
            }

            _baselines[(service, version)] = baseline;
            foreach (var key in _engines.Keys.Where(k => k.Service == service && k.Version == version).ToList())
            {
                _engines.Remove(key);
            }
        }
    }

    /// <summary>mon-layers: the performance and business layers' data and alerts (set by <see cref="Layers.LayersHook"/>).</summary>
    public Func<string, (bool Performance, bool Business, IReadOnlyList<AlertView> Alerts)>? OtherLayers { get; set; }

    /// <summary>The monitors every stream runs.</summary>
    public IReadOnlyList<MonitorDefinition> Monitors { get; private set; } = DefaultMonitors.All;

    /// <summary>A service's own input and output monitors (its monitoring settings), or null for <see cref="Monitors"/>.</summary>
    public Func<string, IReadOnlyList<MonitorDefinition>?>? ServiceMonitors { get; set; }

    /// <summary>Makes a service's streams pick up changed monitors: their engines are built again on the next evaluation.</summary>
    public void ResetEngines(string service)
    {
        lock (_lock)
        {
            foreach (var key in _engines.Keys.Where(k => k.Service == service).ToList())
            {
                _engines.Remove(key);
            }
        }
    }

    /// <summary>Replaces the monitors every stream runs; streams start over with them, keeping their alerts' statuses.</summary>
    public void UseMonitors(IReadOnlyList<MonitorDefinition> monitors)
    {
        ArgumentNullException.ThrowIfNull(monitors);
        lock (_lock)
        {
            Monitors = monitors;
            _engines.Clear();
        }
    }

    /// <summary>
    /// Restores what the store kept: baselines, closed window summaries (the history), and alert states. A stream with a
    /// pending or firing alert is evaluated from <paramref name="now"/> on even without traffic, so its alert can resolve.
    /// </summary>
    public void Load(IEnumerable<StoredBaseline> baselines, IEnumerable<(StreamKey Stream, WindowSummary Window)> history, IEnumerable<StoredAlert> alerts, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(baselines);
        ArgumentNullException.ThrowIfNull(history);
        ArgumentNullException.ThrowIfNull(alerts);
        lock (_lock)
        {
            foreach (var baseline in baselines)
            {
                _baselines[(baseline.Service, baseline.Version)] = new Dictionary<string, FeatureProfile>(baseline.Profiles, StringComparer.Ordinal);
            }

            foreach (var (stream, window) in history.OrderBy(h => h.Window.Start))
            {
                if (!_history.TryGetValue(stream, out var list))
                {
                    list = new LinkedList<WindowSummary>();
                    _history[stream] = list;
                }

                list.AddLast(window);
                while (list.Count > HistoryWindows)
                {
                    list.RemoveFirst();
                }
            }

            foreach (var alert in alerts)
            {
                var stream = new StreamKey(alert.Service, alert.Version, alert.Arm);
                _alerts[(stream, alert.Status.Monitor, alert.Status.Subject)] = AlertView.From(alert);
                if (alert.Status.State is AlertState.Pending or AlertState.Firing)
                {
                    _next.TryAdd(stream, WindowProfiles.Floor(now, WindowProfiles.BaseLength));
                }
            }

            _engines.Clear();
        }
    }

    /// <summary>The closed windows' summaries since the last call (the evaluator stores them).</summary>
    public IReadOnlyList<(StreamKey Stream, WindowSummary Window)> TakeClosedWindows()
    {
        lock (_lock)
        {
            var closed = _closed.ToList();
            _closed.Clear();
            return closed;
        }
    }

    /// <summary>The current view of one alert, or null.</summary>
    public AlertView? Alert(StreamKey stream, string monitor, string subject)
    {
        lock (_lock)
        {
            return _alerts.GetValueOrDefault((stream, monitor, subject));
        }
    }

    /// <summary>Records what the store now holds for an alert: its revision and acknowledgement (the status stays this replica's).</summary>
    public void Stored(StoredAlert alert)
    {
        ArgumentNullException.ThrowIfNull(alert);
        lock (_lock)
        {
            var key = (new StreamKey(alert.Service, alert.Version, alert.Arm), alert.Status.Monitor, alert.Status.Subject);
            if (_alerts.TryGetValue(key, out var view))
            {
                _alerts[key] = view with { Revision = alert.Revision, Ack = alert.Ack };
            }
        }
    }

    /// <summary>Sets <paramref name="profiles"/> as the baseline of a version; its streams start over with it.</summary>
    public void SetBaseline(string service, int version, Dictionary<string, FeatureProfile> profiles)
    {
        lock (_lock)
        {
            _baselines[(service, version)] = profiles;
            foreach (var key in _engines.Keys.Where(k => k.Service == service && k.Version == version).ToList())
            {
                _engines.Remove(key);
            }
        }
    }

    public IReadOnlyDictionary<string, FeatureProfile>? Baseline(string service, int version)
    {
        lock (_lock)
        {
            return _baselines.GetValueOrDefault((service, version));
        }
    }

    /// <summary>
    /// Folds a batch of recorded predictions (the recorder calls it after writing the batch). Never throws because of a
    /// record: a record whose fold fails unexpectedly loses its own contribution, counted and logged (<see cref="FoldErrors"/>).
    /// </summary>
    public void Fold(IReadOnlyList<PredictionRecord> batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        lock (_lock)
        {
            foreach (var record in batch)
            {
                try
                {
                    FoldRecord(record);
                }
                catch (Exception ex)
                {
                    _errors?.Count(record.Service, "(record)", FoldErrors.Unexpected, ex);
                }
            }
        }
    }

    private void FoldRecord(PredictionRecord record)
    {
        if (record.Version <= 0)
        {
            return;
        }

        var stream = new StreamKey(record.Service, record.Version, record.Arm);
        var start = WindowProfiles.Floor(record.At, WindowProfiles.BaseLength);
        if (_next.TryGetValue(stream, out var next) && start < next)
        {
            return; // that window is already evaluated
        }

        if (!_open.TryGetValue((stream, start), out var window))
        {
            window = new WindowProfiles(start, WindowProfiles.BaseLength);
            _open[(stream, start)] = window;
            _next.TryAdd(stream, start);
        }

        window.Requests++;
        if (record.Error is not null)
        {
            window.Errors++;
        }

        window.Numeric(MonitorMetrics.LatencyMs).Add(record.LatencyMs);
        var baseline = _baselines.GetValueOrDefault((record.Service, record.Version));
        if (Parse(record.Service, "(inputs)", record.Inputs) is { } document)
        {
            using (document)
            {
                FoldInputs(window, record, document.RootElement, baseline, countViolations: true);
            }
        }

        FoldHook?.Invoke(window, record); // mon-layers: schema violations by kind, outputs
    }

    /// <summary>The JSON document of a record's <paramref name="json"/> column, or null (a counted fold error) when it is not one.</summary>
    internal JsonDocument? Parse(string service, string what, string json)
    {
        try
        {
            return JsonDocument.Parse(json);
        }
        catch (JsonException)
        {
            _errors?.Count(service, what, FoldErrors.InvalidJson);
            return null;
        }
    }

    /// <summary>Counts a value of <paramref name="feature"/> the fold could not take (see <see cref="FoldErrors"/>).</summary>
    internal void CountFoldError(string service, string feature, string reason) => _errors?.Count(service, feature, reason);

    /// <summary>What <see cref="FoldValue"/> did with a value.</summary>
    internal enum FoldResult
    {
        /// <summary>Folded: a value, a null, or a number too large for a double (a type error of the numeric profile, as ±∞ is).</summary>
        Folded,

        /// <summary>A value of the other kind than the feature's profile: counted as the profile's type error.</summary>
        TypeError,

        /// <summary>A string that is not valid Unicode: left out of the profile (the caller counts a fold error).</summary>
        InvalidText,
    }

    /// <summary>
    /// Folds one input value into the window's profile of <paramref name="feature"/>. The profile's kind is fixed when it
    /// is created: numeric or categorical as the baseline says (<paramref name="known"/>), else by the first value's JSON
    /// type (a number: numeric; anything else: categorical). A later value of the other kind is the profile's type error
    /// (<see cref="FoldResult.TypeError"/>; the caller decides whether it is a schema violation too); never an exception.
    /// </summary>
    internal static FoldResult FoldValue(WindowProfiles window, string feature, JsonElement value, ProfileKind? known)
    {
        if (!window.Profiles.TryGetValue(feature, out var profile))
        {
            var kind = known ?? (value.ValueKind == JsonValueKind.Number ? ProfileKind.Numeric : ProfileKind.Categorical);
            profile = kind == ProfileKind.Numeric ? window.Numeric(feature) : window.Categorical(feature);
        }

        var numeric = profile.Kind == ProfileKind.Numeric;
        switch (value.ValueKind)
        {
            case JsonValueKind.Null:
                profile.AddNull();
                return FoldResult.Folded;
            case JsonValueKind.Number when numeric:
                // A number too large for a double (1e400) is not finite: the profile counts ±∞ as a type error.
                profile.Add(value.TryGetDouble(out var number) ? number : value.GetRawText().StartsWith('-') ? double.NegativeInfinity : double.PositiveInfinity);
                return FoldResult.Folded;
            case JsonValueKind.String when !numeric:
                if (!FoldErrors.TryGetString(value, out var text))
                {
                    return FoldResult.InvalidText;
                }

                profile.Add(text);
                return FoldResult.Folded;
            case JsonValueKind.True or JsonValueKind.False when !numeric:
                profile.Add(value.ValueKind == JsonValueKind.True ? "true" : "false");
                return FoldResult.Folded;
            default:
                profile.AddTypeError();
                return FoldResult.TypeError;
        }
    }

    /// <summary>
    /// Folds a record's inputs (<paramref name="inputs"/>, its parsed JSON object) into <paramref name="window"/>: each
    /// declared feature's value into its profile, and each unknown one's (a name the gateway reported as
    /// <see cref="ViolationKind.Unknown"/>) only while the window tracks fewer than <see cref="MaxUnknownFeatures"/> others;
    /// the schema violations themselves are counted by <see cref="Layers.InputLayerFold"/>. With
    /// <paramref name="countViolations"/>, a value of the wrong kind and a baseline feature that is absent count as
    /// violations of the feature (what <c>schema_violation_rate</c> reads).
    /// </summary>
    internal void FoldInputs(WindowProfiles window, PredictionRecord record, JsonElement inputs, IReadOnlyDictionary<string, FeatureProfile>? baseline, bool countViolations)
    {
        if (inputs.ValueKind != JsonValueKind.Object)
        {
            return;
        }

        var unknown = new UnknownNames(record.Violations);
        foreach (var property in inputs.EnumerateObject())
        {
            if (!FoldErrors.TryGetName(property, out var name))
            {
                _errors?.Count(record.Service, name, FoldErrors.InvalidText);
                continue;
            }

            if (unknown.Contains(name) && !window.TrackUnknown(name, MaxUnknownFeatures))
            {
                continue; // over the window's bound: counted as an overflow violation, not profiled
            }

            switch (FoldValue(window, name, property.Value, baseline?.GetValueOrDefault(name)?.Kind))
            {
                case FoldResult.TypeError when countViolations:
                    window.AddViolation(name);
                    break;
                case FoldResult.InvalidText:
                    _errors?.Count(record.Service, name, FoldErrors.InvalidText);
                    break;
            }
        }

        if (countViolations && baseline is not null)
        {
            foreach (var feature in baseline.Keys)
            {
                if (!feature.StartsWith('@') && !inputs.TryGetProperty(feature, out _))
                {
                    window.Numeric(feature);
                    window.AddViolation(feature);
                }
            }
        }
    }

    /// <summary>
    /// The feature names a record's violations call unknown: looked up in the list, or in a set built once when a record
    /// carries many (a hostile request can name thousands), so a record costs linear time either way and the usual
    /// record (no violations) allocates nothing.
    /// </summary>
    private readonly struct UnknownNames
    {
        private const int ListLimit = 16;
        private readonly IReadOnlyList<SchemaViolation>? _violations;
        private readonly HashSet<string>? _set;

        public UnknownNames(IReadOnlyList<SchemaViolation>? violations)
        {
            _violations = violations;
            if (violations is { Count: > ListLimit })
            {
                _set = new HashSet<string>(StringComparer.Ordinal);
                foreach (var violation in violations)
                {
                    if (violation.Kind == ViolationKind.Unknown)
                    {
                        _set.Add(violation.Feature);
                    }
                }
            }
        }

        public bool Contains(string name)
        {
            if (_set is not null)
            {
                return _set.Contains(name);
            }

            if (_violations is null)
            {
                return false;
            }

            foreach (var violation in _violations)
            {
                if (violation.Kind == ViolationKind.Unknown && string.Equals(violation.Feature, name, StringComparison.Ordinal))
                {
                    return true;
                }
            }

            return false;
        }
    }

    /// <summary>Evaluates every window of every stream that ended at or before <paramref name="now"/>; returns the alert changes.</summary>
    public IReadOnlyList<(StreamKey Stream, AlertEvent Event)> Evaluate(DateTimeOffset now)
    {
        var changes = new List<(StreamKey, AlertEvent)>();
        lock (_lock)
        {
            foreach (var stream in _next.Keys.ToList())
            {
                var baseline = _baselines.GetValueOrDefault((stream.Service, stream.Version));
                if (!_engines.TryGetValue(stream, out var engine))
                {
                    engine = new MonitorEngine(ServiceMonitors?.Invoke(stream.Service) ?? Monitors, (IReadOnlyDictionary<string, FeatureProfile>?)baseline ?? new Dictionary<string, FeatureProfile>());
                    engine.Restore(_alerts.Where(a => a.Key.Stream == stream).Select(a => a.Value.Status));
                    _engines[stream] = engine;
                }

                // Evaluate at most a day of minutes per tick, so a long-idle stream cannot stall the loop.
                for (var i = 0; i < 1440 && _next[stream] + WindowProfiles.BaseLength <= now; i++)
                {
                    var start = _next[stream];
                    _open.Remove((stream, start), out var window);
                    window ??= new WindowProfiles(start, WindowProfiles.BaseLength);
                    _next[stream] = window.End;
                    Remember(stream, window, baseline);
                    WindowClosed?.Invoke(stream, window);
                    foreach (var change in engine.Evaluate(window, window.End))
                    {
                        changes.Add((stream, change));
                        _events.Add((stream, change));
                        var key = (stream, change.Monitor, change.Subject);
                        var known = _alerts.GetValueOrDefault(key);
                        _alerts[key] = new AlertView(
                            stream.Service, stream.Version, stream.Arm,
                            engine.Statuses.First(s => s.Monitor == change.Monitor && s.Subject == change.Subject),
                            change.Severity, change.Layer, change.Summary, change.Inhibited,
                            StoredAlert.IdOf(stream.Service, stream.Version, stream.Arm, change.Monitor, change.Subject),
                            change.From is AlertState.Inactive or AlertState.Resolved ? null : known?.Ack,
                            null,
                            known?.Revision ?? 0);
                    }
                }

                if (_events.Count > 10_000)
                {
                    _events.RemoveRange(0, _events.Count - 10_000);
                }
            }
        }

        return changes;
    }

    private void Remember(StreamKey stream, WindowProfiles window, Dictionary<string, FeatureProfile>? baseline)
    {
        if (!_history.TryGetValue(stream, out var history))
        {
            history = new LinkedList<WindowSummary>();
            _history[stream] = history;
        }

        var features = new Dictionary<string, FeatureSummary>(StringComparer.Ordinal);
        foreach (var (name, profile) in window.Profiles.Where(p => !p.Key.StartsWith('@')))
        {
            var psi = baseline?.GetValueOrDefault(name) is { } b ? ProfileDrift.Compare(name, b, profile)?.Psi : null;
            var median = profile.Quantiles is { IsEmpty: false } q ? q.GetQuantile(0.5) : (double?)null;
            features[name] = new FeatureSummary(profile.Count, profile.NullRate, window.Violations.GetValueOrDefault(name), median, psi);
        }

        var latency = window.Profiles.GetValueOrDefault(MonitorMetrics.LatencyMs)?.Quantiles is { IsEmpty: false } l ? l.GetQuantile(0.99) : (double?)null;
        var summary = new WindowSummary(window.Start, stream.Version, stream.Arm, window.Requests, window.Errors, latency, features, window.ViolationKinds, SummarizeOutputs?.Invoke(stream, window));
        history.AddLast(summary);
        if (window.Requests > 0 && _closed.Count < 100_000)
        {
            _closed.Add((stream, summary)); // a minute without traffic is not stored: a gap in the stored history means no requests
        }
        while (history.Count > HistoryWindows)
        {
            history.RemoveFirst();
        }
    }

    /// <summary>Alerts that are pending, firing or resolved, optionally of one service.</summary>
    public IReadOnlyList<AlertView> Alerts(string? service)
    {
        lock (_lock)
        {
            return [.. _alerts.Values.Where(a => (service is null || a.Service == service) && a.Status.State != AlertState.Inactive)
                .OrderByDescending(a => a.Status.FiredAt ?? a.Status.ActiveAt)];
        }
    }

    /// <summary>
    /// The four layers of a service now (<c>GET /v1/services/{s}/layers</c> and the dashboard's status lights): firing
    /// when an alert of the layer fires (not inhibited), pending when one is pending, ok when the layer has windows,
    /// else no-data; with the last <paramref name="history"/> windows.
    /// </summary>
    public LayersView Layers(string service, int history)
    {
        var other = OtherLayers?.Invoke(service);
        var alerts = Alerts(service).Concat(other?.Alerts ?? []).Where(a => a.Status.State is AlertState.Pending or AlertState.Firing).ToList();
        var windows = History(service, history);
        LayerState State(MonitorLayer layer, bool hasData)
        {
            var mine = alerts.Where(a => a.Layer == layer).ToList();
            var state = mine.Any(a => a.Status.State == AlertState.Firing && !a.Inhibited) ? "firing"
                : mine.Count > 0 ? "pending"
                : hasData ? "ok" : "no-data";
            return new LayerState(state, mine);
        }

        return new LayersView(
            service,
            State(MonitorLayer.Input, windows.Count > 0),
            State(MonitorLayer.Output, windows.Count > 0),
            State(MonitorLayer.Performance, other?.Performance ?? false),
            State(MonitorLayer.Business, other?.Business ?? false),
            windows);
    }

    /// <summary>The last <paramref name="limit"/> closed windows of a service's streams, newest last.</summary>
    public IReadOnlyList<WindowSummary> History(string service, int limit)
    {
        lock (_lock)
        {
            return [.. _history.Where(h => h.Key.Service == service).SelectMany(h => h.Value).OrderBy(w => w.Start).TakeLast(limit)];
        }
    }
}

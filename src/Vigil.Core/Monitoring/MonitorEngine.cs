using System.Globalization;
using Vigil.Profiles;
using Vigil.Statistics;

namespace Vigil.Monitoring;

/// <summary>A change of an alert's state, with what a notification needs.</summary>
public sealed record AlertEvent(
    string Monitor,
    MonitorLayer Layer,
    string Subject,
    AlertSeverity Severity,
    AlertState From,
    AlertState To,
    DateTimeOffset At,
    DateTimeOffset? FirstBadWindowStart,
    DateTimeOffset? FiredAt,
    double? TimeToDetectSeconds,
    double Value,
    double Threshold,
    string Summary,
    bool Inhibited,
    IReadOnlyList<MonitorAction> Actions);

/// <summary>
/// Evaluates monitors over a stream of closed one-minute windows of one (service, version, arm[, segment]) against a
/// baseline: builds each monitor's window by merging the last minutes, computes the metric per subject, drifts from
/// the sketches (<see cref="ProfileDrift"/>, Benjamini–Hochberg across the window's features for <c>drift_p_value</c>),
/// steps the pure <see cref="AlertLifecycle"/> and applies inhibition (while <c>schema_violation_rate</c> fires on a
/// feature, that feature's drift alerts are marked inhibited and not notified). The same class runs in the server's
/// evaluator and in <c>vigil backtest</c>. Not thread-safe.
/// </summary>
public sealed class MonitorEngine
{
    /// <summary>
    /// The fewest valid values a feature needs in a monitor's window before its drift is computed: below it, sampling noise
    /// alone puts PSI over 0.25 (about 15 values of a six-category feature often do), so drift monitors have no value
    /// and stay quiet rather than raise false alarms on thin traffic.
    /// </summary>
    public const long MinDriftValues = 100;

    private static readonly HashSet<string> DriftMetrics = new(StringComparer.Ordinal) { "psi", "js_distance", "ks_statistic", "drift_p_value", "wasserstein_normalized", "median" };

    private readonly IReadOnlyList<MonitorDefinition> _monitors;
    private readonly IReadOnlyDictionary<string, FeatureProfile> _baseline;
    private readonly LinkedList<WindowProfiles> _recent = new();
    private readonly TimeSpan _keep;
    private readonly Dictionary<(string Monitor, string Subject), AlertStatus> _status = [];

    public MonitorEngine(IReadOnlyList<MonitorDefinition> monitors, IReadOnlyDictionary<string, FeatureProfile> baseline)
    {
        ArgumentNullException.ThrowIfNull(monitors);
        ArgumentNullException.ThrowIfNull(baseline);
        _monitors = monitors;
        _baseline = baseline;
        _keep = TimeSpan.FromTicks(2 * monitors.Select(m => m.Window.Value.Ticks).DefaultIfEmpty(TimeSpan.TicksPerMinute).Max());
    }

    /// <summary>Every alert's current status.</summary>
    public IReadOnlyCollection<AlertStatus> Statuses => _status.Values;

    /// <summary>Restores statuses persisted by the server.</summary>
    public void Restore(IEnumerable<AlertStatus> statuses)
    {
        foreach (var status in statuses ?? [])
        {
            _status[(status.Monitor, status.Subject)] = status;
        }
    }

    /// <summary>Adds a closed base window and evaluates every monitor at <paramref name="now"/>; returns the state changes.</summary>
    public IReadOnlyList<AlertEvent> Evaluate(WindowProfiles closed, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(closed);
        _recent.AddLast(closed);
        while (_recent.First is { } first && first.Value.Start < closed.End - _keep)
        {
            _recent.RemoveFirst();
        }

        var events = new List<AlertEvent>();
        var cache = new Dictionary<TimeSpan, (WindowProfiles? Current, WindowProfiles? Previous, Dictionary<string, ProfileDrift?> Drifts)>();
        var schemaFiring = new HashSet<string>(StringComparer.Ordinal);
        // Schema monitors first so inhibition sees this tick's state.
        foreach (var monitor in _monitors.OrderBy(m => m.Metric == "schema_violation_rate" ? 0 : 1))
        {
            if (!cache.TryGetValue(monitor.Window.Value, out var windows))
            {
                // Merge only the profiles some monitor of this window length reads.
                var length = monitor.Window.Value;
                var readers = _monitors.Where(m => m.Window.Value == length).ToArray();
                bool Wanted(string feature) => readers.Any(m => Reads(m, feature));
                var current = WindowProfiles.MergeAll(_recent.Where(w => w.Start >= closed.End - length), Wanted);
                var previous = readers.Any(m => m.Comparison == MonitorComparison.ChangeVsPrevious)
                    ? WindowProfiles.MergeAll(_recent.Where(w => w.Start < closed.End - length && w.Start >= closed.End - length - length), Wanted)
                    : null;
                windows = (current, previous, new Dictionary<string, ProfileDrift?>(StringComparer.Ordinal));
                cache[length] = windows;
            }

            foreach (var subject in Subjects(monitor, windows.Current))
            {
                var value = Value(monitor, subject, windows.Current, windows.Previous, windows.Drifts);
                var key = (monitor.Name, subject);
                var before = _status.GetValueOrDefault(key) ?? AlertStatus.Inactive(monitor.Name, subject, monitor.Threshold);
                var after = AlertLifecycle.Step(monitor, before, value, closed.Start, now);
                if (after.State == AlertState.Inactive && before.State == AlertState.Inactive)
                {
                    // Nothing to remember: subjects come and go with the traffic (feature names a client sent), and a
                    // status kept for every subject ever seen would grow without bound.
                    _status.Remove(key);
                }
                else
                {
                    _status[key] = after;
                }
                if (monitor.Metric == "schema_violation_rate" && after.State == AlertState.Firing)
                {
                    schemaFiring.Add(subject);
                }

                if (after.State != before.State)
                {
                    var inhibited = DriftMetrics.Contains(monitor.Metric) && schemaFiring.Contains(subject);
                    events.Add(new AlertEvent(
                        monitor.Name, monitor.Layer, subject, monitor.Severity, before.State, after.State, now, after.FirstBadWindowStart,
                        after.FiredAt, after.TimeToDetectSeconds, after.Value, monitor.Threshold,
                        Summary(monitor, subject, after.Value, closed, windows.Current is null || subject == "*" ? null : Drift(subject, windows.Current, windows.Drifts)), inhibited,
                        monitor.Actions ?? [MonitorAction.Notify]));
                }
            }
        }

        return events;
    }

    private IEnumerable<string> Subjects(MonitorDefinition monitor, WindowProfiles? current)
    {
        if (!MonitorMetrics.All[monitor.Metric].PerFeature)
        {
            return ["*"];
        }

        if (monitor.Feature != MonitorDefinition.AnyFeature)
        {
            return [monitor.Feature];
        }

        var output = monitor.Layer == MonitorLayer.Output;
        var names = _baseline.Keys.Concat(current?.Profiles.Keys ?? Enumerable.Empty<string>()).Concat(current?.Violations.Keys ?? Enumerable.Empty<string>());
        return names.Where(n => n.StartsWith('@') == output).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal);
    }

    /// <summary>Whether <paramref name="monitor"/> reads the profile of <paramref name="feature"/>.</summary>
    private static bool Reads(MonitorDefinition monitor, string feature) => monitor.Metric switch
    {
        "schema_violation_rate" or "error_rate" or "request_count" => false,
        "latency_p99_ms" => feature == MonitorMetrics.LatencyMs,
        _ when monitor.Feature == MonitorDefinition.AnyFeature => feature.StartsWith('@') == (monitor.Layer == MonitorLayer.Output),
        _ => feature == monitor.Feature,
    };

    /// <summary>The drift of <paramref name="feature"/>, computed once per window and cached in <paramref name="drifts"/>.</summary>
    private ProfileDrift? Drift(string feature, WindowProfiles window, Dictionary<string, ProfileDrift?> drifts)
    {
        if (!drifts.TryGetValue(feature, out var drift))
        {
            drift = window.Profiles.TryGetValue(feature, out var profile) && profile.ValidCount >= MinDriftValues && _baseline.TryGetValue(feature, out var baseline)
                ? ProfileDrift.Compare(feature, baseline, profile)
                : null;
            drifts[feature] = drift;
        }

        return drift;
    }

    private Dictionary<string, ProfileDrift?> AllDrifts(WindowProfiles window, Dictionary<string, ProfileDrift?> drifts)
    {
        foreach (var feature in window.Profiles.Keys)
        {
            Drift(feature, window, drifts);
        }

        return drifts;
    }

    private double? Value(MonitorDefinition monitor, string subject, WindowProfiles? current, WindowProfiles? previous, Dictionary<string, ProfileDrift?> drifts)
    {
        if (current is null)
        {
            return null;
        }

        var value = Metric(monitor.Metric, subject, current, drifts);
        if (value is null || monitor.Comparison == MonitorComparison.Threshold)
        {
            return value;
        }

        double? reference = monitor.Comparison switch
        {
            MonitorComparison.ChangeVsPrevious => previous is null ? null : Metric(monitor.Metric, subject, previous, []),
            _ => BaselineMetric(monitor.Metric, subject),
        };
        return reference is { } r ? value - r : null;
    }

    private double? Metric(string metric, string subject, WindowProfiles window, Dictionary<string, ProfileDrift?> drifts)
    {
        var profile = window.Profiles.GetValueOrDefault(subject);
        var drift = metric is "psi" or "output_psi" or "js_distance" or "ks_statistic" or "wasserstein_normalized" or "drift_p_value" ? Drift(subject, window, drifts) : null;
        switch (metric)
        {
            case "schema_violation_rate":
                return window.Requests == 0 ? null : window.Violations.GetValueOrDefault(subject) / (double)window.Requests;
            case "null_rate":
                return profile is null || profile.Count == 0 ? null : profile.NullRate;
            case "psi" or "output_psi":
                return drift?.Psi;
            case "js_distance":
                return drift?.JsDistance;
            case "ks_statistic":
                return drift?.KsStatistic;
            case "wasserstein_normalized":
                return drift?.WassersteinNormalized;
            case "median":
                return profile?.Quantiles is { IsEmpty: false } q ? q.GetQuantile(0.5) : null;
            case "drift_p_value":
                if (drift?.PValue is null)
                {
                    return null;
                }

                var tested = AllDrifts(window, drifts).Values.OfType<ProfileDrift>().Where(d => d.PValue is not null && !d.Feature.StartsWith('@')).OrderBy(d => d.Feature, StringComparer.Ordinal).ToArray();
                var adjusted = MultipleTesting.BenjaminiHochberg(tested.Select(d => d.PValue!.Value).ToArray());
                return adjusted[Array.FindIndex(tested, d => d.Feature == subject)];
            case "error_rate":
                return window.Requests == 0 ? null : window.Errors / (double)window.Requests;
            case "latency_p99_ms":
                return window.Profiles.GetValueOrDefault(MonitorMetrics.LatencyMs)?.Quantiles is { IsEmpty: false } latency ? latency.GetQuantile(0.99) : null;
            case "request_count":
                return window.Requests;
            default:
                return null;
        }
    }

    private double? BaselineMetric(string metric, string subject)
    {
        var profile = _baseline.GetValueOrDefault(subject);
        return metric switch
        {
            "null_rate" => profile is null || profile.Count == 0 ? null : profile.NullRate,
            "median" => profile?.Quantiles is { IsEmpty: false } q ? q.GetQuantile(0.5) : null,
            "schema_violation_rate" => 0.0,
            _ => null,
        };
    }

    private static string Summary(MonitorDefinition monitor, string subject, double value, WindowProfiles latest, ProfileDrift? drift)
    {
        var what = subject == "*" ? monitor.Metric : $"{monitor.Metric} of '{subject}'";
        var text = $"{monitor.Name}: {what} = {Format(value)} ({(monitor.Operator == MonitorOperator.Above ? "≥" : "≤")} {Format(monitor.Threshold)})";
        if (drift is { BaselineMedian: { } before, CurrentMedian: { } after })
        {
            // The median of the last minute shows the shift as it is now; the monitor's window may still mix old and new values.
            var now = latest.Profiles.GetValueOrDefault(subject)?.Quantiles is { IsEmpty: false } last ? last.GetQuantile(0.5) : after;
            text += $"; median {Format(before)} → {Format(now)}, PSI {Format(drift.Psi)}";
        }
        else if (drift is not null)
        {
            text += $"; PSI {Format(drift.Psi)}";
        }

        return text;
    }

    internal static string Format(double value) =>
        double.IsNaN(value) ? "n/a" : value.ToString(Math.Abs(value) is >= 1e-3 and < 1e7 or 0 ? "#,0.###" : "0.##e+0", CultureInfo.InvariantCulture);
}

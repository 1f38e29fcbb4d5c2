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
        var cache = new Dictionary<TimeSpan, (WindowProfiles? Current, WindowProfiles? Previous, Dictionary<string, ProfileDrift> Drifts)>();
        var schemaFiring = new HashSet<string>(StringComparer.Ordinal);
        // Schema monitors first so inhibition sees this tick's state.
        foreach (var monitor in _monitors.OrderBy(m => m.Metric == "schema_violation_rate" ? 0 : 1))
        {
            if (!cache.TryGetValue(monitor.Window.Value, out var windows))
            {
                var current = WindowProfiles.MergeAll(_recent.Where(w => w.Start >= closed.End - monitor.Window.Value));
                var previous = WindowProfiles.MergeAll(_recent.Where(w => w.Start < closed.End - monitor.Window.Value && w.Start >= closed.End - monitor.Window.Value - monitor.Window.Value));
                windows = (current, previous, Drifts(current));
                cache[monitor.Window.Value] = windows;
            }

            foreach (var subject in Subjects(monitor, windows.Current))
            {
                var value = Value(monitor, subject, windows.Current, windows.Previous, windows.Drifts);
                var key = (monitor.Name, subject);
                var before = _status.GetValueOrDefault(key) ?? AlertStatus.Inactive(monitor.Name, subject, monitor.Threshold);
                var after = AlertLifecycle.Step(monitor, before, value, closed.Start, now);
                _status[key] = after;
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
                        Summary(monitor, subject, after.Value, windows.Drifts.GetValueOrDefault(subject)), inhibited,
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

    private Dictionary<string, ProfileDrift> Drifts(WindowProfiles? current)
    {
        var drifts = new Dictionary<string, ProfileDrift>(StringComparer.Ordinal);
        if (current is null)
        {
            return drifts;
        }

        foreach (var (feature, profile) in current.Profiles)
        {
            if (_baseline.TryGetValue(feature, out var baseline) && ProfileDrift.Compare(feature, baseline, profile) is { } drift)
            {
                drifts[feature] = drift;
            }
        }

        return drifts;
    }

    private double? Value(MonitorDefinition monitor, string subject, WindowProfiles? current, WindowProfiles? previous, Dictionary<string, ProfileDrift> drifts)
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
            MonitorComparison.ChangeVsPrevious => previous is null ? null : Metric(monitor.Metric, subject, previous, Drifts(previous)),
            _ => BaselineMetric(monitor.Metric, subject),
        };
        return reference is { } r ? value - r : null;
    }

    private static double? Metric(string metric, string subject, WindowProfiles window, Dictionary<string, ProfileDrift> drifts)
    {
        var profile = window.Profiles.GetValueOrDefault(subject);
        var drift = drifts.GetValueOrDefault(subject);
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

                var tested = drifts.Values.Where(d => d.PValue is not null && !d.Feature.StartsWith('@')).OrderBy(d => d.Feature, StringComparer.Ordinal).ToArray();
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

    private static string Summary(MonitorDefinition monitor, string subject, double value, ProfileDrift? drift)
    {
        var what = subject == "*" ? monitor.Metric : $"{monitor.Metric} of '{subject}'";
        var text = $"{monitor.Name}: {what} = {Format(value)} ({(monitor.Operator == MonitorOperator.Above ? "≥" : "≤")} {Format(monitor.Threshold)})";
        if (drift is { BaselineMedian: { } before, CurrentMedian: { } after })
        {
            text += $"; median {Format(before)} → {Format(after)}, PSI {Format(drift.Psi)}";
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

using Vigil.Profiles;

namespace Vigil.Monitoring;

/// <summary>One alert a backtest would have raised (the JSON of <c>vigil backtest --json</c>).</summary>
public sealed record BacktestAlert(
    string Monitor,
    MonitorLayer Layer,
    string? Feature,
    AlertSeverity Severity,
    DateTimeOffset FirstBadWindowStart,
    DateTimeOffset FiredAt,
    double TimeToDetectSeconds,
    double Value,
    double Threshold,
    string Summary,
    DateTimeOffset? ResolvedAt);

/// <summary>The result of a backtest.</summary>
public sealed record BacktestReport(long Rows, long Windows, DateTimeOffset? From, DateTimeOffset? To, long LateRows, IReadOnlyList<BacktestAlert> Alerts);

/// <summary>
/// Replays timestamped traffic through the server's one-minute windows, profiles and <see cref="MonitorEngine"/> on a
/// virtual clock: the clock is the traffic's timestamps, each window is closed and evaluated at its end, as the
/// evaluator does live. Memory is the monitors' longest window of profiles, whatever the traffic's length. Rows
/// must come in time order; a row older than the open window is counted in <see cref="BacktestReport.LateRows"/> and
/// skipped (the server drops them the same way once a window is closed).
/// </summary>
public sealed class Backtester
{
    private readonly MonitorEngine _engine;
    private readonly List<BacktestAlert> _alerts = [];
    private readonly Dictionary<(string, string), int> _open = [];
    private WindowProfiles? _window;
    private DateTimeOffset? _from;
    private long _rows;
    private long _windows;
    private long _late;

    public Backtester(IReadOnlyList<MonitorDefinition> monitors, IReadOnlyDictionary<string, FeatureProfile> baseline)
    {
        _engine = new MonitorEngine(monitors, baseline);
    }

    /// <summary>The window a row at <paramref name="timestamp"/> folds into (closing and evaluating earlier windows); null for a late row.</summary>
    public WindowProfiles? WindowFor(DateTimeOffset timestamp)
    {
        var start = WindowProfiles.Floor(timestamp, WindowProfiles.BaseLength);
        if (_window is not null && start < _window.Start)
        {
            _late++;
            return null;
        }

        while (_window is not null && start > _window.Start)
        {
            var next = _window.End;
            Close();
            // Minutes without traffic are evaluated too (as empty windows), up to a day of gap at a time.
            _window = start - next > TimeSpan.FromDays(1) ? null : new WindowProfiles(next, WindowProfiles.BaseLength);
        }

        _window ??= new WindowProfiles(start, WindowProfiles.BaseLength);
        _from ??= start;
        _rows++;
        _window.Requests++;
        return _window;
    }

    /// <summary>Closes the last window and returns the report.</summary>
    public BacktestReport Finish()
    {
        var to = _window?.End;
        if (_window is not null)
        {
            Close();
            _window = null;
        }

        return new BacktestReport(_rows, _windows, _from, to, _late, _alerts);
    }

    private void Close()
    {
        var window = _window!;
        _windows++;
        foreach (var e in _engine.Evaluate(window, window.End))
        {
            var key = (e.Monitor, e.Subject);
            if (e.To == AlertState.Firing && !e.Inhibited)
            {
                _open[key] = _alerts.Count;
                _alerts.Add(new BacktestAlert(
                    e.Monitor, e.Layer, e.Subject == "*" ? null : e.Subject, e.Severity, e.FirstBadWindowStart!.Value, e.FiredAt!.Value,
                    e.TimeToDetectSeconds!.Value, e.Value, e.Threshold, e.Summary, null));
            }
            else if (e.To == AlertState.Resolved && _open.Remove(key, out var index))
            {
                _alerts[index] = _alerts[index] with { ResolvedAt = e.At };
            }
        }
    }
}

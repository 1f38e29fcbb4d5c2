using System.Globalization;
using Microsoft.Extensions.Options;
using Vigil.Monitoring;
using Vigil.Monitoring.Layers;
using Vigil.Persistence;
using Vigil.Server.Hosting;

namespace Vigil.Server.Monitoring.Layers;

/// <summary>An alert <c>vigil monitors test</c> found would have fired.</summary>
public sealed record MonitorTestAlert(
    string Monitor,
    MonitorLayer Layer,
    string Subject,
    AlertSeverity Severity,
    DateTimeOffset? FirstBadWindowStart,
    DateTimeOffset FiredAt,
    double? TimeToDetectSeconds,
    double Value,
    double Threshold);

/// <summary>
/// Evaluates each service's performance and business monitors (its monitoring settings' <c>monitors</c>, else
/// <see cref="DefaultLayerMonitors.All"/>) every <see cref="VigilServerOptions.ControllerTick"/> of the server's clock,
/// with the same <see cref="AlertLifecycle"/> as the window engine: performance metrics per (version, arm) over the
/// monitor's window from <see cref="PerformanceLayer"/>, business metrics as the mean (or count) of the service's points
/// in the window. Firing and resolved alerts go to the same webhooks; the layers view shows their state.
/// </summary>
public sealed partial class LayerMonitorEvaluator(
    IVigilStore store,
    PerformanceLayer performance,
    SegmentDrift segments,
    LayerSettingsCache settings,
    AlertPublisher publisher,
    TimeProvider time,
    IOptions<VigilServerOptions> options,
    ILogger<LayerMonitorEvaluator> logger,
    ILeaderElection leader,
    Observability.VigilMetrics? metrics = null) : BackgroundService
{
    private readonly Lock _lock = new();
    private readonly Dictionary<(string Service, string Monitor, string Subject), AlertView> _alerts = [];
    private DateTimeOffset _lastEvaluation = DateTimeOffset.MinValue;

    /// <summary>
    /// How often (server clock) the performance and business monitors are evaluated; default 5 minutes, because they
    /// read the store and move slowly. Segment drift is evaluated every tick. Tests set zero.
    /// </summary>
    public TimeSpan Interval { get; set; } = TimeSpan.FromMinutes(5);
    private readonly Dictionary<string, (bool Performance, bool Business)> _hasData = new(StringComparer.Ordinal);

    /// <summary>The performance and business alerts of a service that are not inactive.</summary>
    public IReadOnlyList<AlertView> Alerts(string service)
    {
        lock (_lock)
        {
            return [.. _alerts.Where(a => a.Key.Service == service && a.Value.Status.State != AlertState.Inactive).Select(a => a.Value)];
        }
    }

    /// <summary>Whether the last tick found performance data (any prediction in a monitor's window) and business points for the service.</summary>
    public (bool Performance, bool Business) HasData(string service)
    {
        lock (_lock)
        {
            return _hasData.GetValueOrDefault(service);
        }
    }

    /// <summary>One evaluation of every service's layer monitors (the loop calls it; tests call it after advancing a fake clock).</summary>
    public async Task TickAsync(CancellationToken ct)
    {
        var now = time.GetUtcNow();
        var end = now.AddMilliseconds(1);
        foreach (var (service, version, subject, value, windowStart) in segments.Evaluate(now))
        {
            await StepAsync(service, version, "*", SegmentDrift.Monitor, subject, value, windowStart, now, ct);
        }

        if (now - _lastEvaluation < Interval)
        {
            return;
        }

        _lastEvaluation = now;

        foreach (var service in await store.ListServicesAsync(ct))
        {
            var values = await ValuesAsync(service.Name, settings.For(service.Name).EffectiveMonitors, now, ct);
            foreach (var v in values)
            {
                await StepAsync(service.Name, v.Version, v.Arm, v.Monitor, v.Subject, v.Value, v.WindowStart, now, ct);
            }

            // The performance layer has data when the service answered in the last day, whatever its monitors read.
            var hasPerformance = (await store.GetArmCountsAsync(
                new Vigil.Predictions.ArmCountsQuery(service.Name, now - TimeSpan.FromDays(1), end, now), ct)).Any(r => r.Version > 0 && r.Requests > 0);
            var hasBusiness = (await store.QueryBusinessMetricsAsync(null, service.Name, now - TimeSpan.FromDays(90), end, 1, ct)).Count > 0;
            lock (_lock)
            {
                _hasData[service.Name] = (hasPerformance, hasBusiness);
            }
        }
    }

    /// <summary>
    /// <c>vigil monitors test</c>: runs <paramref name="monitors"/> over the service's history from <paramref name="from"/>
    /// to <paramref name="to"/> in steps of <paramref name="step"/> with fresh alert states, and returns every alert that
    /// would have fired (nothing is notified or kept).
    /// </summary>
    public async Task<IReadOnlyList<MonitorTestAlert>> TestAsync(string service, IReadOnlyList<MonitorDefinition> monitors, DateTimeOffset from, DateTimeOffset to, TimeSpan step, CancellationToken ct)
    {
        var statuses = new Dictionary<(string Monitor, string Subject), AlertStatus>();
        var fired = new List<MonitorTestAlert>();
        for (var now = from; now <= to; now += step)
        {
            foreach (var v in await ValuesAsync(service, monitors, now, ct))
            {
                var before = statuses.GetValueOrDefault((v.Monitor.Name, v.Subject)) ?? AlertStatus.Inactive(v.Monitor.Name, v.Subject, v.Monitor.Threshold);
                var after = AlertLifecycle.Step(v.Monitor, before, v.Value, v.WindowStart, now);
                statuses[(v.Monitor.Name, v.Subject)] = after;
                if (after.State == AlertState.Firing && before.State != AlertState.Firing)
                {
                    fired.Add(new MonitorTestAlert(v.Monitor.Name, v.Monitor.Layer, v.Subject, v.Monitor.Severity, after.FirstBadWindowStart, now, after.TimeToDetectSeconds, after.Value, v.Monitor.Threshold));
                }
            }
        }

        return fired;
    }

    /// <summary>Each monitor's value per subject at <paramref name="now"/> (performance per version, arm and segment; business per metric).</summary>
    private async Task<List<(MonitorDefinition Monitor, string Subject, int Version, string Arm, double? Value, DateTimeOffset WindowStart)>> ValuesAsync(
        string service, IReadOnlyList<MonitorDefinition> monitors, DateTimeOffset now, CancellationToken ct)
    {
        var end = now.AddMilliseconds(1);
        var cache = new Dictionary<(DateTimeOffset From, DateTimeOffset To, string? Segment), PerformanceView>();
        async Task<PerformanceView> Performance(DateTimeOffset from, DateTimeOffset to, string? segment)
        {
            if (!cache.TryGetValue((from, to, segment), out var view))
            {
                view = await performance.ComputeAsync(service, from, to, segment, ct);
                cache[(from, to, segment)] = view;
            }

            return view;
        }

        var result = new List<(MonitorDefinition, string, int, string, double?, DateTimeOffset)>();
        foreach (var monitor in monitors)
        {
            var window = monitor.Window.Value;
            if (monitor.Layer == MonitorLayer.Performance)
            {
                var (attribute, segmentValue) = SplitSegment(monitor.Segment);
                var current = await Performance(end - window, end, attribute);
                var previous = monitor.Comparison == MonitorComparison.ChangeVsPrevious ? await Performance(end - window - window, end - window, attribute) : null;
                foreach (var group in current.Groups.Where(g => Selected(monitor, g, segmentValue)))
                {
                    var value = Metric(monitor, group);
                    if (previous is not null)
                    {
                        var before = previous.Groups.FirstOrDefault(g => g.Version == group.Version && g.Arm == group.Arm && g.Segment == group.Segment);
                        value = before is null || Metric(monitor, before) is not { } b ? null : value - b;
                    }

                    var subject = (monitor.Feature == MonitorDefinition.AnyFeature ? string.Empty : monitor.Feature + " ")
                        + $"v{group.Version}/{group.Arm}" + (group.Segment is null ? string.Empty : "/" + group.Segment);
                    result.Add((monitor, subject, group.Version, group.Arm, value, end - window));
                }
            }
            else if (monitor.Layer == MonitorLayer.Business)
            {
                var value = await BusinessAsync(monitor, service, end - window, end, ct);
                if (monitor.Comparison == MonitorComparison.ChangeVsPrevious)
                {
                    var before = await BusinessAsync(monitor, service, end - window - window, end - window, ct);
                    value = value is { } v && before is { } b ? v - b : null;
                }

                result.Add((monitor, monitor.Feature, 0, monitor.Arm ?? "*", value, end - window));
            }
        }

        return result;
    }

    private async Task StepAsync(string service, int version, string arm, MonitorDefinition monitor, string subject, double? value, DateTimeOffset windowStart, DateTimeOffset now, CancellationToken ct)
    {
        AlertStatus before, after;
        lock (_lock)
        {
            before = _alerts.GetValueOrDefault((service, monitor.Name, subject))?.Status ?? AlertStatus.Inactive(monitor.Name, subject, monitor.Threshold);
            after = AlertLifecycle.Step(monitor, before, value, windowStart, now);
            var summary = $"{monitor.Name}: {monitor.Metric}{(monitor.Comparison == MonitorComparison.ChangeVsPrevious ? " change vs the previous window" : string.Empty)} of {subject} = "
                + $"{Format(after.Value)} ({(monitor.Operator == MonitorOperator.Above ? "≥" : "≤")} {Format(monitor.Threshold)})";
            var kept = _alerts.GetValueOrDefault((service, monitor.Name, subject));
            _alerts[(service, monitor.Name, subject)] = new AlertView(
                service, version, arm, after, monitor.Severity, monitor.Layer, summary, Inhibited: false,
                StoredAlert.IdOf(service, version, arm, monitor.Name, subject), kept?.Ack, Revision: kept?.Revision ?? 0);
        }

        if (after.State == before.State)
        {
            return;
        }

        var change = new AlertEvent(
            monitor.Name, monitor.Layer, subject, monitor.Severity, before.State, after.State, now, after.FirstBadWindowStart, after.FiredAt,
            after.TimeToDetectSeconds, after.Value, monitor.Threshold, _alerts[(service, monitor.Name, subject)].Summary ?? string.Empty, false,
            monitor.Actions ?? [MonitorAction.Notify]);
        AlertView view;
        lock (_lock)
        {
            view = _alerts[(service, monitor.Name, subject)];
        }

        // Stored like every alert (listed, silenced, acknowledged in /v1/alerts); notified and acted on (a performance
        // monitor's retrain action is the retraining loop's performance trigger) by the replica whose write stored it.
        await publisher.PublishAsync(view, new StreamKey(service, version, arm), change, now, null, written =>
        {
            lock (_lock)
            {
                _alerts[(service, monitor.Name, subject)] = view with { Revision = written.Revision, Ack = written.Ack };
            }
        }, ct);
    }

    private static double? Metric(MonitorDefinition monitor, PerformanceGroup group)
    {
        var name = monitor.Metric == "outcome_rate" ? monitor.Feature : monitor.Metric;
        return group.Metrics.FirstOrDefault(m => m.Name == name && (name != "accuracy" || !m.Estimate))?.Value;
    }

    private static bool Selected(MonitorDefinition monitor, PerformanceGroup group, string? segmentValue) =>
        group.Arm is not (Vigil.Predictions.Arms.Shadow or Vigil.Predictions.Arms.Fallback)
        && (monitor.Arm is null || monitor.Arm == group.Arm)
        && (segmentValue is null || segmentValue == group.Segment);

    private async Task<double?> BusinessAsync(MonitorDefinition monitor, string service, DateTimeOffset from, DateTimeOffset to, CancellationToken ct)
    {
        var (_, segmentValue) = SplitSegment(monitor.Segment);
        var points = (await store.QueryBusinessMetricsAsync(monitor.Feature, service, from, to, LayerEndpoints.MaxBusinessQuery, ct))
            .Where(p => (monitor.Arm is null || p.Arm == monitor.Arm) && (segmentValue is null || p.Segment == segmentValue))
            .ToList();
        return monitor.Metric == "business_count" ? points.Count : points.Count == 0 ? null : points.Average(p => p.Value);
    }

    /// <summary>Splits a monitor's <c>attribute=value</c> segment selector.</summary>
    private static (string? Attribute, string? Value) SplitSegment(string? segment) =>
        segment?.Split('=', 2) is [var attribute, var value] ? (attribute, value) : (null, null);

    private static string Format(double value) =>
        double.IsNaN(value) ? "n/a" : value.ToString(Math.Abs(value) is >= 1e-3 and < 1e7 or 0 ? "#,0.####" : "0.##e+0", CultureInfo.InvariantCulture);

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        ControlLoop.RunAsync(TickAsync, options.Value.ControllerTick, time, ex =>
            {
                metrics?.LoopFailed("layer-evaluator");
                LogLoopFailed(logger, ex);
            }, stoppingToken, leader: leader);

    [LoggerMessage(EventId = 1913, Level = LogLevel.Warning, Message = "The layer monitor evaluator's tick failed; retrying next tick")]
    private static partial void LogLoopFailed(ILogger logger, Exception exception);
}

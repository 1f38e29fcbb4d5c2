using System.Collections.Concurrent;
using System.Globalization;
using Microsoft.Extensions.Options;
using Vigil.Access;
using Vigil.Monitoring;
using Vigil.Persistence;
using Vigil.Pipelines;
using Vigil.Server.Access;
using Vigil.Server.Hosting;
using Vigil.Server.Monitoring;

namespace Vigil.Server.Pipelines;

/// <summary>
/// A stage's alert (docs/pipelines.md, "Stage alerts"): the lifecycle of "the stage's metric is past its threshold",
/// with the reading it was last evaluated on.
/// </summary>
/// <param name="Pipeline">The pipeline.</param>
/// <param name="Stage">The stage.</param>
/// <param name="Metric">The stage's metric, such as <c>ndcg@5</c>.</param>
/// <param name="Threshold">The threshold as declared, such as <c>&gt;= 0.75</c>.</param>
/// <param name="Status">The alert: state, active/fired/resolved times, time to detect; its <c>value</c> is the metric's last known value (0 before the stage has had data).</param>
/// <param name="Value">The metric in the last evaluation's window; null when no judged trace was in it.</param>
/// <param name="Reading">The stage's status in the last evaluation: <c>ok</c>, <c>breached</c> or <c>no-data</c>.</param>
/// <param name="Judged">Judged traces in the last evaluation's window.</param>
/// <param name="From">Start of the last evaluation's window (matured traces only: it ends a judgment window before the evaluation).</param>
/// <param name="To">End of that window.</param>
/// <param name="EvaluatedAt">When the stage was last evaluated.</param>
/// <param name="Summary">One line for people and notifications.</param>
public sealed record StageAlertView(
    string Pipeline,
    string Stage,
    string Metric,
    string Threshold,
    AlertStatus Status,
    double? Value,
    StageStatus Reading,
    long Judged,
    DateTimeOffset From,
    DateTimeOffset To,
    DateTimeOffset EvaluatedAt,
    string Summary);

/// <summary>The stage alerts of <c>GET /v1/pipelines/{pipeline}/alerts</c>: every stage of the pipeline once it has been evaluated.</summary>
public sealed record StageAlertList(string Pipeline, IReadOnlyList<StageAlertView> Stages);

/// <summary>
/// Pipeline stage monitors on the control loop (leader only): every <see cref="EvaluateEvery"/> of the server's clock it
/// reads each declared stage's metric over the stage's window of matured traces —
/// <c>[now − judgment_window − window, now − judgment_window)</c> — through <see cref="PipelineAnalyzer.GetStageMetricAsync"/>
/// and steps the stage's alert with the same pure <see cref="AlertLifecycle.Step"/> as monitors (pending → firing →
/// resolved, the stage's <c>for</c> and <c>keep_firing_for</c>); an alert that starts firing or resolves is POSTed to the
/// server's webhooks in the shapes of <see cref="AlertNotifications"/> (service = the pipeline, arm = <c>pipeline</c>,
/// feature/subject = the stage). Alert states live in this process, like the monitors' alerts.
/// </summary>
public sealed partial class StageMonitor(
    IVigilStore store,
    PipelineAnalyzer analyzer,
    TimeProvider time,
    AlertPublisher publisher,
    IOptions<VigilServerOptions> options,
    ILogger<StageMonitor> logger,
    ILeaderElection leader,
    Observability.VigilMetrics? metrics = null) : BackgroundService
{
    /// <summary>The arm stage alerts carry in <c>/v1/alerts</c> and notifications, to tell them from a service's.</summary>
    public const string Arm = "pipeline";

    private readonly System.Collections.Concurrent.ConcurrentDictionary<(string Pipeline, string Stage), long> _revisions = new();

    /// <summary>The least time (server clock) between two evaluations of one pipeline, each reading every stage's whole window. Default 1 minute.</summary>
    public TimeSpan EvaluateEvery { get; set; } = TimeSpan.FromMinutes(1);

    private readonly ConcurrentDictionary<(string Pipeline, string Stage), (int Index, StageAlertView View)> _alerts = new();
    private readonly ConcurrentDictionary<string, DateTimeOffset> _lastEvaluated = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _tick = new(1, 1);

    /// <summary>The alerts of every stage evaluated so far (of one pipeline when given), in pipeline and stage order.</summary>
    public IReadOnlyList<StageAlertView> Alerts(string? pipeline = null) =>
        [.. _alerts.Values.Where(a => pipeline is null || a.View.Pipeline == pipeline).OrderBy(a => a.View.Pipeline, StringComparer.Ordinal).ThenBy(a => a.Index).Select(a => a.View)];

    /// <summary>The active (pending, firing or resolved) stage alerts in the shape of <c>GET /v1/alerts</c>; <paramref name="service"/> filters by pipeline name.</summary>
    public IEnumerable<AlertView> AlertViews(string? service) =>
        _alerts.Values.Select(a => a.View)
            .Where(a => (service is null || a.Pipeline == service) && a.Status.State != AlertState.Inactive)
            .OrderByDescending(a => a.Status.FiredAt ?? a.Status.ActiveAt)
            .Select(a => new AlertView(a.Pipeline, 0, Arm, a.Status, AlertSeverity.Warning, MonitorLayer.Performance, a.Summary, false, StoredAlert.IdOf(a.Pipeline, 0, Arm, a.Status.Monitor, a.Status.Subject)));

    /// <summary>One pass over the pipelines (the loop calls it on the leader; tests call it after advancing a fake clock).</summary>
    public async Task TickAsync(CancellationToken ct)
    {
        await _tick.WaitAsync(ct);
        try
        {
            var now = time.GetUtcNow();
            var declared = await store.ListPipelinesAsync(ct);
            foreach (var gone in _alerts.Keys.Where(k => declared.All(p => p.Name != k.Pipeline)).ToList())
            {
                _alerts.TryRemove(gone, out _);
            }

            foreach (var stored in declared)
            {
                if (_lastEvaluated.TryGetValue(stored.Name, out var last) && now - last < EvaluateEvery)
                {
                    continue;
                }

                try
                {
                    await EvaluateAsync(stored.Name, now, ct);
                    _lastEvaluated[stored.Name] = now;
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    LogPipelineFailed(logger, stored.Name, ex);
                }
            }
        }
        finally
        {
            _tick.Release();
        }
    }

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        ControlLoop.RunAsync(TickAsync, options.Value.ControllerTick, time, ex =>
            {
                metrics?.LoopFailed("stage-monitor");
                LogLoopFailed(logger, ex);
            }, stoppingToken, leader: leader);

    private async Task EvaluateAsync(string pipeline, DateTimeOffset now, CancellationToken ct)
    {
        var loaded = await analyzer.LoadAsync(pipeline, ct);
        if (!loaded.IsSuccess)
        {
            return;
        }

        var compiled = loaded.Value!;
        var mature = compiled.MatureBefore(now);
        foreach (var removed in _alerts.Keys.Where(k => k.Pipeline == pipeline && compiled.Stage(k.Stage) is null).ToList())
        {
            _alerts.TryRemove(removed, out _);
        }

        foreach (var (stage, index) in compiled.Stages.Select((s, i) => (s, i)))
        {
            _alerts.TryGetValue((pipeline, stage.Name), out var kept);
            var from = mature - stage.Window;
            var read = await analyzer.GetStageMetricAsync(pipeline, stage.Name, from, mature, ct);
            if (!read.IsSuccess)
            {
                continue;
            }

            var reading = read.Value!;
            var monitor = Monitor(pipeline, stage);
            var previous = kept.View?.Status ?? AlertStatus.Inactive(monitor.Name, stage.Name, stage.Threshold.Value);

            // The lifecycle is fed "breached or not" (1/0, null without data), so the stage's own comparison (strict or
            // not, either direction) decides; the status then shows the metric's value.
            double? breached = reading.Status switch
            {
                StageStatus.Breached => 1,
                StageStatus.Ok => 0,
                _ => null,
            };
            var next = AlertLifecycle.Step(monitor, previous, breached, mature, now) with
            {
                Value = reading.Value ?? (double.IsNaN(previous.Value) ? 0 : previous.Value), // JSON has no NaN; 0 until the stage has data
                Threshold = stage.Threshold.Value,
            };
            var view = new StageAlertView(
                pipeline, stage.Name, reading.Metric, reading.Threshold, next, reading.Value, reading.Status, reading.Judged, from, mature, now, Summary(pipeline, reading, next));
            _alerts[(pipeline, stage.Name)] = (index, view);
            if (next.State != previous.State)
            {
                await PublishAsync(view, previous.State, now, ct);
            }
        }
    }

    private static MonitorDefinition Monitor(string pipeline, CompiledStage stage) => new(
        $"{pipeline}.{stage.Name}.{stage.Metric}",
        MonitorLayer.Performance,
        stage.Metric.ToString(),
        Threshold: 1,
        new Duration(stage.Window),
        Operator: MonitorOperator.Above,
        For: new Duration(stage.For),
        KeepFiringFor: new Duration(stage.KeepFiringFor));

    private static string Summary(string pipeline, StageMetricReading reading, AlertStatus status)
    {
        var value = reading.Value is { } v ? v.ToString("0.###", CultureInfo.InvariantCulture) : "no data";
        var state = reading.Status switch
        {
            StageStatus.Breached => $"past its threshold {reading.Threshold}",
            StageStatus.Ok => $"within its threshold {reading.Threshold}",
            _ => "not measurable (no judged trace in the window)",
        };
        var since = status.State == AlertState.Firing && status.FiredAt is { } fired ? $"; firing since {fired:yyyy-MM-dd HH:mm}Z" : string.Empty;
        return $"pipeline {pipeline}: stage {reading.Stage} {reading.Metric} = {value}, {state} ({reading.Judged:N0} judged traces){since}";
    }

    /// <summary>
    /// Stores the stage alert's change like every alert (service = the pipeline, version 0, arm <see cref="Arm"/>), so it is
    /// listed, silenced and acknowledged through /v1/alerts, and notifies the webhooks when it starts firing or resolves.
    /// </summary>
    private async Task PublishAsync(StageAlertView alert, AlertState from, DateTimeOffset now, CancellationToken ct)
    {
        var status = alert.Status;
        var change = new AlertEvent(
            status.Monitor,
            MonitorLayer.Performance,
            alert.Stage,
            AlertSeverity.Warning,
            from,
            status.State,
            now,
            status.FirstBadWindowStart,
            status.FiredAt,
            status.TimeToDetectSeconds,
            status.Value,
            status.Threshold,
            alert.Summary,
            Inhibited: false,
            Actions: []);
        var key = (alert.Pipeline, alert.Stage);
        var id = StoredAlert.IdOf(alert.Pipeline, 0, Arm, status.Monitor, alert.Stage);
        var view = new AlertView(alert.Pipeline, 0, Arm, status, AlertSeverity.Warning, MonitorLayer.Performance, alert.Summary, false, id, Revision: _revisions.GetValueOrDefault(key));
        await publisher.PublishAsync(view, new StreamKey(alert.Pipeline, 0, Arm), change, now, null, stored => _revisions[key] = stored.Revision, ct);
    }

    [LoggerMessage(EventId = 1953, Level = LogLevel.Warning, Message = "Pipeline {Pipeline}'s stages could not be evaluated this tick")]
    private static partial void LogPipelineFailed(ILogger logger, string pipeline, Exception exception);

    [LoggerMessage(EventId = 1954, Level = LogLevel.Warning, Message = "The stage monitor's tick failed; retrying next tick")]
    private static partial void LogLoopFailed(ILogger logger, Exception exception);
}

/// <summary>Registers the stage monitor loop and maps <c>GET /v1/pipelines/{pipeline}/alerts</c>.</summary>
public static class StageMonitorExtensions
{
    public static IServiceCollection AddVigilStageMonitor(this IServiceCollection services)
    {
        services.AddSingleton<StageMonitor>();
        services.AddHostedService(sp => sp.GetRequiredService<StageMonitor>());
        return services;
    }

    public static IEndpointRouteBuilder MapStageAlertEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/v1/pipelines/{pipeline}/alerts", async (string pipeline, IVigilStore store, StageMonitor monitor, CancellationToken ct) =>
                await store.GetPipelineAsync(pipeline, ct) is null
                    ? Api.Problems.From(PipelineAnalyzer.UnknownPipeline(pipeline))
                    : Results.Json(new StageAlertList(pipeline, monitor.Alerts(pipeline)), VigilJson.Options))
            .RequireScope(ApiScopes.Read).WithTags("Pipelines").Produces<StageAlertList>().ProducesProblem(404);
        return app;
    }
}

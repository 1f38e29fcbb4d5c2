using Microsoft.Extensions.Options;
using Vigil.Monitoring;
using Vigil.Persistence;
using Vigil.Retraining;
using Vigil.Server.Hosting;

namespace Vigil.Server.Monitoring;

/// <summary>
/// The monitoring control loop: every <see cref="VigilServerOptions.ControllerTick"/> of the server's clock it closes the
/// one-minute windows that have ended, stores their summaries (rolled up to hours and days), evaluates the monitors and
/// stores each alert change compare-and-set: only the replica whose write stored a transition acts on it. An alert that
/// starts firing or resolves (not inhibited, not silenced) is POSTed to the configured webhooks in the shape
/// <see cref="AlertNotifications"/> picks per URL; one that starts firing runs its monitor's <c>rollback</c> (aborts the
/// service's active release) and <c>retrain</c> (<see cref="IRetrainTrigger"/>) actions as <c>vigil:monitors</c>.
/// At start it loads the store's baselines, last day of windows and alerts.
/// </summary>
public sealed partial class MonitorEvaluator(
    LiveMonitoring monitoring,
    IVigilStore store,
    AlertPublisher publisher,
    TimeProvider time,
    IOptions<VigilServerOptions> options,
    ILogger<MonitorEvaluator> logger,
    Observability.VigilMetrics? metrics = null) : BackgroundService
{
    /// <summary>The actor of what monitors do (release aborts, retraining triggers).</summary>
    public const string Actor = AlertPublisher.Actor;

    private DateTimeOffset _lastPrune = DateTimeOffset.MinValue;

    /// <summary>Loads the store's baselines, the last day of minute windows and the alerts into <see cref="LiveMonitoring"/>.</summary>
    public async Task LoadAsync(CancellationToken ct)
    {
        var now = time.GetUtcNow();
        var baselines = await store.ListBaselinesAsync(ct);
        var alerts = await store.ListAlertsAsync(null, includeInactive: false, ct);
        var history = new List<(StreamKey, WindowSummary)>();
        foreach (var service in await store.ListServicesAsync(ct))
        {
            foreach (var window in await store.ListWindowsAsync(service.Name, null, WindowResolution.Minute, now.AddDays(-1), 10 * LiveMonitoring.HistoryWindows, ct))
            {
                history.Add((new StreamKey(window.Service, window.Version, window.Arm), VigilJson.Deserialize<WindowSummary>(window.Summary)!));
            }
        }

        monitoring.Load(baselines, history, alerts, now);
    }

    /// <summary>One evaluation (the loop calls it; tests call it after advancing a fake clock).</summary>
    public async Task TickAsync(CancellationToken ct)
    {
        var now = time.GetUtcNow();
        var changes = monitoring.Evaluate(now);
        var closed = monitoring.TakeClosedWindows();
        if (closed.Count > 0)
        {
            await store.AddWindowsAsync(
                [.. closed.Select(c => new StoredWindow(c.Stream.Service, c.Stream.Version, c.Stream.Arm, WindowResolution.Minute, c.Window.Start, VigilJson.Serialize(c.Window)))],
                WindowRollup.Combine,
                ct);
        }

        if (now - _lastPrune >= TimeSpan.FromHours(1))
        {
            _lastPrune = now;
            await store.PruneWindowsAsync(now, ct);
        }

        if (changes.Count == 0)
        {
            return;
        }

        var silences = await store.ListSilencesAsync(false, now, ct);
        foreach (var (stream, change) in changes)
        {
            await publisher.PublishAsync(monitoring.Alert(stream, change.Monitor, change.Subject), stream, change, now, silences, monitoring.Stored, ct);
        }
    }

    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        try
        {
            await LoadAsync(cancellationToken);
        }
        catch (Exception ex) when (ex is Storage.StoreException or System.Data.Common.DbException or InvalidOperationException)
        {
            // A store that is down at start must not keep the server from starting (its health says why); monitoring starts empty.
            LogLoadFailed(logger, ex);
        }

        await base.StartAsync(cancellationToken);
    }

    protected override Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Every replica, not only the leader: each closes and stores the windows of the traffic it served (a follower that did
        // not would keep them open forever), and alert writes are compare-and-set, so one replica acts per transition.
        return ControlLoop.RunAsync(TickAsync, options.Value.ControllerTick, time, ex =>
            {
                metrics?.LoopFailed("monitor-evaluator");
                LogLoopFailed(logger, ex);
            }, stoppingToken);
    }

    [LoggerMessage(EventId = 1503, Level = LogLevel.Warning, Message = "The monitor evaluator's tick failed; retrying next tick")]
    private static partial void LogLoopFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 1509, Level = LogLevel.Warning, Message = "Monitoring could not load its baselines, history and alerts from the store; it starts empty")]
    private static partial void LogLoadFailed(ILogger logger, Exception exception);
}

/// <summary>Registers live monitoring: the collector the recorder folds into, and the evaluator loop.</summary>
public static class MonitoringServiceCollectionExtensions
{
    public static IServiceCollection AddVigilMonitoring(this IServiceCollection services)
    {
        services.AddSingleton<FoldErrors>();
        services.AddSingleton<LiveMonitoring>();
        services.AddSingleton<AlertPublisher>();
        services.AddSingleton<MonitorEvaluator>();
        services.AddHostedService(sp => sp.GetRequiredService<MonitorEvaluator>());
        return services;
    }
}

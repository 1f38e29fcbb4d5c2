using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;
using Vigil.Audit;
using Vigil.Monitoring;
using Vigil.Releases;
using Vigil.Retraining;
using Vigil.Server.Hosting;
using Vigil.Server.Releases;

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
    IServiceProvider services,
    TimeProvider time,
    IHttpClientFactory clients,
    IOptions<VigilServerOptions> options,
    ILogger<MonitorEvaluator> logger) : BackgroundService
{
    /// <summary>The actor of what monitors do (release aborts, retraining triggers).</summary>
    public const string Actor = "vigil:monitors";

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
            if (!await PersistAsync(stream, change, now, ct))
            {
                continue; // another replica stored (and acts on) this transition
            }

            if (change.Inhibited || change.To is not (AlertState.Firing or AlertState.Resolved))
            {
                continue;
            }

            if (silences.FirstOrDefault(s => s.Matches(stream.Service, change.Monitor, change.Subject, now)) is { } silence)
            {
                LogSilenced(logger, change.To.ToString(), stream.Service, silence.Id, change.Summary);
                continue;
            }

            LogAlert(logger, change.To.ToString(), stream.Service, change.Summary);
            await NotifyAsync(stream, change, ct);
            if (change.To == AlertState.Firing)
            {
                await ActAsync(stream, change, ct);
            }
        }
    }

    /// <summary>Stores the alert's new status compare-and-set; false when another replica stored the same transition first.</summary>
    private async Task<bool> PersistAsync(StreamKey stream, AlertEvent change, DateTimeOffset now, CancellationToken ct)
    {
        var view = monitoring.Alert(stream, change.Monitor, change.Subject);
        if (view is null)
        {
            return true;
        }

        var written = await store.PutAlertAsync(view.ToStored(now), view.Revision, ct);
        if (written.IsSuccess)
        {
            monitoring.Stored(written.Value!);
            return true;
        }

        if (written.Failure!.Kind != FailureKind.Conflict)
        {
            LogStoreFailed(logger, view.Id, written.Failure.Message);
            return true;
        }

        var current = await store.GetAlertAsync(view.Id, ct);
        if (current is not null && current.Status.State == change.To)
        {
            monitoring.Stored(current);
            return false;
        }

        written = await store.PutAlertAsync(view.ToStored(now), current?.Revision ?? 0, ct);
        if (written.IsSuccess)
        {
            monitoring.Stored(written.Value!);
            return true;
        }

        return false;
    }

    private async Task NotifyAsync(StreamKey stream, AlertEvent change, CancellationToken ct)
    {
        foreach (var url in options.Value.Webhooks)
        {
            try
            {
                using var client = clients.CreateClient(ReleaseNotifier.ClientName);
                var (target, content) = AlertNotifications.Create(url, stream, change);
                using (content)
                using (var response = await client.PostAsync(target, content, ct))
                {
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or UriFormatException)
            {
                LogWebhookFailed(logger, url, ex.Message);
            }
        }
    }

    /// <summary>Runs the monitor's <c>rollback</c> and <c>retrain</c> actions for an alert that started firing.</summary>
    private async Task ActAsync(StreamKey stream, AlertEvent change, CancellationToken ct)
    {
        var value = Format(change.Value);
        var reason = $"alert {change.Monitor} on {(change.Subject == "*" ? "the service" : $"'{change.Subject}'")} fired for {stream.Service} v{stream.Version} ({stream.Arm}): value {value}, threshold {Format(change.Threshold)}";
        if (change.Actions.Contains(MonitorAction.Rollback))
        {
            var releases = services.GetService<ReleaseService>();
            var active = (await store.ListReleasesAsync(stream.Service, activeOnly: true, ct)).FirstOrDefault();
            if (releases is null || active is null)
            {
                LogNoRelease(logger, stream.Service, change.Monitor);
            }
            else
            {
                var aborted = await releases.CommandAsync(active.Id, ReleaseCommandKind.Abort, new AuditContext(Actor, time.GetUtcNow(), reason), ct);
                if (aborted.IsSuccess)
                {
                    LogRolledBack(logger, active.Id, stream.Service, change.Monitor);
                }
                else
                {
                    LogActionFailed(logger, "rollback", stream.Service, aborted.Failure!.Message);
                }
            }
        }

        if (change.Actions.Contains(MonitorAction.Retrain) && services.GetService<IRetrainTrigger>() is { } trigger)
        {
            var evidence = new JsonObject
            {
                ["alert_id"] = StoredAlert.IdOf(stream.Service, stream.Version, stream.Arm, change.Monitor, change.Subject),
                ["monitor"] = change.Monitor,
                ["subject"] = change.Subject,
                ["layer"] = change.Layer.ToString().ToLowerInvariant(),
                ["version"] = stream.Version,
                ["arm"] = stream.Arm,
                ["value"] = double.IsFinite(change.Value) ? change.Value : null,
                ["threshold"] = change.Threshold,
                ["detected_at"] = (change.FiredAt ?? change.At).ToString("O", CultureInfo.InvariantCulture),
                ["first_bad_window_start"] = change.FirstBadWindowStart?.ToString("O", CultureInfo.InvariantCulture),
                ["time_to_detect_seconds"] = change.TimeToDetectSeconds,
                ["summary"] = change.Summary,
            };
            try
            {
                await trigger.TriggerAsync(new RetrainCause(stream.Service, "performance", reason, Actor, evidence), ct);
            }
            catch (Exception ex) when (ex is InvalidOperationException or Storage.StoreException)
            {
                LogActionFailed(logger, "retrain", stream.Service, ex.Message);
            }
        }
    }

    private static string Format(double value) =>
        double.IsNaN(value) ? "n/a" : value.ToString(Math.Abs(value) is >= 1e-3 and < 1e7 or 0 ? "#,0.###" : "0.##e+0", CultureInfo.InvariantCulture);

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
        return ControlLoop.RunAsync(TickAsync, options.Value.ControllerTick, time, ex => LogLoopFailed(logger, ex), stoppingToken);
    }

    [LoggerMessage(EventId = 1501, Level = LogLevel.Information, Message = "Alert {State} for {Service}: {Summary}")]
    private static partial void LogAlert(ILogger logger, string state, string service, string summary);

    [LoggerMessage(EventId = 1502, Level = LogLevel.Warning, Message = "Webhook {Url} did not take an alert: {Reason}")]
    private static partial void LogWebhookFailed(ILogger logger, string url, string reason);

    [LoggerMessage(EventId = 1503, Level = LogLevel.Warning, Message = "The monitor evaluator's tick failed; retrying next tick")]
    private static partial void LogLoopFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 1504, Level = LogLevel.Information, Message = "Alert {State} for {Service} is silenced by {Silence}: {Summary}")]
    private static partial void LogSilenced(ILogger logger, string state, string service, string silence, string summary);

    [LoggerMessage(EventId = 1505, Level = LogLevel.Warning, Message = "Alert {Monitor} of {Service} asks for a rollback, but the service has no active release")]
    private static partial void LogNoRelease(ILogger logger, string service, string monitor);

    [LoggerMessage(EventId = 1506, Level = LogLevel.Warning, Message = "Aborted release {Release} of {Service}: alert {Monitor} fired")]
    private static partial void LogRolledBack(ILogger logger, string release, string service, string monitor);

    [LoggerMessage(EventId = 1507, Level = LogLevel.Warning, Message = "The {Action} action for {Service} failed: {Reason}")]
    private static partial void LogActionFailed(ILogger logger, string action, string service, string reason);

    [LoggerMessage(EventId = 1509, Level = LogLevel.Warning, Message = "Monitoring could not load its baselines, history and alerts from the store; it starts empty")]
    private static partial void LogLoadFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 1508, Level = LogLevel.Warning, Message = "Alert {Alert} could not be stored: {Reason}")]
    private static partial void LogStoreFailed(ILogger logger, string alert, string reason);
}

/// <summary>Registers live monitoring: the collector the recorder folds into, and the evaluator loop.</summary>
public static class MonitoringServiceCollectionExtensions
{
    public static IServiceCollection AddVigilMonitoring(this IServiceCollection services)
    {
        services.AddSingleton<LiveMonitoring>();
        services.AddSingleton<MonitorEvaluator>();
        services.AddHostedService(sp => sp.GetRequiredService<MonitorEvaluator>());
        return services;
    }
}

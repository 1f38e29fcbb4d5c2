using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;
using Vigil.Audit;
using Vigil.Monitoring;
using Vigil.Persistence;
using Vigil.Releases;
using Vigil.Retraining;
using Vigil.Server.Hosting;
using Vigil.Server.Releases;

namespace Vigil.Server.Monitoring;

/// <summary>
/// Where an alert's change becomes its effects, for every kind of monitor — the window monitors of
/// <see cref="MonitorEvaluator"/>, the performance and business monitors, the pipelines' stage alerts: the new status is
/// stored compare-and-set (so only the replica whose write stored a transition acts on it, and every alert is listed,
/// silenced and acknowledged the same way); an alert that starts firing or resolves, and is neither inhibited nor
/// silenced, is POSTed to the configured webhooks in the shape <see cref="AlertNotifications"/> picks per URL; one that
/// starts firing runs its monitor's <c>rollback</c> (aborts the service's active release) and <c>retrain</c>
/// (<see cref="IRetrainTrigger"/>) actions as <see cref="Actor"/>.
/// </summary>
public sealed partial class AlertPublisher(
    IVigilStore store,
    IServiceProvider services,
    TimeProvider time,
    IHttpClientFactory clients,
    IOptions<VigilServerOptions> options,
    ILogger<AlertPublisher> logger)
{
    /// <summary>The actor of what monitors do (release aborts, retraining triggers).</summary>
    public const string Actor = "vigil:monitors";

    /// <summary>
    /// Stores <paramref name="view"/> (null: nothing to store) and, when this replica's write stored the transition,
    /// notifies and acts on <paramref name="change"/>. <paramref name="stored"/> receives the stored alert (with its new
    /// revision). <paramref name="silences"/> are those in force, read once per tick by the caller (null: read here).
    /// </summary>
    public async Task PublishAsync(
        AlertView? view,
        StreamKey stream,
        AlertEvent change,
        DateTimeOffset now,
        IReadOnlyList<Silence>? silences,
        Action<StoredAlert>? stored,
        CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(change);
        if (view is not null && !await StoreAsync(view, change.To, now, stored, ct))
        {
            return; // another replica stored (and acts on) this transition
        }

        if (change.Inhibited || change.To is not (AlertState.Firing or AlertState.Resolved))
        {
            return;
        }

        silences ??= await store.ListSilencesAsync(false, now, ct);
        if (silences.FirstOrDefault(s => s.Matches(stream.Service, change.Monitor, change.Subject, now)) is { } silence)
        {
            LogSilenced(logger, change.To.ToString(), stream.Service, silence.Id, change.Summary);
            return;
        }

        LogAlert(logger, change.To.ToString(), stream.Service, change.Summary);
        await NotifyAsync(stream, change, ct);
        if (change.To == AlertState.Firing)
        {
            await ActAsync(stream, change, ct);
        }
    }

    /// <summary>Stores the alert's new status compare-and-set; false when another replica stored the same transition first.</summary>
    private async Task<bool> StoreAsync(AlertView view, AlertState to, DateTimeOffset now, Action<StoredAlert>? stored, CancellationToken ct)
    {
        var written = await store.PutAlertAsync(view.ToStored(now), view.Revision, ct);
        if (written.IsSuccess)
        {
            stored?.Invoke(written.Value!);
            return true;
        }

        if (written.Failure!.Kind != FailureKind.Conflict)
        {
            LogStoreFailed(logger, view.Id, written.Failure.Message);
            return true; // the store is failing: better a notification than silence
        }

        var current = await store.GetAlertAsync(view.Id, ct);
        if (current is not null && current.Status.State == to)
        {
            stored?.Invoke(current);
            return false;
        }

        // Our revision was stale (a restart, an ack) but nobody stored this transition: store it over the current one.
        written = await store.PutAlertAsync(view.ToStored(now), current?.Revision ?? 0, ct);
        if (written.IsSuccess)
        {
            stored?.Invoke(written.Value!);
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

    [LoggerMessage(EventId = 1501, Level = LogLevel.Information, Message = "Alert {State} for {Service}: {Summary}")]
    private static partial void LogAlert(ILogger logger, string state, string service, string summary);

    [LoggerMessage(EventId = 1502, Level = LogLevel.Warning, Message = "Webhook {Url} did not take an alert: {Reason}")]
    private static partial void LogWebhookFailed(ILogger logger, string url, string reason);

    [LoggerMessage(EventId = 1504, Level = LogLevel.Information, Message = "Alert {State} for {Service} is silenced by {Silence}: {Summary}")]
    private static partial void LogSilenced(ILogger logger, string state, string service, string silence, string summary);

    [LoggerMessage(EventId = 1505, Level = LogLevel.Warning, Message = "Alert {Monitor} of {Service} asks for a rollback, but the service has no active release")]
    private static partial void LogNoRelease(ILogger logger, string service, string monitor);

    [LoggerMessage(EventId = 1506, Level = LogLevel.Warning, Message = "Aborted release {Release} of {Service}: alert {Monitor} fired")]
    private static partial void LogRolledBack(ILogger logger, string release, string service, string monitor);

    [LoggerMessage(EventId = 1507, Level = LogLevel.Warning, Message = "The {Action} action for {Service} failed: {Reason}")]
    private static partial void LogActionFailed(ILogger logger, string action, string service, string reason);

    [LoggerMessage(EventId = 1508, Level = LogLevel.Warning, Message = "Alert {Alert} could not be stored: {Reason}")]
    private static partial void LogStoreFailed(ILogger logger, string alert, string reason);
}

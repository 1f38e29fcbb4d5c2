using System.Globalization;
using System.Text.Json.Nodes;
using Vigil.Monitoring;

namespace Vigil.Server.Monitoring;

/// <summary>
/// The body an alert change is sent with, chosen by the webhook URL: a URL whose path ends in <c>/api/v2/alerts</c>
/// is a Prometheus Alertmanager (a list of alerts with labels, annotations, <c>startsAt</c> and, once resolved,
/// <c>endsAt</c>); a URL on <c>hooks.slack.com</c>, or one written <c>slack+https://…</c>, gets a Slack-compatible
/// <c>{"text": …}</c>; any other URL the generic JSON <c>{"kind": "alert", "service", "version", "arm", "alert"}</c>.
/// </summary>
public static class AlertNotifications
{
    /// <summary>The URL to POST to and the body for <paramref name="change"/>.</summary>
    public static (Uri Url, HttpContent Content) Create(string url, StreamKey stream, AlertEvent change)
    {
        ArgumentNullException.ThrowIfNull(url);
        ArgumentNullException.ThrowIfNull(change);
        if (url.StartsWith("slack+", StringComparison.OrdinalIgnoreCase))
        {
            return (new Uri(url["slack+".Length..]), Slack(stream, change));
        }

        var uri = new Uri(url);
        if (uri.Host.Equals("hooks.slack.com", StringComparison.OrdinalIgnoreCase))
        {
            return (uri, Slack(stream, change));
        }

        if (uri.AbsolutePath.EndsWith("/api/v2/alerts", StringComparison.Ordinal))
        {
            return (uri, JsonContent.Create(Alertmanager(stream, change)));
        }

        return (uri, JsonContent.Create(new { kind = "alert", service = stream.Service, version = stream.Version, arm = stream.Arm, alert = change }, options: VigilJson.Options));
    }

    /// <summary>Alertmanager's v2 API body: one alert, identified by its labels.</summary>
    public static JsonArray Alertmanager(StreamKey stream, AlertEvent change)
    {
        ArgumentNullException.ThrowIfNull(change);
        var labels = new JsonObject
        {
            ["alertname"] = change.Monitor,
            ["service"] = stream.Service,
            ["version"] = stream.Version.ToString(CultureInfo.InvariantCulture),
            ["arm"] = stream.Arm,
            ["layer"] = change.Layer.ToString().ToLowerInvariant(),
            ["severity"] = change.Severity.ToString().ToLowerInvariant(),
        };
        if (change.Subject != "*")
        {
            labels["feature"] = change.Subject;
        }

        var alert = new JsonObject
        {
            ["labels"] = labels,
            ["annotations"] = new JsonObject
            {
                ["summary"] = change.Summary,
                ["time_to_detect_seconds"] = change.TimeToDetectSeconds?.ToString(CultureInfo.InvariantCulture) ?? string.Empty,
                ["first_bad_window_start"] = change.FirstBadWindowStart?.ToString("O", CultureInfo.InvariantCulture) ?? string.Empty,
            },
            ["startsAt"] = (change.FiredAt ?? change.At).ToString("O", CultureInfo.InvariantCulture),
        };
        if (change.To == AlertState.Resolved)
        {
            alert["endsAt"] = change.At.ToString("O", CultureInfo.InvariantCulture);
        }

        return [alert];
    }

    private static JsonContent Slack(StreamKey stream, AlertEvent change)
    {
        var icon = change.To == AlertState.Resolved ? ":white_check_mark: resolved" : $":rotating_light: {change.Severity.ToString().ToLowerInvariant()}";
        var detect = change.TimeToDetectSeconds is { } t && change.To == AlertState.Firing ? $" (detected in {TimeSpan.FromSeconds(t)})" : string.Empty;
        return JsonContent.Create(new JsonObject { ["text"] = $"{icon} {stream.Service} v{stream.Version} ({stream.Arm}): {change.Summary}{detect}" });
    }
}

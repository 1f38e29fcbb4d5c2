using System.Text.Json;
using Vigil.Server.Observability;

namespace Vigil.Server.Monitoring;

/// <summary>
/// Values the monitoring fold could not take, counted (<c>vigil_monitoring_fold_errors_total{vigil_service, vigil_reason}</c>
/// and <c>recorder.fold_errors</c> in <c>GET /v1/status</c>) and logged once per (service, feature, reason). A fold error
/// costs only that value's (at worst that record's) contribution to the window's profiles: never the batch, never the
/// write (records are written before they are folded), never the process (docs/monitoring.md, "When a value cannot be folded").
/// Thread-safe.
/// </summary>
public sealed partial class FoldErrors
{
    /// <summary>A string value or a feature name that is not valid Unicode (an escaped lone surrogate such as <c>"\ud800"</c>).</summary>
    public const string InvalidText = "invalid_text";

    /// <summary>A record's inputs, outputs or attributes that are not a JSON document.</summary>
    public const string InvalidJson = "invalid_json";

    /// <summary>Anything else the fold threw: a bug in Vigil, logged with its exception.</summary>
    public const string Unexpected = "unexpected";

    /// <summary>At most this many (service, feature, reason) triples are logged; later ones are only counted.</summary>
    public const int MaxLogged = 1_000;

    private readonly VigilMetrics? _metrics;
    private readonly ILogger _logger;
    private readonly Lock _lock = new();
    private readonly HashSet<(string Service, string Feature, string Reason)> _logged = [];
    private long _total;

    /// <summary>Counts into <paramref name="metrics"/> and logs to <paramref name="logger"/>.</summary>
    public FoldErrors(VigilMetrics? metrics, ILogger<FoldErrors> logger)
    {
        ArgumentNullException.ThrowIfNull(logger);
        _metrics = metrics;
        _logger = logger;
    }

    /// <summary>Fold errors since start.</summary>
    public long Total => Interlocked.Read(ref _total);

    /// <summary>Counts one value of <paramref name="feature"/> (of <paramref name="service"/>) that could not be folded, for <paramref name="reason"/>.</summary>
    public void Count(string service, string feature, string reason, Exception? exception = null)
    {
        Interlocked.Increment(ref _total);
        _metrics?.FoldError(service, reason);
        bool log;
        bool full;
        lock (_lock)
        {
            log = _logged.Count < MaxLogged && _logged.Add((service, feature, reason));
            full = log && _logged.Count == MaxLogged;
        }

        if (log)
        {
            LogFoldError(_logger, service, Shown(feature), reason, exception);
        }

        if (full)
        {
            LogNoMore(_logger, MaxLogged);
        }
    }

    /// <summary>
    /// A JSON string's text, or null (and false) when it is not valid Unicode: <see cref="JsonElement.GetString"/> throws on
    /// an escaped lone surrogate, which is valid JSON.
    /// </summary>
    public static bool TryGetString(JsonElement value, out string? text)
    {
        try
        {
            text = value.GetString();
            return true;
        }
        catch (InvalidOperationException)
        {
            text = null;
            return false;
        }
    }

    /// <summary>A property's name, or false when it is not valid Unicode.</summary>
    public static bool TryGetName(JsonProperty property, out string name)
    {
        try
        {
            name = property.Name;
            return true;
        }
        catch (InvalidOperationException)
        {
            name = "(invalid name)";
            return false;
        }
    }

    /// <summary>A client-supplied name as a log shows it: at most 64 characters, control characters escaped.</summary>
    internal static string Shown(string name)
    {
        var shown = name.Length <= 64 ? name : string.Concat(name.AsSpan(0, 64), "…");
        return shown.Any(char.IsControl) ? string.Concat(shown.Select(c => char.IsControl(c) ? "\\u" + ((int)c).ToString("x4", System.Globalization.CultureInfo.InvariantCulture) : c.ToString())) : shown;
    }

    [LoggerMessage(EventId = 1210, Level = LogLevel.Warning, Message = "Monitoring could not fold a value of feature '{Feature}' of service '{Service}' ({Reason}); that value is left out of the window's profiles and counted in vigil_monitoring_fold_errors_total. Logged once per service, feature and reason")]
    private static partial void LogFoldError(ILogger logger, string service, string feature, string reason, Exception? exception);

    [LoggerMessage(EventId = 1211, Level = LogLevel.Warning, Message = "{Count} different fold errors were logged; further ones are only counted (vigil_monitoring_fold_errors_total)")]
    private static partial void LogNoMore(ILogger logger, int count);
}

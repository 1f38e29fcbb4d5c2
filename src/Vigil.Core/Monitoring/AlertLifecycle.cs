using System.Text.Json.Serialization;

namespace Vigil.Monitoring;

/// <summary>The states of an alert, as Prometheus defines them (plus inactive for "never or no longer pending").</summary>
public enum AlertState
{
    [JsonStringEnumMemberName("inactive")]
    Inactive,

    [JsonStringEnumMemberName("pending")]
    Pending,

    [JsonStringEnumMemberName("firing")]
    Firing,

    [JsonStringEnumMemberName("resolved")]
    Resolved,
}

/// <summary>
/// One alert of one monitor for one subject (a feature, or the whole service). <see cref="FirstBadWindowStart"/> is the
/// start of the first window in which the condition held in this episode; time to detect is
/// <see cref="FiredAt"/> − <see cref="FirstBadWindowStart"/>.
/// </summary>
public sealed record AlertStatus(
    string Monitor,
    string Subject,
    AlertState State,
    DateTimeOffset? ActiveAt,
    DateTimeOffset? FirstBadWindowStart,
    DateTimeOffset? FiredAt,
    DateTimeOffset? LastHeldAt,
    DateTimeOffset? ResolvedAt,
    double Value,
    double Threshold)
{
    /// <summary>Seconds from the start of the first bad window to firing; null until it fires.</summary>
    public double? TimeToDetectSeconds => FiredAt is { } fired && FirstBadWindowStart is { } first ? (fired - first).TotalSeconds : null;

    public static AlertStatus Inactive(string monitor, string subject, double threshold) =>
        new(monitor, subject, AlertState.Inactive, null, null, null, null, null, double.NaN, threshold);
}

/// <summary>
/// The pure alert lifecycle: a function of the monitor, this evaluation's value, the previous status and now. Used by
/// the server's evaluator and by <c>vigil backtest</c>, so both fire at the same moments.
/// <list type="bullet">
/// <item>condition holds, inactive or resolved → pending (active since now; first bad window remembered), or straight to
/// firing when <c>for</c> is zero;</item>
/// <item>condition holds, pending for at least <c>for</c> → firing;</item>
/// <item>condition does not hold: pending → inactive; firing → stays firing until <c>keep_firing_for</c> has passed since it
/// last held, then resolved.</item>
/// </list>
/// A missing value (no data in the window) counts as "does not hold".
/// </summary>
public static class AlertLifecycle
{
    public static AlertStatus Step(MonitorDefinition monitor, AlertStatus previous, double? value, DateTimeOffset windowStart, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(monitor);
        ArgumentNullException.ThrowIfNull(previous);
        var holds = value is { } v && !double.IsNaN(v) && monitor.Holds(v);
        var shown = value ?? previous.Value;
        if (holds)
        {
            switch (previous.State)
            {
                case AlertState.Inactive or AlertState.Resolved:
                    var pending = previous with
                    {
                        State = AlertState.Pending,
                        ActiveAt = now,
                        FirstBadWindowStart = windowStart,
                        FiredAt = null,
                        ResolvedAt = null,
                        LastHeldAt = now,
                        Value = shown,
                    };
                    return (monitor.For?.Value ?? TimeSpan.Zero) <= TimeSpan.Zero ? pending with { State = AlertState.Firing, FiredAt = now } : pending;
                case AlertState.Pending:
                    var next = previous with { LastHeldAt = now, Value = shown };
                    return now - previous.ActiveAt!.Value >= (monitor.For?.Value ?? TimeSpan.Zero) ? next with { State = AlertState.Firing, FiredAt = now } : next;
                default:
                    return previous with { LastHeldAt = now, Value = shown };
            }
        }

        return previous.State switch
        {
            AlertState.Pending => previous with { State = AlertState.Inactive, ActiveAt = null, FirstBadWindowStart = null, Value = shown },
            AlertState.Firing when now - previous.LastHeldAt!.Value < (monitor.KeepFiringFor?.Value ?? TimeSpan.Zero) => previous with { Value = shown },
            AlertState.Firing => previous with { State = AlertState.Resolved, ResolvedAt = now, Value = shown },
            _ => previous with { Value = shown },
        };
    }
}

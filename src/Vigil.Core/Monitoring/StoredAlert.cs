using System.Security.Cryptography;
using System.Text;

namespace Vigil.Monitoring;

/// <summary>Who acknowledged an alert's current episode, when and why. A new episode (pending again) clears it.</summary>
public sealed record AlertAck(string By, DateTimeOffset At, string Reason);

/// <summary>
/// An alert as the store keeps it: one row per (service, version, arm, monitor, subject), its lifecycle status, the
/// last summary and an acknowledgement. <see cref="Revision"/> counts the evaluator's writes: a write names the revision
/// it read, so of two replicas that see the same transition only one stores it (and only that one notifies).
/// </summary>
public sealed record StoredAlert(
    string Id,
    string Service,
    int Version,
    string Arm,
    AlertStatus Status,
    AlertSeverity Severity,
    MonitorLayer Layer,
    string? Summary,
    bool Inhibited,
    AlertAck? Ack,
    long Revision,
    DateTimeOffset UpdatedAt)
{
    /// <summary>The stable id of an alert: 16 hex digits of the SHA-256 of its key, the same on every replica and across restarts.</summary>
    public static string IdOf(string service, int version, string arm, string monitor, string subject)
    {
        var key = string.Join('\u001f', service, version.ToString(System.Globalization.CultureInfo.InvariantCulture), arm, monitor, subject);
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)))[..16];
    }
}

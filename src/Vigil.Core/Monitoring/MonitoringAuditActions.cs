namespace Vigil.Monitoring;

/// <summary>The audit actions of monitoring's control-plane changes.</summary>
public static class MonitoringAuditActions
{
    public const string BaselineSet = "baseline.set";
    public const string AlertAcked = "alert.acked";
    public const string SilenceCreated = "silence.created";
    public const string SilenceExpired = "silence.expired";
}

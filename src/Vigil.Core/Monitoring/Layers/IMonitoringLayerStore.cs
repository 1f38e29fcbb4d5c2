using Vigil.Audit;

namespace Vigil.Monitoring.Layers;

/// <summary>The monitoring layers' part of the store (docs/monitoring.md): per-service settings, business metrics, scored predictions.</summary>
public interface IMonitoringLayerStore
{
    /// <summary>The service's monitoring settings; null when never set (then <see cref="MonitoringSettings.Default"/> applies).</summary>
    Task<StoredMonitoringSettings?> GetMonitoringSettingsAsync(string service, CancellationToken cancellationToken);

    /// <summary>Every service's stored monitoring settings.</summary>
    Task<IReadOnlyList<StoredMonitoringSettings>> ListMonitoringSettingsAsync(CancellationToken cancellationToken);

    /// <summary>Replaces a service's monitoring settings (audited as <c>monitoring.settings-set</c>); NotFound for an unknown service.</summary>
    Task<Result<StoredMonitoringSettings>> PutMonitoringSettingsAsync(string service, MonitoringSettings settings, AuditContext who, CancellationToken cancellationToken);

    /// <summary>Appends a batch of business-metric points in one transaction: all or none (NotFound names a tagged service that does not exist).</summary>
    Task<Result<int>> AppendBusinessMetricsAsync(IReadOnlyList<BusinessMetricPoint> points, CancellationToken cancellationToken);

    /// <summary>
    /// Answered predictions of <paramref name="service"/> in [from, to), newest first, at most <paramref name="limit"/>, each
    /// with its <c>label</c> outcome when one has arrived (the performance layer's labelled metrics and estimates).
    /// </summary>
    Task<IReadOnlyList<ScoredPrediction>> GetScoredPredictionsAsync(string service, DateTimeOffset from, DateTimeOffset to, int limit, CancellationToken cancellationToken);

    /// <summary>Points of <paramref name="name"/> (every name when null), optionally of one service, in [from, to), oldest first, at most <paramref name="limit"/>.</summary>
    Task<IReadOnlyList<BusinessMetricPoint>> QueryBusinessMetricsAsync(string? name, string? service, DateTimeOffset? from, DateTimeOffset? to, int limit, CancellationToken cancellationToken);
}

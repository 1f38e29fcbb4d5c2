namespace Vigil.Predictions;

/// <summary>Aggregates of the prediction log the release controller and the dashboard read: counts per version, arm, segment and time bucket.</summary>
public interface ITrafficReadModel
{
    /// <summary>Per (version, arm) counts of the service's predictions at or after <paramref name="since"/> (all when null), with their joined outcomes.</summary>
    Task<IReadOnlyList<TrafficSummary>> GetTrafficAsync(string service, DateTimeOffset? since, CancellationToken cancellationToken);

    /// <summary>Per (version, arm, segment) counts of a service's predictions in a window, with their matured outcomes (the release controller's input).</summary>
    Task<IReadOnlyList<ArmWindowCounts>> GetArmCountsAsync(ArmCountsQuery query, CancellationToken cancellationToken);

    /// <summary>
    /// Per (time bucket, version, arm) counts of a service's predictions in the query's window, oldest bucket first, then
    /// by version and arm. Buckets without predictions are left out.
    /// </summary>
    Task<IReadOnlyList<TrafficBucket>> GetTrafficSeriesAsync(TrafficSeriesQuery query, CancellationToken cancellationToken);
}

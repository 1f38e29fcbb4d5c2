using Vigil.Predictions;

namespace Vigil;

public partial interface IVigilStore
{
    /// <summary>
    /// Per (time bucket, version, arm) counts of a service's predictions in the query's window, oldest bucket first, then
    /// by version and arm. Buckets without predictions are left out.
    /// </summary>
    Task<IReadOnlyList<TrafficBucket>> GetTrafficSeriesAsync(TrafficSeriesQuery query, CancellationToken cancellationToken);
}

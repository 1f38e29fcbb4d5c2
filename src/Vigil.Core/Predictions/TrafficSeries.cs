namespace Vigil.Predictions;

/// <summary>What <see cref="ITrafficReadModel.GetTrafficSeriesAsync"/> reads: a service's predictions in [<paramref name="From"/>, <paramref name="To"/>) cut into <paramref name="Buckets"/> equal buckets.</summary>
public sealed record TrafficSeriesQuery(string Service, DateTimeOffset From, DateTimeOffset To, int Buckets)
{
    /// <summary>The most buckets one query may ask for.</summary>
    public const int MaxBuckets = 240;

    /// <summary>The width of one bucket.</summary>
    public TimeSpan BucketWidth => (To - From) / Buckets;

    /// <summary>The start of bucket <paramref name="index"/>.</summary>
    public DateTimeOffset BucketStart(int index) => From + (BucketWidth * index);
}

/// <summary>Counts of one (version, arm) in one time bucket: requests, errors and latency.</summary>
/// <param name="Start">The start of the bucket (inclusive); it ends where the next one starts.</param>
/// <param name="Version">The model version that answered.</param>
/// <param name="Arm">champion, canary, shadow or fallback.</param>
/// <param name="Requests">Predictions recorded.</param>
/// <param name="Errors">Of which failed.</param>
/// <param name="MeanLatencyMs">Mean backend latency.</param>
/// <param name="MaxLatencyMs">Highest backend latency.</param>
public sealed record TrafficBucket(DateTimeOffset Start, int Version, string Arm, long Requests, long Errors, double MeanLatencyMs, double MaxLatencyMs)
{
    /// <summary>Errors over requests (0 when there were none).</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public double ErrorRate => Requests == 0 ? 0 : Errors / (double)Requests;
}

using System.Globalization;
using System.Text;
using Vigil.Predictions;

namespace Vigil.Storage;

public abstract partial class SqlStore
{
    /// <inheritdoc />
    public async Task<IReadOnlyList<TrafficBucket>> GetTrafficSeriesAsync(TrafficSeriesQuery query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        if (query.Buckets is < 1 or > TrafficSeriesQuery.MaxBuckets)
        {
            throw new ArgumentOutOfRangeException(nameof(query), $"buckets must be between 1 and {TrafficSeriesQuery.MaxBuckets}");
        }

        if (query.To <= query.From)
        {
            throw new ArgumentOutOfRangeException(nameof(query), "the window must end after it starts");
        }

        // The bucket is found by comparing against its boundaries (parameters), so the same SQL works on both databases
        // whatever their timestamp representation; the (service, at) index bounds the scan.
        var parameters = new List<(string, object?)> { ("service", query.Service), ("from", ToDb(query.From)), ("to", ToDb(query.To)) };
        var bucket = new StringBuilder("CASE");
        for (var i = 1; i < query.Buckets; i++)
        {
            var name = "b" + i.ToString(CultureInfo.InvariantCulture);
            bucket.Append(CultureInfo.InvariantCulture, $" WHEN p.at < @{name} THEN {i - 1}");
            parameters.Add((name, ToDb(query.BucketStart(i))));
        }

        bucket.Append(CultureInfo.InvariantCulture, $" ELSE {query.Buckets - 1} END");
        var rows = await QueryAsync(
            $"""
            SELECT {bucket}, p.version, p.arm, COUNT(*), COUNT(p.error), AVG(p.latency_ms), MAX(p.latency_ms)
            FROM predictions p
            WHERE p.service = @service AND p.at >= @from AND p.at < @to
            GROUP BY 1, 2, 3
            """,
            reader => new TrafficBucket(
                query.BucketStart(Convert.ToInt32(reader.GetValue(0), CultureInfo.InvariantCulture)),
                reader.GetInt32(1),
                reader.GetString(2),
                reader.GetInt64(3),
                reader.GetInt64(4),
                reader.GetDouble(5),
                reader.GetDouble(6)),
            cancellationToken,
            [.. parameters]);
        return [.. rows.OrderBy(r => r.Start).ThenBy(r => r.Version).ThenBy(r => r.Arm, StringComparer.Ordinal)];
    }
}

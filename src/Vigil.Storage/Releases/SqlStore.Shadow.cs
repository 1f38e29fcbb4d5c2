using Vigil.Releases;

namespace Vigil.Storage;

public abstract partial class SqlStore
{
    /// <inheritdoc />
    public async Task<IReadOnlyList<ShadowPair>> GetShadowPairsAsync(ShadowPairsQuery query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        return await QueryAsync(
            """
            SELECT c.outputs, c.latency_ms, s.outputs, s.latency_ms, s.error
            FROM predictions s
            JOIN predictions c ON c.request_id = s.shadow_of
            WHERE s.service = @service AND s.arm = 'shadow' AND s.version = @version AND s.at >= @from AND s.at < @to
            ORDER BY s.at DESC
            LIMIT @limit
            """,
            reader => new ShadowPair(
                NullableString(reader, 0),
                reader.GetDouble(1),
                NullableString(reader, 2),
                reader.GetDouble(3),
                NullableString(reader, 4)),
            cancellationToken,
            ("service", query.Service),
            ("version", query.Challenger),
            ("from", ToDb(query.From)),
            ("to", ToDb(query.To)),
            ("limit", Math.Max(1, query.Limit)));
    }
}

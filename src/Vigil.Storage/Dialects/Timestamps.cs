namespace Vigil.Storage.Dialects;

/// <summary>
/// Both stores keep time to the microsecond, in UTC (PostgreSQL's <c>timestamptz</c> resolution; SQLite stores unix
/// microseconds). Values handed back by the store are normalized the same way, so what a write returns equals what a read returns.
/// </summary>
internal static class Timestamps
{
    private const long TicksPerMicrosecond = TimeSpan.TicksPerMillisecond / 1_000;

    /// <summary>The instant in UTC, truncated to the microsecond.</summary>
    public static DateTimeOffset Normalize(DateTimeOffset value) => Instants.ToMicroseconds(value);

    /// <summary>Microseconds since 1970-01-01T00:00:00Z (SQLite's representation).</summary>
    public static long ToUnixMicroseconds(DateTimeOffset value) =>
        (Normalize(value).UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) / TicksPerMicrosecond;

    /// <summary>The inverse of <see cref="ToUnixMicroseconds"/>.</summary>
    public static DateTimeOffset FromUnixMicroseconds(long microseconds) =>
        DateTimeOffset.UnixEpoch.AddTicks(microseconds * TicksPerMicrosecond);
}

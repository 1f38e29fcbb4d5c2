namespace Vigil;

/// <summary>Time arithmetic every area shares. Time itself always comes from an injected <see cref="TimeProvider"/>.</summary>
public static class Instants
{
    private const long TicksPerMicrosecond = TimeSpan.TicksPerMillisecond / 1_000;

    /// <summary>The instant in UTC, truncated to the microsecond: the resolution both stores keep.</summary>
    public static DateTimeOffset ToMicroseconds(DateTimeOffset value) =>
        new(value.UtcTicks - (value.UtcTicks % TicksPerMicrosecond), TimeSpan.Zero);

    /// <summary>The start of the <paramref name="length"/>-long window (aligned to the unix epoch, in UTC) that holds <paramref name="time"/>.</summary>
    public static DateTimeOffset Floor(DateTimeOffset time, TimeSpan length) =>
        new(time.UtcTicks - (time.UtcTicks % length.Ticks), TimeSpan.Zero);
}

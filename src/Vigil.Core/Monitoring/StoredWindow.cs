using System.Text.Json.Serialization;

namespace Vigil.Monitoring;

/// <summary>The resolutions window summaries are kept at (docs/monitoring.md, retention).</summary>
public enum WindowResolution
{
    [JsonStringEnumMemberName("minute")]
    Minute,

    [JsonStringEnumMemberName("hour")]
    Hour,

    [JsonStringEnumMemberName("day")]
    Day,
}

/// <summary>
/// A closed window's summary as the store keeps it: the server's JSON of one (service, version, arm) window at one
/// resolution. The store does not read the JSON; the caller gives it the function that combines two summaries.
/// </summary>
public sealed record StoredWindow(string Service, int Version, string Arm, WindowResolution Resolution, DateTimeOffset Start, string Summary)
{
    /// <summary>The length of a window at <paramref name="resolution"/>.</summary>
    public static TimeSpan LengthOf(WindowResolution resolution) => resolution switch
    {
        WindowResolution.Minute => TimeSpan.FromMinutes(1),
        WindowResolution.Hour => TimeSpan.FromHours(1),
        _ => TimeSpan.FromDays(1),
    };

    /// <summary>How long windows of <paramref name="resolution"/> are kept: minutes 7 days, hours 90 days, days 2 years.</summary>
    public static TimeSpan RetentionOf(WindowResolution resolution) => resolution switch
    {
        WindowResolution.Minute => TimeSpan.FromDays(7),
        WindowResolution.Hour => TimeSpan.FromDays(90),
        _ => TimeSpan.FromDays(730),
    };
}

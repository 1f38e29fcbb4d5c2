namespace Vigil.Routing.Flags;

/// <summary>A flag segment as the store keeps it: a reusable, named list of conditions, as JSON the store does not interpret.</summary>
/// <param name="Key">Unique key (a DNS label); rules name it in <c>segments</c>.</param>
/// <param name="Service">The service it is meant for, or null for every service.</param>
/// <param name="Definition">JSON of the <see cref="Flags.Segment"/>.</param>
/// <param name="Revision">Increases with every update (optimistic concurrency).</param>
/// <param name="UpdatedAt">When it last changed.</param>
public sealed record StoredSegment(string Key, string? Service, string Definition, long Revision, DateTimeOffset UpdatedAt);

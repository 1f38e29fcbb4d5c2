namespace Vigil.Routing.Flags;

/// <summary>A feature flag as the store keeps it: the definition is a JSON document the store does not interpret.</summary>
/// <param name="Key">Unique key (also the bucketing salt).</param>
/// <param name="Service">The service it belongs to, when it is a service or release flag.</param>
/// <param name="Definition">JSON of the flag definition.</param>
/// <param name="Revision">Increases with every update (optimistic concurrency).</param>
/// <param name="UpdatedAt">When it last changed.</param>
public sealed record StoredFlag(string Key, string? Service, string Definition, long Revision, DateTimeOffset UpdatedAt);

namespace Vigil.Registry;

/// <summary>A version's baseline as the store keeps it: a profile per feature, how many rows it came from and where from.</summary>
public sealed record StoredBaseline(
    string Service,
    int Version,
    long Rows,
    string Source,
    IReadOnlyDictionary<string, Profiles.FeatureProfile> Profiles,
    DateTimeOffset CreatedAt,
    string CreatedBy);

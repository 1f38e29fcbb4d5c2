namespace Vigil.Routing.Flags;

/// <summary>A reusable, named group of requests: those for which every condition holds. Rules reference it by key.</summary>
/// <param name="Key">A DNS label, unique among the segments a flag can see.</param>
/// <param name="Conditions">The conditions, all of which must hold (at least one).</param>
/// <param name="Description">Free text for people.</param>
public sealed record Segment(string Key, IReadOnlyList<Condition> Conditions, string? Description = null);

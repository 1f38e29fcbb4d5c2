namespace Vigil.Routing.Flags;

/// <summary>
/// One targeting rule of a flag: it matches a request when every condition holds and the request is in every
/// referenced segment (AND). Rules are tried in order and the first match decides, so rules that all serve
/// <c>true</c> (the default) are ORed.
/// </summary>
/// <param name="Conditions">Conditions on request attributes, all of which must hold.</param>
/// <param name="Segments">Keys of segments the request must be in, all of them.</param>
/// <param name="Value">The value a match serves: true (the default), or false to exclude the matched requests.</param>
public sealed record TargetingRule(
    IReadOnlyList<Condition>? Conditions = null,
    IReadOnlyList<string>? Segments = null,
    bool Value = true);

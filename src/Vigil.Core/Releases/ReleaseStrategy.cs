namespace Vigil.Releases;

/// <summary>How a release brings its challenger to users (docs/releases.md).</summary>
public enum ReleaseStrategy
{
    /// <summary>Shadow phase only: the challenger sees copies of requests, users never see its answers; a person promotes or aborts at the end.</summary>
    Shadow,

    /// <summary>One or more canary steps (optionally after a shadow phase), then promotion.</summary>
    Canary,

    /// <summary>A gradual rollout over at least two rising steps (optionally after a shadow phase), then promotion.</summary>
    Progressive,
}

/// <summary>What a trigger or promotion criterion compares the challenger with.</summary>
public enum TriggerCompare
{
    /// <summary>A fixed threshold (<c>max</c> or <c>min</c>).</summary>
    Absolute,

    /// <summary>The control: champion traffic of the same window and segments (<c>max_drop</c>, <c>max_increase</c>, <c>non_inferior_margin</c>).</summary>
    Control,
}

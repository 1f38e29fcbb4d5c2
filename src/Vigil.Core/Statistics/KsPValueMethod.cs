namespace Vigil.Statistics;

/// <summary>How a Kolmogorov–Smirnov p-value was computed.</summary>
public enum KsPValueMethod
{
    /// <summary>Exactly, by counting lattice paths (when n·m ≤ <see cref="KolmogorovSmirnov.ExactMaxProduct"/>).</summary>
    Exact,

    /// <summary>From the limiting Kolmogorov distribution with Stephens' correction.</summary>
    Asymptotic,
}

namespace Vigil.Statistics;

/// <summary>The kind of values a column holds, which decides the statistics computed for it.</summary>
public enum DriftColumnType
{
    /// <summary>Finite numbers: PSI and Jensen–Shannon over decile bins, Kolmogorov–Smirnov, Wasserstein.</summary>
    Numeric,

    /// <summary>Categories (any text): PSI and Jensen–Shannon over the union of categories, chi-squared.</summary>
    Categorical,
}

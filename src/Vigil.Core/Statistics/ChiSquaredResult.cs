namespace Vigil.Statistics;

/// <summary>The outcome of a chi-squared test.</summary>
/// <param name="Statistic">Σ (observed − expected)² / expected.</param>
/// <param name="DegreesOfFreedom">K − 1 for a 2×K table.</param>
/// <param name="PValue">P(χ²(dof) ≥ statistic); 1 when there are no degrees of freedom.</param>
public readonly record struct ChiSquaredResult(double Statistic, int DegreesOfFreedom, double PValue);

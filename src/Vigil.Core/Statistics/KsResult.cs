namespace Vigil.Statistics;

/// <summary>The outcome of a two-sample Kolmogorov–Smirnov test.</summary>
/// <param name="Statistic">D, the largest distance between the two empirical distribution functions, in [0, 1].</param>
/// <param name="PValue">The two-sided p-value.</param>
/// <param name="Method">How <paramref name="PValue"/> was computed.</param>
public readonly record struct KsResult(double Statistic, double PValue, KsPValueMethod Method);

namespace Vigil.Statistics;

/// <summary>
/// The first Wasserstein (earth mover's) distance between two samples: the area between their empirical distribution
/// functions, <c>∫ |U(x) − V(x)| dx</c>, as <c>scipy.stats.wasserstein_distance(u, v)</c>. Also reported divided by
/// <c>max(σ_baseline, 0.001)</c>, σ the population standard deviation (ddof 0), so columns on different scales compare.
/// </summary>
public static class Wasserstein
{
    /// <summary>The floor of the divisor in <see cref="Normalized"/>, so a constant baseline does not divide by zero.</summary>
    public const double MinimumScale = 0.001;

    /// <summary>The distance between two samples, each sorted ascending and non-empty. Runs in O(n + m) without allocating.</summary>
    public static double Distance(ReadOnlySpan<double> sortedU, ReadOnlySpan<double> sortedV)
    {
        if (sortedU.IsEmpty || sortedV.IsEmpty)
        {
            throw new ArgumentException("Both samples need at least one value.", nameof(sortedU));
        }

        double n = sortedU.Length, m = sortedV.Length;
        int i = 0, j = 0;
        var previous = Math.Min(sortedU[0], sortedV[0]);
        double sum = 0, compensation = 0;
        while (i < sortedU.Length || j < sortedV.Length)
        {
            // The next point where either distribution function steps.
            var x = j >= sortedV.Length || (i < sortedU.Length && sortedU[i] <= sortedV[j]) ? sortedU[i] : sortedV[j];
            var term = Math.Abs((i / n) - (j / m)) * (x - previous);

            // Neumaier's compensated sum: the terms are non-negative, so the result is within an ulp or two of exact.
            var t = sum + term;
            compensation += Math.Abs(sum) >= Math.Abs(term) ? (sum - t) + term : (term - t) + sum;
            sum = t;
            previous = x;
            while (i < sortedU.Length && sortedU[i] == x)
            {
                i++;
            }

            while (j < sortedV.Length && sortedV[j] == x)
            {
                j++;
            }
        }

        return sum + compensation;
    }

    /// <summary>The population standard deviation (ddof 0) of <paramref name="values"/>, in two passes.</summary>
    public static double PopulationStandardDeviation(ReadOnlySpan<double> values)
    {
        if (values.IsEmpty)
        {
            throw new ArgumentException("A standard deviation needs at least one value.", nameof(values));
        }

        var mean = 0.0;
        foreach (var value in values)
        {
            mean += value;
        }

        mean /= values.Length;
        var squares = 0.0;
        foreach (var value in values)
        {
            var d = value - mean;
            squares += d * d;
        }

        return Math.Sqrt(squares / values.Length);
    }

    /// <summary><paramref name="distance"/> divided by <c>max(baselineStandardDeviation, 0.001)</c>.</summary>
    public static double Normalized(double distance, double baselineStandardDeviation) =>
        distance / Math.Max(baselineStandardDeviation, MinimumScale);
}

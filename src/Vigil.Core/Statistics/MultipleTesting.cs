namespace Vigil.Statistics;

/// <summary>Adjusted p-values for a family of tests: compare each adjusted value with α.</summary>
public static class MultipleTesting
{
    /// <summary>Adjusts <paramref name="pValues"/> with <paramref name="correction"/>; the result is in the input's order.</summary>
    public static double[] Adjust(ReadOnlySpan<double> pValues, MultipleTestingCorrection correction) => correction switch
    {
        MultipleTestingCorrection.BenjaminiHochberg => BenjaminiHochberg(pValues),
        MultipleTestingCorrection.Bonferroni => Bonferroni(pValues),
        MultipleTestingCorrection.None => pValues.ToArray(),
        _ => throw new ArgumentOutOfRangeException(nameof(correction), correction, "Unknown correction."),
    };

    /// <summary>
    /// Benjamini–Hochberg adjusted p-values (as <c>scipy.stats.false_discovery_control(ps, method="bh")</c>): with the
    /// p-values sorted ascending, p₍ᵢ₎·(m / i), made monotone by a running minimum from the largest down, capped at 1.
    /// </summary>
    public static double[] BenjaminiHochberg(ReadOnlySpan<double> pValues)
    {
        Validate(pValues);
        var m = pValues.Length;
        var order = new int[m];
        for (var i = 0; i < m; i++)
        {
            order[i] = i;
        }

        var sorted = pValues.ToArray();
        Array.Sort(sorted, order);
        var adjusted = new double[m];
        var running = double.PositiveInfinity;
        for (var rank = m; rank >= 1; rank--)
        {
            running = Math.Min(running, sorted[rank - 1] * ((double)m / rank));
            adjusted[order[rank - 1]] = Math.Min(running, 1.0);
        }

        return adjusted;
    }

    /// <summary>Bonferroni adjusted p-values: min(1, p·m).</summary>
    public static double[] Bonferroni(ReadOnlySpan<double> pValues)
    {
        Validate(pValues);
        var adjusted = new double[pValues.Length];
        for (var i = 0; i < pValues.Length; i++)
        {
            adjusted[i] = Math.Min(1.0, pValues[i] * pValues.Length);
        }

        return adjusted;
    }

    private static void Validate(ReadOnlySpan<double> pValues)
    {
        foreach (var p in pValues)
        {
            if (!(p is >= 0 and <= 1))
            {
                throw new ArgumentOutOfRangeException(nameof(pValues), p, "A p-value must be between 0 and 1.");
            }
        }
    }
}

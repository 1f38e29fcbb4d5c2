namespace Vigil.Statistics;

/// <summary>
/// The Jensen–Shannon distance between two distributions over the same bins, base 2 (so between 0 and 1), without
/// smoothing: <c>sqrt((KL(p‖m) + KL(q‖m)) / 2)</c> with <c>m = (p + q) / 2</c> and <c>0·log 0 = 0</c>. It matches
/// <c>scipy.spatial.distance.jensenshannon(p, q, base=2)</c>, computed in the same order.
/// </summary>
public static class JensenShannon
{
    /// <summary>The distance between the distributions given by bin counts; both spans have one entry per bin and a positive total.</summary>
    public static double Distance(ReadOnlySpan<long> baseline, ReadOnlySpan<long> current)
    {
        var (baselineTotal, currentTotal) = Psi.Totals(baseline, current);
        var k = baseline.Length;
        var buffer = k <= 256 ? stackalloc double[2 * k] : new double[2 * k];
        var left = buffer[..k];
        var right = buffer[k..];
        for (var i = 0; i < k; i++)
        {
            var p = baseline[i] / baselineTotal;
            var q = current[i] / currentTotal;
            var m = (p + q) / 2.0;
            left[i] = RelativeEntropy(p, m);
            right[i] = RelativeEntropy(q, m);
        }

        var divergence = (NumpySum.Sum(left) + NumpySum.Sum(right)) / Math.Log(2.0);

        // Rounding can leave a divergence of identical distributions a hair below zero.
        return Math.Sqrt(Math.Max(divergence, 0.0) / 2.0);
    }

    /// <summary>The elementwise term <c>x·ln(x / y)</c>, 0 when x is 0 (scipy.special.rel_entr for x, y ≥ 0, y &gt; 0 when x &gt; 0).</summary>
    private static double RelativeEntropy(double x, double y) => x > 0 ? x * Math.Log(x / y) : 0.0;
}

using Vigil.Profiles;
using Vigil.Statistics;

namespace Vigil.Monitoring;

/// <summary>How one window's profile of a feature differs from the baseline's profile, computed from the sketches alone.</summary>
/// <param name="Feature">The feature.</param>
/// <param name="Psi">Population stability index over the baseline's deciles (numeric) or the frequent items (categorical).</param>
/// <param name="JsDistance">Jensen–Shannon distance (base 2) over the same bins.</param>
/// <param name="KsStatistic">Two-sample KS statistic estimated from the two KLL sketches (numeric only).</param>
/// <param name="KsPValue">Asymptotic KS p-value with the effective sample size n·m/(n+m) (numeric only).</param>
/// <param name="WassersteinNormalized">Wasserstein-1 distance from 99 quantiles, divided by the baseline's standard deviation (numeric only).</param>
/// <param name="Chi2PValue">Chi-squared homogeneity p-value over the frequent items (categorical only).</param>
/// <param name="BaselineMedian">The baseline's median (numeric only).</param>
/// <param name="CurrentMedian">The window's median (numeric only).</param>
/// <param name="BaselineNullRate">Nulls / count in the baseline.</param>
/// <param name="CurrentNullRate">Nulls / count in the window.</param>
public sealed record ProfileDrift(
    string Feature,
    double Psi,
    double JsDistance,
    double? KsStatistic,
    double? KsPValue,
    double? WassersteinNormalized,
    double? Chi2PValue,
    double? BaselineMedian,
    double? CurrentMedian,
    double BaselineNullRate,
    double CurrentNullRate)
{
    /// <summary>The p-value of the feature's default test (KS for numbers, chi-squared for categories).</summary>
    public double? PValue => KsPValue ?? Chi2PValue;

    /// <summary>
    /// Compares <paramref name="current"/> with <paramref name="baseline"/> (same kind); null when either has no valid
    /// value. Numeric bins are the baseline sketch's deciles, as <see cref="NumericBins"/> does on raw data.
    /// </summary>
    public static ProfileDrift? Compare(string feature, FeatureProfile baseline, FeatureProfile current)
    {
        ArgumentNullException.ThrowIfNull(baseline);
        ArgumentNullException.ThrowIfNull(current);
        if (baseline.Kind != current.Kind || baseline.ValidCount == 0 || current.ValidCount == 0)
        {
            return null;
        }

        return baseline.Kind == ProfileKind.Numeric ? Numeric(feature, baseline, current) : Categorical(feature, baseline, current);
    }

    private static ProfileDrift Numeric(string feature, FeatureProfile baseline, FeatureProfile current)
    {
        var b = baseline.Quantiles!.GetSortedView();
        var c = current.Quantiles!.GetSortedView();
        var edges = new List<double>(NumericBins.Count - 1);
        for (var i = 1; i < NumericBins.Count; i++)
        {
            var edge = b.GetQuantile(i / (double)NumericBins.Count);
            if (edges.Count == 0 || edge > edges[^1])
            {
                edges.Add(edge);
            }
        }

        var countsB = Counts(b.GetPmf(edges.ToArray()), baseline.ValidCount);
        var countsC = Counts(c.GetPmf(edges.ToArray()), current.ValidCount);

        // KS from the sketches: the largest CDF gap at every retained item of either sketch.
        var d = 0.0;
        foreach (var x in b.Items)
        {
            d = Math.Max(d, Math.Abs(b.GetRank(x) - c.GetRank(x)));
        }

        foreach (var x in c.Items)
        {
            d = Math.Max(d, Math.Abs(b.GetRank(x) - c.GetRank(x)));
        }

        double n = baseline.ValidCount, m = current.ValidCount;
        var effective = Math.Sqrt(n * m / (n + m));
        var p = SpecialFunctions.KolmogorovSurvival((effective + 0.12 + (0.11 / effective)) * d);

        // Wasserstein-1 as the mean gap between the two quantile functions on a 1% grid.
        var gap = 0.0;
        for (var i = 1; i < 100; i++)
        {
            gap += Math.Abs(b.GetQuantile(i / 100.0) - c.GetQuantile(i / 100.0));
        }

        var sd = Math.Sqrt(baseline.Moments.Variance);
        return new ProfileDrift(
            feature,
            Statistics.Psi.FromCounts(countsB, countsC),
            JensenShannon.Distance(countsB, countsC),
            d,
            Math.Clamp(p, 0, 1),
            Wasserstein.Normalized(gap / 99, sd),
            null,
            b.GetQuantile(0.5),
            c.GetQuantile(0.5),
            baseline.NullRate,
            current.NullRate);
    }

    private static ProfileDrift Categorical(string feature, FeatureProfile baseline, FeatureProfile current)
    {
        var topB = baseline.FrequentItems!.GetTop();
        var topC = current.FrequentItems!.GetTop();
        var keys = topB.Select(i => i.Item).Union(topC.Select(i => i.Item), StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();
        // One extra bin holds what the sketches did not keep, so shares add up to one on both sides.
        var countsB = new long[keys.Length + 1];
        var countsC = new long[keys.Length + 1];
        for (var i = 0; i < keys.Length; i++)
        {
            countsB[i] = baseline.FrequentItems.GetLowerBound(keys[i]);
            countsC[i] = current.FrequentItems.GetLowerBound(keys[i]);
        }

        countsB[^1] = baseline.ValidCount - countsB.Sum();
        countsC[^1] = current.ValidCount - countsC.Sum();
        var keep = Enumerable.Range(0, countsB.Length).Where(i => countsB[i] + countsC[i] > 0).ToArray();
        var chi2 = ChiSquared.Homogeneity(keep.Select(i => countsB[i]).ToArray(), keep.Select(i => countsC[i]).ToArray());
        return new ProfileDrift(
            feature,
            Statistics.Psi.FromCounts(countsB, countsC),
            JensenShannon.Distance(countsB, countsC),
            null,
            null,
            null,
            chi2.PValue,
            null,
            null,
            baseline.NullRate,
            current.NullRate);
    }

    private static long[] Counts(double[] pmf, long total)
    {
        var counts = new long[pmf.Length];
        for (var i = 0; i < pmf.Length; i++)
        {
            counts[i] = (long)Math.Round(pmf[i] * total);
        }

        return counts;
    }
}

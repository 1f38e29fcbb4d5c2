namespace Vigil.Profiles;

/// <summary>
/// A KLL sketch's retained items in ascending order with their cumulative weights: the weighted sample that every rank
/// and quantile query reads, and that drift statistics (Kolmogorov–Smirnov, Wasserstein) can walk directly.
/// Immutable.
/// </summary>
public sealed class KllSortedView
{
    private readonly double[] _items;
    private readonly long[] _cumulativeWeights;

    internal KllSortedView(double[] items, long[] cumulativeWeights, double min, double max)
    {
        _items = items;
        _cumulativeWeights = cumulativeWeights;
        Min = min;
        Max = max;
    }

    /// <summary>The retained items, ascending.</summary>
    public ReadOnlySpan<double> Items => _items;

    /// <summary>Element i: the total weight of items 0..i (the last is <see cref="TotalWeight"/>).</summary>
    public ReadOnlySpan<long> CumulativeWeights => _cumulativeWeights;

    /// <summary>The number of values the sketch stands for.</summary>
    public long TotalWeight => _cumulativeWeights[^1];

    /// <summary>The exact minimum.</summary>
    public double Min { get; }

    /// <summary>The exact maximum.</summary>
    public double Max { get; }

    /// <summary>The estimated share of values ≤ <paramref name="value"/>.</summary>
    public double GetRank(double value)
    {
        if (double.IsNaN(value))
        {
            throw new ArgumentException("The rank of NaN is not defined.", nameof(value));
        }

        var count = CountAtMost(value);
        return count == 0 ? 0 : (double)_cumulativeWeights[count - 1] / TotalWeight;
    }

    /// <summary>The smallest item whose inclusive normalized rank is ≥ q; q = 0 is the min, q = 1 the max.</summary>
    public double GetQuantile(double q)
    {
        if (!(q >= 0 && q <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(q), q, "A quantile's rank lies in [0, 1].");
        }

        if (q == 0)
        {
            return Min;
        }

        if (q == 1)
        {
            return Max;
        }

        var natural = q * TotalWeight;
        // q · n may land a hair above an integer through rounding (0.3 · 10 = 3.0000000000000004): snap to it.
        var rounded = Math.Round(natural);
        var target = Math.Abs(natural - rounded) <= 1e-9 * Math.Max(1, natural) ? (long)rounded : (long)Math.Ceiling(natural);
        var index = Array.BinarySearch(_cumulativeWeights, target);
        if (index < 0)
        {
            index = ~index;
        }

        return index >= _items.Length ? Max : _items[index];
    }

    /// <summary>The normalized ranks of strictly increasing split points, followed by 1.</summary>
    public double[] GetCdf(ReadOnlySpan<double> splitPoints)
    {
        ValidateSplitPoints(splitPoints);
        var cdf = new double[splitPoints.Length + 1];
        for (var i = 0; i < splitPoints.Length; i++)
        {
            cdf[i] = GetRank(splitPoints[i]);
        }

        cdf[^1] = 1;
        return cdf;
    }

    /// <summary>The masses of the bins (−∞, s0], (s0, s1], …, (s_last, +∞).</summary>
    public double[] GetPmf(ReadOnlySpan<double> splitPoints)
    {
        var pmf = GetCdf(splitPoints);
        for (var i = pmf.Length - 1; i > 0; i--)
        {
            pmf[i] -= pmf[i - 1];
        }

        return pmf;
    }

    private int CountAtMost(double value)
    {
        // Upper bound: the first index whose item is > value.
        int lo = 0, hi = _items.Length;
        while (lo < hi)
        {
            var mid = (lo + hi) >>> 1;
            if (_items[mid] <= value)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid;
            }
        }

        return lo;
    }

    private static void ValidateSplitPoints(ReadOnlySpan<double> splitPoints)
    {
        for (var i = 0; i < splitPoints.Length; i++)
        {
            if (double.IsNaN(splitPoints[i]))
            {
                throw new ArgumentException("Split points must not be NaN.", nameof(splitPoints));
            }

            if (i > 0 && !(splitPoints[i] > splitPoints[i - 1]))
            {
                throw new ArgumentException("Split points must be strictly increasing.", nameof(splitPoints));
            }
        }
    }
}

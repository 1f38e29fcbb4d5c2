namespace Vigil.Statistics;

/// <summary>
/// The bins PSI and the Jensen–Shannon distance use for a numeric column (DESIGN.md, "Metric conventions"): cut at the
/// baseline's deciles (<see cref="Quantiles.Linear"/> at 0.1, 0.2, …, 0.9), repeated edges merged, each bin closed on
/// the right, <c>(e[i−1], e[i]]</c>, the first and last open-ended. Up to 9 edges give up to 10 bins.
/// </summary>
public static class NumericBins
{
    /// <summary>The number of equal-probability bins before merging.</summary>
    public const int Count = 10;

    /// <summary>
    /// The edges for <paramref name="sortedBaseline"/>: the deciles <c>i / 10</c> for i = 1..9 (the same doubles as
    /// <c>numpy.arange(1, 10) / 10</c>), ascending, with repeated values kept once.
    /// </summary>
    /// <param name="sortedBaseline">The baseline's non-null values in ascending order; at least one.</param>
    public static double[] Edges(ReadOnlySpan<double> sortedBaseline)
    {
        Span<double> edges = stackalloc double[Count - 1];
        var distinct = 0;
        for (var i = 1; i < Count; i++)
        {
            var edge = Quantiles.Linear(sortedBaseline, i / (double)Count);
            if (distinct == 0 || edge != edges[distinct - 1])
            {
                edges[distinct++] = edge;
            }
        }

        return edges[..distinct].ToArray();
    }

    /// <summary>The bin of <paramref name="value"/>: the number of edges strictly below it (bins are closed on the right).</summary>
    public static int BinOf(ReadOnlySpan<double> edges, double value)
    {
        var bin = 0;
        while (bin < edges.Length && edges[bin] < value)
        {
            bin++;
        }

        return bin;
    }

    /// <summary>How many of <paramref name="values"/> fall in each of the <c>edges.Length + 1</c> bins.</summary>
    public static long[] CountValues(ReadOnlySpan<double> edges, ReadOnlySpan<double> values)
    {
        var counts = new long[edges.Length + 1];
        foreach (var value in values)
        {
            counts[BinOf(edges, value)]++;
        }

        return counts;
    }
}

namespace Vigil.Statistics;

/// <summary>Sample quantiles computed exactly as numpy computes them.</summary>
public static class Quantiles
{
    /// <summary>
    /// The <paramref name="q"/>-quantile of <paramref name="sorted"/> with linear interpolation between order statistics
    /// (Hyndman and Fan's method 7): <c>numpy.quantile(x, q)</c> with its default <c>method="linear"</c>, bit for bit.
    /// The virtual index is <c>(n − 1)·q</c>; the interpolation uses numpy's two-sided form
    /// (<c>a + (b − a)·t</c> when <c>t &lt; 0.5</c>, else <c>b − (b − a)·(1 − t)</c>).
    /// </summary>
    /// <param name="sorted">The values in ascending order, without NaN; at least one.</param>
    /// <param name="q">The probability, in [0, 1].</param>
    public static double Linear(ReadOnlySpan<double> sorted, double q)
    {
        if (sorted.IsEmpty)
        {
            throw new ArgumentException("A quantile needs at least one value.", nameof(sorted));
        }

        if (!(q is >= 0 and <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(q), q, "A probability must be between 0 and 1.");
        }

        var n = sorted.Length;
        var virtualIndex = (n - 1) * q;
        if (virtualIndex >= n - 1)
        {
            return sorted[n - 1];
        }

        var previous = Math.Floor(virtualIndex);
        var index = (int)previous;
        var t = virtualIndex - previous;
        var a = sorted[index];
        var b = sorted[index + 1];
        var difference = b - a;
        return t >= 0.5 ? b - (difference * (1 - t)) : a + (difference * t);
    }
}

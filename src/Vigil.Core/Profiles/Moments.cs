using System.Numerics;
using System.Runtime.InteropServices;

namespace Vigil.Profiles;

/// <summary>
/// Count, mean, sum of squared deviations (M2), min and max of a set of numbers: exact, mergeable summary statistics.
/// Values are added with Welford's update and merged with Chan, Golub and LeVeque's pairwise formula; a span is
/// summarised with two passes (mean, then squared deviations), which is both fast and accurate.
/// </summary>
/// <remarks>
/// Pure: every operation returns a new value. <see cref="Merge"/> is commutative bit for bit (the weighted mean and the
/// cross term are symmetric in their operands) and associative up to floating-point rounding (relative differences of
/// order 1e-15 · count). Count, min and max are exact under any merge order. Callers pass finite numbers;
/// <see cref="FeatureProfile"/> counts NaN as null and infinities as type errors before they get here.
/// </remarks>
/// <param name="Count">How many values.</param>
/// <param name="Mean">Their mean; 0 when empty.</param>
/// <param name="M2">Σ (x − mean)²; 0 when empty.</param>
/// <param name="Min">The smallest value; NaN when empty.</param>
/// <param name="Max">The largest value; NaN when empty.</param>
public readonly record struct Moments(long Count, double Mean, double M2, double Min, double Max)
{
    /// <summary>No values.</summary>
    public static Moments Empty => new(0, 0, 0, double.NaN, double.NaN);

    /// <summary>The population variance, M2 / n (ddof 0, as DESIGN.md's σ); NaN when empty.</summary>
    public double Variance => Count > 0 ? M2 / Count : double.NaN;

    /// <summary>The sample variance, M2 / (n − 1) (ddof 1); NaN with fewer than two values.</summary>
    public double SampleVariance => Count > 1 ? M2 / (Count - 1) : double.NaN;

    /// <summary>The population standard deviation, √<see cref="Variance"/>.</summary>
    public double StandardDeviation => Math.Sqrt(Variance);

    /// <summary>These moments with one more value (Welford's update).</summary>
    public Moments Add(double value)
    {
        if (Count == 0)
        {
            return new Moments(1, value, 0, value, value);
        }

        var n = Count + 1;
        var delta = value - Mean;
        var mean = Mean + (delta / n);
        var m2 = M2 + (delta * (value - mean));
        return new Moments(n, mean, m2, Math.Min(Min, value), Math.Max(Max, value));
    }

    /// <summary>The moments of both sets (Chan et al.'s parallel formula, written symmetrically).</summary>
    public static Moments Merge(Moments a, Moments b)
    {
        if (a.Count == 0)
        {
            return b;
        }

        if (b.Count == 0)
        {
            return a;
        }

        var n = a.Count + b.Count;
        var wa = (double)a.Count / n;
        var wb = (double)b.Count / n;
        var mean = (a.Mean * wa) + (b.Mean * wb);
        var delta = b.Mean - a.Mean;
        var m2 = a.M2 + b.M2 + (delta * delta * ((double)a.Count * b.Count / n));
        return new Moments(n, mean, m2, Math.Min(a.Min, b.Min), Math.Max(a.Max, b.Max));
    }

    /// <summary>The moments of <paramref name="values"/>, all finite.</summary>
    public static Moments Of(ReadOnlySpan<double> values)
    {
        if (values.IsEmpty)
        {
            return Empty;
        }

        Scan(values, out var min, out var max, out var sum);
        return FromScan(values, min, max, sum);
    }

    /// <summary>The second pass of <see cref="Of"/>, given the first pass's min, max and sum.</summary>
    internal static Moments FromScan(ReadOnlySpan<double> values, double min, double max, double sum)
    {
        var mean = sum / values.Length;
        if (min == max)
        {
            return new Moments(values.Length, min, 0, min, max);
        }

        var m2 = SumOfSquaredDeviations(values, mean);
        return new Moments(values.Length, mean, m2, min, max);
    }

    /// <summary>
    /// One vectorised pass: min, max and sum; returns false (and stops early) when a value is NaN or infinite.
    /// </summary>
    internal static bool Scan(ReadOnlySpan<double> values, out double min, out double max, out double sum)
    {
        var i = 0;
        min = double.PositiveInfinity;
        max = double.NegativeInfinity;
        sum = 0;
        if (Vector.IsHardwareAccelerated && values.Length >= 2 * Vector<double>.Count)
        {
            var vectors = MemoryMarshal.Cast<double, Vector<double>>(values);
            var vmin = new Vector<double>(double.PositiveInfinity);
            var vmax = new Vector<double>(double.NegativeInfinity);
            var vsum = Vector<double>.Zero;
            var finite = Vector<long>.AllBitsSet;
            foreach (var v in vectors)
            {
                vmin = Vector.Min(vmin, v);
                vmax = Vector.Max(vmax, v);
                vsum += v;
                // x · 0 is 0 for finite x and NaN for NaN and ±∞.
                finite &= Vector.Equals(v * Vector<double>.Zero, Vector<double>.Zero);
            }

            if (!Vector.EqualsAll(finite, Vector<long>.AllBitsSet))
            {
                return false;
            }

            for (var lane = 0; lane < Vector<double>.Count; lane++)
            {
                min = Math.Min(min, vmin[lane]);
                max = Math.Max(max, vmax[lane]);
            }

            sum = Vector.Sum(vsum);
            i = vectors.Length * Vector<double>.Count;
        }

        for (; i < values.Length; i++)
        {
            var x = values[i];
            if (!double.IsFinite(x))
            {
                return false;
            }

            min = Math.Min(min, x);
            max = Math.Max(max, x);
            sum += x;
        }

        return true;
    }

    private static double SumOfSquaredDeviations(ReadOnlySpan<double> values, double mean)
    {
        var i = 0;
        var m2 = 0.0;
        if (Vector.IsHardwareAccelerated && values.Length >= 2 * Vector<double>.Count)
        {
            var vectors = MemoryMarshal.Cast<double, Vector<double>>(values);
            var vmean = new Vector<double>(mean);
            var acc = Vector<double>.Zero;
            foreach (var v in vectors)
            {
                var d = v - vmean;
                acc += d * d;
            }

            m2 = Vector.Sum(acc);
            i = vectors.Length * Vector<double>.Count;
        }

        for (; i < values.Length; i++)
        {
            var d = values[i] - mean;
            m2 += d * d;
        }

        return m2;
    }
}

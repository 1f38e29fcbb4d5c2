using CsCheck;

namespace Vigil.Core.Tests.Profiles;

/// <summary>Test data for the profile sketches: distributions by name, and exact ranks to judge estimates against.</summary>
internal static class ProfileData
{
    public enum Shape
    {
        Uniform,
        Normal,
        HeavyTail,
        FewDistinct,
        MostlyOneValue,
        Constant,
        Sorted,
        ReverseSorted,
    }

    /// <summary>A shape, a size up to <paramref name="maxCount"/> and a seed for the values.</summary>
    public static Gen<(Shape Shape, int Count, int Seed)> Spec(int maxCount) =>
        Gen.Select(Gen.Enum<Shape>(), Gen.Int[0, maxCount], Gen.Int);

    public static double[] Values(Shape shape, int count, int seed)
    {
        var random = new Random(seed);
        var values = new double[count];
        for (var i = 0; i < count; i++)
        {
            values[i] = shape switch
            {
                Shape.Uniform => (random.NextDouble() * 2000) - 1000,
                Shape.Normal => Normal(random),
                Shape.HeavyTail => Math.Exp(3 * Normal(random)),
                Shape.FewDistinct => random.Next(5),
                Shape.MostlyOneValue => random.NextDouble() < 0.9 ? 7.5 : random.Next(100),
                Shape.Constant => 42,
                Shape.Sorted => i * 0.5,
                Shape.ReverseSorted => count - i,
                _ => throw new ArgumentOutOfRangeException(nameof(shape)),
            };
        }

        return values;
    }

    public static double Normal(Random random) =>
        Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());

    /// <summary>The exact inclusive rank of x (share ≤ x) in sorted data.</summary>
    public static double Rank(double[] sorted, double x) => (double)UpperBound(sorted, x) / sorted.Length;

    /// <summary>
    /// How far the estimated q-quantile <paramref name="estimate"/> is from rank q: 0 when q lies between the shares
    /// strictly below and at most the estimate (so ties are not penalised), else the distance to that interval.
    /// </summary>
    public static double QuantileRankError(double[] sorted, double q, double estimate)
    {
        var below = (double)LowerBound(sorted, estimate) / sorted.Length;
        var atMost = (double)UpperBound(sorted, estimate) / sorted.Length;
        return Math.Max(0, Math.Max(below - q, q - atMost));
    }

    /// <summary>numpy's <c>quantile(method="inverted_cdf")</c>: the smallest x with rank ≥ q.</summary>
    public static double ExactQuantile(double[] sorted, double q)
    {
        if (q == 0)
        {
            return sorted[0];
        }

        var index = (int)Math.Ceiling((q * sorted.Length) - 1e-9) - 1;
        return sorted[Math.Clamp(index, 0, sorted.Length - 1)];
    }

    public static double[] Sorted(double[] values)
    {
        var sorted = (double[])values.Clone();
        Array.Sort(sorted);
        return sorted;
    }

    public static readonly double[] Ranks = [.. Enumerable.Range(0, 101).Select(i => i / 100.0)];

    private static int UpperBound(double[] sorted, double x)
    {
        int lo = 0, hi = sorted.Length;
        while (lo < hi)
        {
            var mid = (lo + hi) >>> 1;
            if (sorted[mid] <= x)
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

    private static int LowerBound(double[] sorted, double x)
    {
        int lo = 0, hi = sorted.Length;
        while (lo < hi)
        {
            var mid = (lo + hi) >>> 1;
            if (sorted[mid] < x)
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
}

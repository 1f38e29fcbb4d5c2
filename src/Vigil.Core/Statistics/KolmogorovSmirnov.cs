namespace Vigil.Statistics;

/// <summary>
/// The two-sample, two-sided Kolmogorov–Smirnov test (DESIGN.md, "Metric conventions"). D is the largest distance between
/// the empirical distribution functions, evaluated at every observed value (so ties are handled as scipy does). The
/// p-value is exact when n·m ≤ <see cref="ExactMaxProduct"/>: the share of the C(n+m, n) monotone lattice paths from
/// (0, 0) to (n, m) that leave the band |x/n − y/m| &lt; D (Hodges 1958, in Viehmann's 2021 form that computes the
/// complement directly and keeps tiny p-values accurate); above that it is the limiting Kolmogorov distribution with
/// Stephens' correction, <c>Q((√e + 0.12 + 0.11/√e)·D)</c>, e = n·m/(n+m). Like scipy, the exact p ignores ties
/// (it is then conservative).
/// </summary>
public static class KolmogorovSmirnov
{
    /// <summary>The largest n·m for which the p-value is computed exactly.</summary>
    public const long ExactMaxProduct = 1_000_000;

    /// <summary>Tests two samples, each sorted ascending, without NaN and non-empty.</summary>
    public static KsResult Test(ReadOnlySpan<double> sortedA, ReadOnlySpan<double> sortedB)
    {
        if (sortedA.IsEmpty || sortedB.IsEmpty)
        {
            throw new ArgumentException("Both samples need at least one value.", nameof(sortedA));
        }

        long n = sortedA.Length, m = sortedB.Length;
        var g = Gcd(n, m);

        // In units of 1/lcm(n, m): i/n − j/m = (i·m/g − j·n/g) / lcm, an exact integer.
        var h = MaxDistance(sortedA, sortedB, m / g, n / g);
        var lcm = n / g * m;
        var d = h / (double)lcm;
        if (n * m <= ExactMaxProduct)
        {
            var p = h == 0 ? 1.0 : n == m ? ExactEqualSizes(n, h) : ExactPValue(n, m, g, h);
            return new KsResult(d, Math.Clamp(p, 0.0, 1.0), KsPValueMethod.Exact);
        }

        var en = Math.Sqrt(n * (double)m / (n + m));
        var pAsymptotic = SpecialFunctions.KolmogorovSurvival((en + 0.12 + (0.11 / en)) * d);
        return new KsResult(d, Math.Clamp(pAsymptotic, 0.0, 1.0), KsPValueMethod.Asymptotic);
    }

    /// <summary>max |i·wa − j·wb| over every observed value, i and j the counts of each sample at or below it.</summary>
    private static long MaxDistance(ReadOnlySpan<double> a, ReadOnlySpan<double> b, long weightA, long weightB)
    {
        int i = 0, j = 0;
        long max = 0;
        while (i < a.Length || j < b.Length)
        {
            var x = j >= b.Length || (i < a.Length && a[i] <= b[j]) ? a[i] : b[j];
            while (i < a.Length && a[i] == x)
            {
                i++;
            }

            while (j < b.Length && b[j] == x)
            {
                j++;
            }

            max = Math.Max(max, Math.Abs((i * weightA) - (j * weightB)));
        }

        return max;
    }

    /// <summary>
    /// P(D ≥ h/n) for equal sizes n: the reflection formula 2·Σ_k (−1)^(k−1) C(2n, n − k·h) / C(2n, n), each term a
    /// product of h ratios, nested Horner-fashion (A0·(1 − A1·(1 − A2·…))) to avoid cancellation.
    /// </summary>
    private static double ExactEqualSizes(long n, long h)
    {
        var p = 0.0;
        for (var k = n / h; k >= 0; k--)
        {
            var term = 1.0;
            for (long j = 0; j < h; j++)
            {
                term = (n - (k * h) - j) * term / (n + (k * h) + j + 1);
            }

            p = term * (1.0 - p);
        }

        return 2 * p;
    }

    /// <summary>
    /// P(D ≥ h/lcm) for sizes n ≠ m. Walks the lattice column by column (x = 0..n over the larger sample) keeping, for
    /// each y inside the band |x·(m/g) − y·(n/g)| &lt; h, the probability that a random path to (x, y) has already left
    /// the band: E(x, y) = (x·E(x−1, y) + y·E(x, y−1)) / (x + y), with E = 1 outside the band and E(0, 0) = 0. The answer
    /// is E(n, m). O(n·band) time, O(m) memory.
    /// </summary>
    private static double ExactPValue(long sizeA, long sizeB, long g, long h)
    {
        var n = Math.Max(sizeA, sizeB);
        var m = Math.Min(sizeA, sizeB);
        var ng = n / g;
        var mg = m / g;
        var previous = new double[m + 1];
        var current = new double[m + 1];

        // Column x = 0: y is inside while y·ng < h.
        var (lastLow, lastHigh) = (0L, Math.Min(CeilDiv(h, ng), m + 1));
        Array.Fill(previous, 1.0);
        Array.Clear(previous, 0, (int)lastHigh);
        for (long x = 1; x <= n; x++)
        {
            // Inside: (x·mg − h)/ng < y < (x·mg + h)/ng, clipped to 0..m.
            var low = Math.Min(Math.Max(FloorDiv((x * mg) - h, ng) + 1, 0), m);
            var high = Math.Min(CeilDiv((x * mg) + h, ng), m + 1);
            if (high <= low)
            {
                return 1.0;
            }

            var below = low == 0 ? 0.0 : 1.0;
            for (var y = low; y < high; y++)
            {
                var left = y >= lastLow && y < lastHigh ? previous[y] : 1.0;
                below = ((left * x) + (below * y)) / (x + y);
                current[y] = below;
            }

            (previous, current) = (current, previous);
            (lastLow, lastHigh) = (low, high);
        }

        return lastHigh == m + 1 ? previous[m] : 1.0;
    }

    private static long FloorDiv(long a, long b) => (a / b) - ((a % b != 0) && ((a < 0) != (b < 0)) ? 1 : 0);

    private static long CeilDiv(long a, long b) => -FloorDiv(-a, b);

    private static long Gcd(long a, long b)
    {
        while (b != 0)
        {
            (a, b) = (b, a % b);
        }

        return a;
    }
}

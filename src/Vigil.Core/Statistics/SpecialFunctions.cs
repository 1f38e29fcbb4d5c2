namespace Vigil.Statistics;

/// <summary>
/// The few special functions the tests need, implemented here so Vigil.Core stays free of packages
/// (docs/decisions/0004-statistics-library.md). Each is checked against scipy on committed vectors.
/// </summary>
public static class SpecialFunctions
{
    private const double Epsilon = 1e-16;
    private const int MaxIterations = 10_000;

    // Lanczos approximation, g = 7, nine coefficients (Godfrey): relative error about 1e-15 for x > 0.
    private static readonly double[] Lanczos =
    [
        0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
        12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
    ];

    /// <summary>ln Γ(x) for x &gt; 0.</summary>
    public static double LogGamma(double x)
    {
        if (!(x > 0))
        {
            throw new ArgumentOutOfRangeException(nameof(x), x, "LogGamma is defined here for x > 0.");
        }

        if (x < 0.5)
        {
            // Reflection: Γ(x)·Γ(1 − x) = π / sin(πx).
            return Math.Log(Math.PI / Math.Sin(Math.PI * x)) - LogGamma(1 - x);
        }

        x -= 1;
        var sum = Lanczos[0];
        for (var i = 1; i < Lanczos.Length; i++)
        {
            sum += Lanczos[i] / (x + i);
        }

        var t = x + 7.5;
        return (0.5 * Math.Log(2 * Math.PI)) + ((x + 0.5) * Math.Log(t)) - t + Math.Log(sum);
    }

    /// <summary>
    /// The regularized upper incomplete gamma function Q(a, x) = Γ(a, x) / Γ(a), for a &gt; 0 and x ≥ 0: the series for
    /// P = 1 − Q when x &lt; a + 1, otherwise the continued fraction for Q (modified Lentz), as in Numerical Recipes.
    /// </summary>
    public static double RegularizedGammaQ(double a, double x)
    {
        if (!(a > 0) || !(x >= 0))
        {
            throw new ArgumentOutOfRangeException(nameof(x), $"Q(a, x) needs a > 0 and x >= 0, got a = {a}, x = {x}.");
        }

        if (x == 0)
        {
            return 1.0;
        }

        if (double.IsPositiveInfinity(x))
        {
            return 0.0;
        }

        var logPrefix = (a * Math.Log(x)) - x - LogGamma(a);
        if (x < a + 1)
        {
            // P(a, x) = e^(−x) x^a / Γ(a + 1) · Σ x^k / ((a + 1)…(a + k)).
            var term = 1.0 / a;
            var sum = term;
            for (var n = 1; n < MaxIterations; n++)
            {
                term *= x / (a + n);
                sum += term;
                if (Math.Abs(term) < Math.Abs(sum) * Epsilon)
                {
                    break;
                }
            }

            return 1.0 - (sum * Math.Exp(logPrefix));
        }

        // Q(a, x) = e^(−x) x^a / Γ(a) · 1 / (x + 1 − a − 1·(1 − a) / (x + 3 − a − 2·(2 − a) / (x + 5 − a − …))).
        const double tiny = 1e-300;
        var b = x + 1 - a;
        var c = 1 / tiny;
        var d = 1 / b;
        var h = d;
        for (var i = 1; i < MaxIterations; i++)
        {
            var an = -i * (i - a);
            b += 2;
            d = (an * d) + b;
            if (Math.Abs(d) < tiny)
            {
                d = tiny;
            }

            c = b + (an / c);
            if (Math.Abs(c) < tiny)
            {
                c = tiny;
            }

            d = 1 / d;
            var delta = d * c;
            h *= delta;
            if (Math.Abs(delta - 1) < Epsilon)
            {
                break;
            }
        }

        return Math.Exp(logPrefix) * h;
    }

    /// <summary>The survival function of the chi-squared distribution with <paramref name="degreesOfFreedom"/> (&gt; 0): P(X ≥ x) = Q(k/2, x/2).</summary>
    public static double ChiSquaredSurvival(double x, double degreesOfFreedom) =>
        x <= 0 ? 1.0 : RegularizedGammaQ(degreesOfFreedom / 2, x / 2);

    /// <summary>
    /// The survival function of the Kolmogorov distribution (the limit of √n·Dₙ), as <c>scipy.special.kolmogorov</c>:
    /// Q(λ) = 2·Σ_{k≥1} (−1)^(k−1)·e^(−2k²λ²) for λ ≥ 1, and 1 − (√(2π)/λ)·Σ_{k≥1} e^(−(2k−1)²π²/(8λ²)) below, where
    /// that series converges fast.
    /// </summary>
    public static double KolmogorovSurvival(double lambda)
    {
        if (double.IsNaN(lambda))
        {
            return double.NaN;
        }

        if (lambda <= 0)
        {
            return 1.0;
        }

        if (lambda < 1)
        {
            var w = -Math.PI * Math.PI / (8 * lambda * lambda);
            var cdf = 0.0;
            for (var k = 1; k < 100; k++)
            {
                var odd = (2.0 * k) - 1;
                var term = Math.Exp(odd * odd * w);
                cdf += term;
                if (term < cdf * Epsilon)
                {
                    break;
                }
            }

            return 1.0 - (Math.Sqrt(2 * Math.PI) / lambda * cdf);
        }

        var sum = 0.0;
        var sign = 1.0;
        for (var k = 1; k < 100; k++)
        {
            var term = Math.Exp(-2.0 * k * k * lambda * lambda);
            sum += sign * term;
            if (term < Math.Abs(sum) * Epsilon || term == 0)
            {
                break;
            }

            sign = -sign;
        }

        return Math.Clamp(2 * sum, 0.0, 1.0);
    }
}

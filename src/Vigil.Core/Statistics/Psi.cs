namespace Vigil.Statistics;

/// <summary>
/// The population stability index of a current distribution against a baseline over the same bins:
/// <c>PSI = Σ (a − e)·ln(a / e)</c>, e the baseline share and a the current share of a bin, a zero share replaced by
/// <see cref="ZeroShare"/> (without renormalizing). Bins are <see cref="NumericBins"/> for numbers and the union of
/// categories for categories.
/// </summary>
public static class Psi
{
    /// <summary>The share used in place of an empty bin's 0, so the logarithm stays finite.</summary>
    public const double ZeroShare = 1e-4;

    /// <summary>The lower bound of <see cref="PsiBand.Moderate"/>.</summary>
    public const double ModerateThreshold = 0.1;

    /// <summary>The lower bound of <see cref="PsiBand.Major"/>.</summary>
    public const double MajorThreshold = 0.25;

    /// <summary>PSI from bin counts; both spans have one entry per bin and a positive total.</summary>
    public static double FromCounts(ReadOnlySpan<long> baseline, ReadOnlySpan<long> current)
    {
        var (baselineTotal, currentTotal) = Totals(baseline, current);
        var psi = 0.0;
        for (var i = 0; i < baseline.Length; i++)
        {
            var e = Share(baseline[i], baselineTotal);
            var a = Share(current[i], currentTotal);
            psi += (a - e) * Math.Log(a / e);
        }

        return psi;
    }

    /// <summary>The band <paramref name="psi"/> falls in.</summary>
    public static PsiBand Band(double psi) => psi switch
    {
        >= MajorThreshold => PsiBand.Major,
        >= ModerateThreshold => PsiBand.Moderate,
        _ => PsiBand.Stable,
    };

    /// <summary>The totals of two count vectors of equal length, each positive.</summary>
    internal static (double Baseline, double Current) Totals(ReadOnlySpan<long> baseline, ReadOnlySpan<long> current)
    {
        if (baseline.Length != current.Length || baseline.IsEmpty)
        {
            throw new ArgumentException("Baseline and current counts need the same, non-zero number of bins.", nameof(current));
        }

        long b = 0, c = 0;
        for (var i = 0; i < baseline.Length; i++)
        {
            if (baseline[i] < 0 || current[i] < 0)
            {
                throw new ArgumentException("Counts cannot be negative.", nameof(baseline));
            }

            b += baseline[i];
            c += current[i];
        }

        if (b == 0 || c == 0)
        {
            throw new ArgumentException("Both sides need at least one value.", nameof(baseline));
        }

        return (b, c);
    }

    private static double Share(long count, double total) => count == 0 ? ZeroShare : count / total;
}

namespace Vigil.Statistics;

/// <summary>
/// How <see cref="DriftAnalyzer"/> decides that a column drifted. The default method of a column (docs/drift.md):
/// <list type="bullet">
/// <item>a side without any non-null value: <see cref="DriftMethod.None"/>;</item>
/// <item>the smaller side has at most <see cref="TestMaxValues"/> values: a test — Kolmogorov–Smirnov for numbers,
/// chi-squared for categories — drifted when its p-value, adjusted across all tested columns with
/// <see cref="Correction"/>, is below <see cref="Alpha"/>;</item>
/// <item>larger samples: PSI, drifted when PSI ≥ <see cref="PsiThreshold"/>. With many thousands of rows a test finds
/// every negligible difference significant, so the decision moves to an effect size.</item>
/// </list>
/// </summary>
public sealed record DriftOptions
{
    /// <summary>The defaults described above.</summary>
    public static DriftOptions Default { get; } = new();

    /// <summary>The significance level compared with adjusted p-values. Default 0.05; between 0 and 1 exclusive.</summary>
    public double Alpha { get; init; } = 0.05;

    /// <summary>The adjustment of p-values across tested columns. Default Benjamini–Hochberg (false discovery rate).</summary>
    public MultipleTestingCorrection Correction { get; init; } = MultipleTestingCorrection.BenjaminiHochberg;

    /// <summary>The PSI at or above which a column decided by PSI has drifted. Default 0.25, the lower bound of the major band.</summary>
    public double PsiThreshold { get; init; } = Psi.MajorThreshold;

    /// <summary>
    /// The largest number of non-null values on the smaller side for which a test decides. Default 1,000: at that size
    /// Kolmogorov–Smirnov at α = 0.05 already flags a D of about 0.06 (a shift of about 0.15 standard deviations).
    /// </summary>
    public long TestMaxValues { get; init; } = 1_000;

    /// <summary>Per-column methods that replace the default rule (a test must fit the column's type).</summary>
    public IReadOnlyDictionary<string, DriftMethod> Methods { get; init; } = new Dictionary<string, DriftMethod>(StringComparer.Ordinal);

    /// <summary>Every problem with these options; empty when they are valid.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (!(Alpha is > 0 and < 1))
        {
            errors.Add($"alpha must be between 0 and 1 exclusive, not {Alpha}");
        }

        if (!(PsiThreshold > 0) || !double.IsFinite(PsiThreshold))
        {
            errors.Add($"the PSI threshold must be a positive number, not {PsiThreshold}");
        }

        if (TestMaxValues < 0)
        {
            errors.Add($"the largest sample for a test cannot be negative ({TestMaxValues})");
        }

        return errors;
    }
}

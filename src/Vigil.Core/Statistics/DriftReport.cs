namespace Vigil.Statistics;

/// <summary>The drift of every compared column and the settings that decided it (<c>vigil analyze drift --json</c>).</summary>
public sealed record DriftReport
{
    /// <summary>One entry per column, in the order they were given.</summary>
    public required IReadOnlyList<ColumnDrift> Columns { get; init; }

    /// <summary>How many columns drifted.</summary>
    public required int DriftedColumns { get; init; }

    /// <summary>Drifted columns over all columns (0 when there are none).</summary>
    public required double DriftedShare { get; init; }

    /// <summary>The correction applied to the p-values of the tested columns.</summary>
    public required MultipleTestingCorrection Correction { get; init; }

    /// <summary>The significance level the adjusted p-values were compared with.</summary>
    public required double Alpha { get; init; }

    /// <summary>The PSI at or above which a column decided by PSI drifted.</summary>
    public required double PsiThreshold { get; init; }
}

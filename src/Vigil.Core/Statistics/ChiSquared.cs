namespace Vigil.Statistics;

/// <summary>
/// The chi-squared test of homogeneity on the 2×K table of baseline and current counts over the union of categories
/// (DESIGN.md): expected = row total × column total / grand total, statistic Σ (o − e)² / e, K − 1 degrees of freedom,
/// no continuity correction. It matches <c>scipy.stats.chi2_contingency(table, correction=False)</c>.
/// </summary>
public static class ChiSquared
{
    /// <summary>
    /// Tests whether <paramref name="baseline"/> and <paramref name="current"/> (counts per category, one entry per
    /// category in the same order) come from one distribution. Every category must have a count on at least one side.
    /// </summary>
    public static ChiSquaredResult Homogeneity(ReadOnlySpan<long> baseline, ReadOnlySpan<long> current)
    {
        var (rowB, rowC) = Psi.Totals(baseline, current);
        var total = rowB + rowC;
        var statistic = 0.0;
        for (var pass = 0; pass < 2; pass++)
        {
            // Row by row, as scipy sums the flattened table.
            var observed = pass == 0 ? baseline : current;
            var row = pass == 0 ? rowB : rowC;
            for (var i = 0; i < observed.Length; i++)
            {
                double column = baseline[i] + current[i];
                if (column == 0)
                {
                    throw new ArgumentException($"Category {i} has no count on either side.", nameof(baseline));
                }

                var expected = row * column / total;
                var difference = observed[i] - expected;
                statistic += difference * difference / expected;
            }
        }

        var dof = baseline.Length - 1;
        return dof == 0
            ? new ChiSquaredResult(0.0, 0, 1.0)
            : new ChiSquaredResult(statistic, dof, SpecialFunctions.ChiSquaredSurvival(statistic, dof));
    }
}

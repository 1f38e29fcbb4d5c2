namespace Vigil.Statistics;

/// <summary>
/// Compares columns of a current data set with the same columns of a baseline: every statistic of DESIGN.md's
/// "Metric conventions" that fits the column's type, the deciding method (<see cref="DriftOptions"/>), and a
/// multiple-testing correction across the tested columns.
/// </summary>
public static class DriftAnalyzer
{
    /// <summary>
    /// The report for <paramref name="columns"/>, each a baseline and a current sample of one column of one type.
    /// Throws <see cref="ArgumentException"/> when a pair's names or types differ, when an override does not fit a
    /// column's type, or when <paramref name="options"/> are invalid.
    /// </summary>
    public static DriftReport Compare(IReadOnlyList<(ColumnSample Baseline, ColumnSample Current)> columns, DriftOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(columns);
        options ??= DriftOptions.Default;
        var errors = options.Validate();
        if (errors.Count > 0)
        {
            throw new ArgumentException("Invalid drift options: " + string.Join("; ", errors), nameof(options));
        }

        var drifts = new ColumnDrift[columns.Count];
        for (var i = 0; i < columns.Count; i++)
        {
            drifts[i] = Measure(columns[i].Baseline, columns[i].Current, options);
        }

        // Adjust the p-values of the columns decided by a test, as one family.
        var tested = new List<int>();
        var pValues = new List<double>();
        for (var i = 0; i < drifts.Length; i++)
        {
            if (PValue(drifts[i]) is { } p)
            {
                tested.Add(i);
                pValues.Add(p);
            }
        }

        var adjusted = MultipleTesting.Adjust(pValues.ToArray(), options.Correction);
        for (var k = 0; k < tested.Count; k++)
        {
            var i = tested[k];
            drifts[i] = drifts[i] with { PValueAdjusted = adjusted[k], Drifted = adjusted[k] < options.Alpha };
        }

        var drifted = drifts.Count(d => d.Drifted);
        return new DriftReport
        {
            Columns = drifts,
            DriftedColumns = drifted,
            DriftedShare = drifts.Length == 0 ? 0.0 : drifted / (double)drifts.Length,
            Correction = options.Correction,
            Alpha = options.Alpha,
            PsiThreshold = options.PsiThreshold,
        };
    }

    /// <summary>Every statistic for one column and its method; <see cref="ColumnDrift.Drifted"/> is final only for PSI (tests wait for the correction).</summary>
    public static ColumnDrift Measure(ColumnSample baseline, ColumnSample current, DriftOptions options)
    {
        ArgumentNullException.ThrowIfNull(baseline);
        ArgumentNullException.ThrowIfNull(current);
        ArgumentNullException.ThrowIfNull(options);
        if (baseline.Name != current.Name)
        {
            throw new ArgumentException($"Cannot compare column '{baseline.Name}' with column '{current.Name}'.", nameof(current));
        }

        if (baseline.Type != current.Type)
        {
            throw new ArgumentException($"Column '{baseline.Name}' is {Text(baseline.Type)} in the baseline and {Text(current.Type)} in the current data.", nameof(current));
        }

        var drift = new ColumnDrift
        {
            Name = baseline.Name,
            Type = baseline.Type,
            RowsBaseline = baseline.Rows,
            RowsCurrent = current.Rows,
            NullRateBaseline = baseline.Rows == 0 ? 0.0 : baseline.Nulls / (double)baseline.Rows,
            NullRateCurrent = current.Rows == 0 ? 0.0 : current.Nulls / (double)current.Rows,
            Method = DriftMethod.None,
            Drifted = false,
        };
        if (baseline.Values == 0 || current.Values == 0)
        {
            return drift;
        }

        drift = baseline.Type == DriftColumnType.Numeric
            ? MeasureNumeric(drift, baseline.Numbers!, current.Numbers!)
            : MeasureCategorical(drift, baseline.Categories!, current.Categories!);
        var method = ChooseMethod(baseline, current, options);
        return drift with
        {
            Method = method,
            Drifted = method == DriftMethod.Psi && drift.Psi >= options.PsiThreshold,
        };
    }

    /// <summary>The method for a column with values on both sides: the override if there is one, else the default rule of <see cref="DriftOptions"/>.</summary>
    public static DriftMethod ChooseMethod(ColumnSample baseline, ColumnSample current, DriftOptions options)
    {
        ArgumentNullException.ThrowIfNull(baseline);
        ArgumentNullException.ThrowIfNull(current);
        ArgumentNullException.ThrowIfNull(options);
        var test = baseline.Type == DriftColumnType.Numeric ? DriftMethod.Ks : DriftMethod.Chi2;
        if (options.Methods.TryGetValue(baseline.Name, out var chosen))
        {
            if (chosen is DriftMethod.Psi || chosen == test)
            {
                return chosen;
            }

            throw new ArgumentException($"Method '{chosen}' does not fit {Text(baseline.Type)} column '{baseline.Name}': use {test} or Psi.", nameof(options));
        }

        return Math.Min(baseline.Values, current.Values) <= options.TestMaxValues ? test : DriftMethod.Psi;
    }

    private static ColumnDrift MeasureNumeric(ColumnDrift drift, double[] baseline, double[] current)
    {
        var edges = NumericBins.Edges(baseline);
        var countsB = NumericBins.CountValues(edges, baseline);
        var countsC = NumericBins.CountValues(edges, current);
        var ks = KolmogorovSmirnov.Test(baseline, current);
        var wasserstein = Wasserstein.Distance(baseline, current);
        return drift with
        {
            Psi = Psi.FromCounts(countsB, countsC),
            JsDistance = JensenShannon.Distance(countsB, countsC),
            KsStatistic = ks.Statistic,
            KsPValue = ks.PValue,
            Wasserstein = wasserstein,
            WassersteinNormalized = Wasserstein.Normalized(wasserstein, Wasserstein.PopulationStandardDeviation(baseline)),
        };
    }

    private static ColumnDrift MeasureCategorical(ColumnDrift drift, IReadOnlyDictionary<string, long> baseline, IReadOnlyDictionary<string, long> current)
    {
        var categories = baseline.Keys.Union(current.Keys, StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();
        var countsB = new long[categories.Length];
        var countsC = new long[categories.Length];
        for (var i = 0; i < categories.Length; i++)
        {
            countsB[i] = baseline.GetValueOrDefault(categories[i]);
            countsC[i] = current.GetValueOrDefault(categories[i]);
        }

        var chi2 = ChiSquared.Homogeneity(countsB, countsC);
        return drift with
        {
            Psi = Psi.FromCounts(countsB, countsC),
            JsDistance = JensenShannon.Distance(countsB, countsC),
            Chi2Statistic = chi2.Statistic,
            Chi2PValue = chi2.PValue,
        };
    }

    private static double? PValue(ColumnDrift drift) => drift.Method switch
    {
        DriftMethod.Ks => drift.KsPValue,
        DriftMethod.Chi2 => drift.Chi2PValue,
        _ => null,
    };

    private static string Text(DriftColumnType type) => type == DriftColumnType.Numeric ? "numeric" : "categorical";
}

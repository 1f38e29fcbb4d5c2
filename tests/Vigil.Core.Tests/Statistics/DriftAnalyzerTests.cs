using System.Text.Json;
using Vigil.Statistics;

namespace Vigil.Core.Tests.Statistics;

public sealed class DriftAnalyzerTests
{
    private static ColumnSample Numbers(string name, IEnumerable<double> values, long nulls = 0) => ColumnSample.Numeric(name, values, nulls);

    private static ColumnSample Categories(string name, Dictionary<string, long> counts, long nulls = 0) => ColumnSample.Categorical(name, counts, nulls);

    private static double[] Normal(Random random, int n, double mean) =>
        [.. Enumerable.Range(0, n).Select(_ => mean + (Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble())))];

    [Fact]
    public void Compare_NumericVector_ReportsEveryScipyStatistic()
    {
        var vector = ReferenceVectors.Numeric.Single(v => v.Name == "normal_vs_shifted_normal");

        var report = DriftAnalyzer.Compare([(Numbers("x", vector.Baseline, nulls: 5), Numbers("x", vector.Current))]);

        var column = Assert.Single(report.Columns);
        Assert.Equal(DriftColumnType.Numeric, column.Type);
        Assert.Equal(505, column.RowsBaseline);
        Assert.Equal(5 / 505.0, column.NullRateBaseline);
        ReferenceVectors.Close(vector.Psi, column.Psi!.Value, "psi");
        ReferenceVectors.Close(vector.JsDistance, column.JsDistance!.Value, "js");
        ReferenceVectors.Close(vector.KsStatistic, column.KsStatistic!.Value, "D");
        ReferenceVectors.Close(vector.KsPValue, column.KsPValue!.Value, "p", relative: 1e-8);
        ReferenceVectors.Close(vector.Wasserstein, column.Wasserstein!.Value, "w");
        ReferenceVectors.Close(vector.WassersteinNormalized, column.WassersteinNormalized!.Value, "wn");
        Assert.Null(column.Chi2Statistic);
        Assert.Equal(DriftMethod.Ks, column.Method);
        Assert.True(column.Drifted);
        Assert.Equal(column.KsPValue, column.PValueAdjusted);
    }

    [Fact]
    public void Compare_SmallSamples_UseTests_LargeSamplesUsePsi()
    {
        var random = new Random(3);
        var small = Numbers("small", Normal(random, 500, 0));
        var large = Numbers("large", Normal(random, 5000, 0));
        var device = Categories("device", new() { ["ios"] = 300, ["android"] = 200 });
        var country = Categories("country", new() { ["DE"] = 3000, ["FR"] = 2000 });

        var report = DriftAnalyzer.Compare([(small, small), (large, large), (device, device), (country, country)]);

        Assert.Equal([DriftMethod.Ks, DriftMethod.Psi, DriftMethod.Chi2, DriftMethod.Psi], report.Columns.Select(c => c.Method));
        Assert.Equal(0, report.DriftedColumns);
        Assert.Equal(0.0, report.DriftedShare);
    }

    [Fact]
    public void Compare_LargeShiftedSample_DriftsByPsi()
    {
        var random = new Random(5);
        var report = DriftAnalyzer.Compare([(Numbers("price", Normal(random, 5000, 12.4)), Numbers("price", Normal(random, 4000, 1240)))]);

        var column = Assert.Single(report.Columns);
        Assert.Equal(DriftMethod.Psi, column.Method);
        Assert.True(column.Drifted);
        Assert.Null(column.PValueAdjusted);
        Assert.Equal(1, report.DriftedColumns);
        Assert.Equal(1.0, report.DriftedShare);
    }

    [Fact]
    public void Compare_AdjustsPValuesAcrossTestedColumns()
    {
        // Two columns whose raw p-values are below 0.05 but whose Bonferroni-adjusted values are not both below it.
        var random = new Random(9);
        var columns = new List<(ColumnSample, ColumnSample)>();
        for (var i = 0; i < 20; i++)
        {
            var name = $"f{i}";
            columns.Add((Numbers(name, Normal(random, 200, 0)), Numbers(name, Normal(random, 200, i == 0 ? 0.25 : 0))));
        }

        var none = DriftAnalyzer.Compare(columns, new DriftOptions { Correction = MultipleTestingCorrection.None });
        var bonferroni = DriftAnalyzer.Compare(columns, new DriftOptions { Correction = MultipleTestingCorrection.Bonferroni });

        Assert.Equal(MultipleTestingCorrection.Bonferroni, bonferroni.Correction);
        Assert.True(bonferroni.DriftedColumns <= none.DriftedColumns);
        Assert.All(
            bonferroni.Columns,
            c => Assert.Equal(Math.Min(1.0, c.KsPValue!.Value * 20), c.PValueAdjusted!.Value, 12));
    }

    [Fact]
    public void Compare_AllNullSide_HasNoStatisticsAndDoesNotDrift()
    {
        var report = DriftAnalyzer.Compare([(Numbers("x", [1, 2, 3]), Numbers("x", [], nulls: 4))]);

        var column = Assert.Single(report.Columns);
        Assert.Equal(DriftMethod.None, column.Method);
        Assert.False(column.Drifted);
        Assert.Equal(1.0, column.NullRateCurrent);
        Assert.Null(column.Psi);
        Assert.Null(column.KsPValue);
    }

    [Fact]
    public void Compare_MismatchedTypes_NamesTheColumn()
    {
        var ex = Assert.Throws<ArgumentException>(() => DriftAnalyzer.Compare([(Numbers("age", [1, 2]), Categories("age", new() { ["a"] = 2 }))]));

        Assert.Contains("'age'", ex.Message, StringComparison.Ordinal);
        Assert.Contains("numeric in the baseline and categorical", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Compare_MethodOverride_IsUsed_AndMustFitTheType()
    {
        var column = Numbers("x", [1, 2, 3, 4]);
        var psi = DriftAnalyzer.Compare([(column, column)], new DriftOptions { Methods = new Dictionary<string, DriftMethod> { ["x"] = DriftMethod.Psi } });

        Assert.Equal(DriftMethod.Psi, psi.Columns[0].Method);
        Assert.Throws<ArgumentException>(() => DriftAnalyzer.Compare([(column, column)], new DriftOptions { Methods = new Dictionary<string, DriftMethod> { ["x"] = DriftMethod.Chi2 } }));
    }

    [Fact]
    public void Options_Invalid_ListsEveryProblem()
    {
        var errors = new DriftOptions { Alpha = 1.5, PsiThreshold = -1, TestMaxValues = -3 }.Validate();

        Assert.Equal(3, errors.Count);
        Assert.Throws<ArgumentException>(() => DriftAnalyzer.Compare([], new DriftOptions { Alpha = 0 }));
    }

    [Fact]
    public void ColumnSample_NonFiniteNumber_IsRejected() =>
        Assert.Throws<ArgumentException>(() => ColumnSample.Numeric("x", [1, double.PositiveInfinity], 0));

    [Fact]
    public void Report_Json_HasTheIssueShape_AndOmitsFieldsThatDoNotApply()
    {
        var vector = ReferenceVectors.Categorical.Single(v => v.Name == "unseen_and_missing");
        var report = DriftAnalyzer.Compare(
        [
            (Numbers("price", [1, 2, 3, 4, 5]), Numbers("price", [2, 3, 4, 5, 6])),
            (Categories("device", vector.CountsBaseline), Categories("device", vector.CountsCurrent)),
        ]);

        using var json = JsonDocument.Parse(VigilJson.Serialize(report));
        var root = json.RootElement;
        var price = root.GetProperty("columns")[0];
        var device = root.GetProperty("columns")[1];

        Assert.Equal(
            ["name", "type", "rows_baseline", "rows_current", "null_rate_baseline", "null_rate_current", "psi", "js_distance", "ks_statistic", "ks_p_value", "wasserstein", "wasserstein_normalized", "p_value_adjusted", "method", "drifted"],
            price.EnumerateObject().Select(p => p.Name));
        Assert.Equal("numeric", price.GetProperty("type").GetString());
        Assert.Equal("ks", price.GetProperty("method").GetString());
        Assert.Equal(
            ["name", "type", "rows_baseline", "rows_current", "null_rate_baseline", "null_rate_current", "psi", "js_distance", "chi2_statistic", "chi2_p_value", "p_value_adjusted", "method", "drifted"],
            device.EnumerateObject().Select(p => p.Name));
        Assert.Equal("categorical", device.GetProperty("type").GetString());
        Assert.Equal("chi2", device.GetProperty("method").GetString());
        Assert.True(device.GetProperty("drifted").GetBoolean());
        Assert.Equal(1, root.GetProperty("drifted_columns").GetInt32());
        Assert.Equal(0.5, root.GetProperty("drifted_share").GetDouble());
        Assert.Equal("benjamini-hochberg", root.GetProperty("correction").GetString());
        Assert.Equal(0.05, root.GetProperty("alpha").GetDouble());
    }
}

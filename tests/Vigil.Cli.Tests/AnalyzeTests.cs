using System.Globalization;
using System.Text.Json;
using Parquet;
using Parquet.Schema;

namespace Vigil.Cli.Tests;

/// <summary><c>vigil analyze drift</c> on CSV and Parquet files: the report, and a clear error for each kind of bad input.</summary>
public sealed class AnalyzeTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("vigil-analyze-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private string Write(string name, string text)
    {
        var path = Path.Combine(_directory, name);
        File.WriteAllText(path, text);
        return path;
    }

    private static string Csv(string header, IEnumerable<string> rows) => header + "\n" + string.Join("\n", rows) + "\n";

    private static Task<CliResult> Drift(params string[] args) => Cli.RunAsync(["analyze", "drift", .. args]);

    private (string Baseline, string Current) ShiftedPair()
    {
        var random = new Random(42);
        string[] devices = ["android", "ios", "web"];
        var baseline = Enumerable.Range(0, 600).Select(i =>
            FormattableString.Invariant($"{10 + (random.NextDouble() * 5):0.00},{devices[random.Next(3)]},{(i % 30 == 0 ? "" : random.Next(18, 80).ToString(CultureInfo.InvariantCulture))}"));
        var current = Enumerable.Range(0, 500).Select(i =>
            FormattableString.Invariant($"{1000 + (random.NextDouble() * 500):0.00},{devices[random.Next(3)]},{(i % 25 == 0 ? "NaN" : random.Next(18, 80).ToString(CultureInfo.InvariantCulture))}"));
        return (Write("baseline.csv", Csv("price,device,age", baseline)), Write("current.csv", Csv("price,device,age", current)));
    }

    [Fact]
    public async Task Drift_Json_ReportsEachColumnInTheIssueShape()
    {
        var (baseline, current) = ShiftedPair();

        var result = await Drift("--baseline", baseline, "--current", current, "--json");

        Assert.True(result.ExitCode == 0, result.ToString());
        using var json = JsonDocument.Parse(result.Out);
        var columns = json.RootElement.GetProperty("columns");
        Assert.Equal(3, columns.GetArrayLength());
        var price = columns[0];
        Assert.Equal("price", price.GetProperty("name").GetString());
        Assert.Equal("numeric", price.GetProperty("type").GetString());
        Assert.Equal("ks", price.GetProperty("method").GetString());
        Assert.True(price.GetProperty("drifted").GetBoolean());
        Assert.Equal(1.0, price.GetProperty("ks_statistic").GetDouble());
        Assert.False(price.TryGetProperty("chi2_statistic", out _));
        var device = columns[1];
        Assert.Equal("categorical", device.GetProperty("type").GetString());
        Assert.Equal("chi2", device.GetProperty("method").GetString());
        Assert.False(device.TryGetProperty("ks_statistic", out _));
        Assert.False(device.TryGetProperty("wasserstein", out _));
        var age = columns[2];
        Assert.Equal(20 / 600.0, age.GetProperty("null_rate_baseline").GetDouble(), 12);
        Assert.Equal(20 / 500.0, age.GetProperty("null_rate_current").GetDouble(), 12);
        Assert.True(json.RootElement.GetProperty("drifted_columns").GetInt32() >= 1);
        Assert.Equal("benjamini-hochberg", json.RootElement.GetProperty("correction").GetString());
        Assert.Contains("20 NaN value(s) counted as nulls", result.Err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Drift_Table_NamesEveryColumnAndTheDecision()
    {
        var (baseline, current) = ShiftedPair();

        var result = await Drift("--baseline", baseline, "--current", current);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("price", result.Out, StringComparison.Ordinal);
        Assert.Contains("device", result.Out, StringComparison.Ordinal);
        Assert.Contains("(major)", result.Out, StringComparison.Ordinal);
        Assert.Contains("column(s) drifted", result.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Drift_NoDrift_StillExitsZero()
    {
        var rows = Enumerable.Range(0, 200).Select(i => FormattableString.Invariant($"{i % 17},{(i % 3 == 0 ? "a" : "b")}"));
        var baseline = Write("a.csv", Csv("x,c", rows));
        var current = Write("b.csv", Csv("x,c", rows));

        var result = await Drift("--baseline", baseline, "--current", current, "--json");

        Assert.True(result.ExitCode == 0, result.ToString());
        using var json = JsonDocument.Parse(result.Out);
        Assert.Equal(0, json.RootElement.GetProperty("drifted_columns").GetInt32());
    }

    [Fact]
    public async Task Drift_MatchesTheReferenceVector_EndToEnd()
    {
        // The scipy vector "normal_vs_shifted_normal" written as CSV: the CLI must report the same numbers.
        var vectors = JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Statistics", "Vectors", "numeric.json")));
        var vector = vectors.RootElement.GetProperty("cases").EnumerateArray().Single(c => c.GetProperty("name").GetString() == "normal_vs_shifted_normal");
        string Column(string side) => Csv("x", vector.GetProperty(side).EnumerateArray().Select(v => v.GetDouble().ToString("R", CultureInfo.InvariantCulture)));
        var baseline = Write("a.csv", Column("baseline"));
        var current = Write("b.csv", Column("current"));

        var result = await Drift("--baseline", baseline, "--current", current, "--json");

        Assert.True(result.ExitCode == 0, result.ToString());
        var x = JsonDocument.Parse(result.Out).RootElement.GetProperty("columns")[0];
        foreach (var field in new[] { "psi", "js_distance", "ks_statistic", "ks_p_value", "wasserstein", "wasserstein_normalized" })
        {
            var expected = vector.GetProperty(field).GetDouble();
            Assert.True(Math.Abs(x.GetProperty(field).GetDouble() - expected) <= 1e-9 * Math.Abs(expected), $"{field}: {x.GetProperty(field)} vs {expected}");
        }
    }

    [Fact]
    public async Task Drift_Parquet_ReadsNumbersStringsAndNulls()
    {
        var baseline = await WriteParquetAsync("a.parquet", [1.0, 2.0, double.NaN, 4.0, null, 6.0], ["x", "y", null, "x", "y", "x"]);
        var current = await WriteParquetAsync("b.parquet", [1.5, 2.5, 3.5, 4.5, 5.5, 6.5], ["x", "x", "x", "z", "y", "x"]);

        var result = await Drift("--baseline", baseline, "--current", current, "--json");

        Assert.True(result.ExitCode == 0, result.ToString());
        var columns = JsonDocument.Parse(result.Out).RootElement.GetProperty("columns");
        Assert.Equal("numeric", columns[0].GetProperty("type").GetString());
        Assert.Equal(2 / 6.0, columns[0].GetProperty("null_rate_baseline").GetDouble(), 12);
        Assert.Equal("categorical", columns[1].GetProperty("type").GetString());
        Assert.Equal(1 / 6.0, columns[1].GetProperty("null_rate_baseline").GetDouble(), 12);
        Assert.Contains("1 NaN value(s)", result.Err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Drift_CsvAgainstParquet_Works()
    {
        var baseline = await WriteParquetAsync("a.parquet", [1, 2, 3, 4], ["a", "b", "a", "b"]);
        var current = Write("b.csv", Csv("amount,device", ["1,a", "2,b", "3,a", "9,a"]));

        var result = await Drift("--baseline", baseline, "--current", current, "--columns", "amount,device", "--json");

        Assert.True(result.ExitCode == 0, result.ToString());
    }

    [Fact]
    public async Task Drift_Columns_LimitsTheReport()
    {
        var (baseline, current) = ShiftedPair();

        var result = await Drift("--baseline", baseline, "--current", current, "--columns", "device", "--json");

        Assert.True(result.ExitCode == 0, result.ToString());
        var columns = JsonDocument.Parse(result.Out).RootElement.GetProperty("columns");
        Assert.Equal("device", Assert.Single(columns.EnumerateArray()).GetProperty("name").GetString());
    }

    [Fact]
    public async Task Drift_ColumnOnlyInOneFile_IsSkippedWithAWarning()
    {
        var baseline = Write("a.csv", Csv("x,old", ["1,a", "2,b"]));
        var current = Write("b.csv", Csv("x,new", ["1,a", "3,b"]));

        var result = await Drift("--baseline", baseline, "--current", current, "--json");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("'old' (baseline only)", result.Err, StringComparison.Ordinal);
        Assert.Contains("'new' (current only)", result.Err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Drift_Bonferroni_IsDeclaredInTheOutput()
    {
        var (baseline, current) = ShiftedPair();

        var result = await Drift("--baseline", baseline, "--current", current, "--json", "--correction", "bonferroni", "--alpha", "0.01");

        Assert.True(result.ExitCode == 0, result.ToString());
        var root = JsonDocument.Parse(result.Out).RootElement;
        Assert.Equal("bonferroni", root.GetProperty("correction").GetString());
        Assert.Equal(0.01, root.GetProperty("alpha").GetDouble());
    }

    // Bad input: each a one-line error naming what is wrong, exit 1 (files) or 2 (command line).

    [Fact]
    public async Task Drift_MissingFile_Exits1NamingIt()
    {
        var current = Write("b.csv", Csv("x", ["1"]));

        var result = await Drift("--baseline", Path.Combine(_directory, "nope.csv"), "--current", current);

        AssertFailure(result, "nope.csv: no such file");
    }

    [Fact]
    public async Task Drift_EmptyFile_Exits1()
    {
        var result = await Drift("--baseline", Write("a.csv", ""), "--current", Write("b.csv", Csv("x", ["1"])));

        AssertFailure(result, "a.csv is empty");
    }

    [Fact]
    public async Task Drift_HeaderWithoutRows_Exits1()
    {
        var result = await Drift("--baseline", Write("a.csv", "x,y\n"), "--current", Write("b.csv", Csv("x,y", ["1,2"])));

        AssertFailure(result, "has a header but no data rows");
    }

    [Fact]
    public async Task Drift_NoHeader_Exits1()
    {
        var result = await Drift("--baseline", Write("a.csv", Csv("1.5,2", ["3,4"])), "--current", Write("b.csv", Csv("x,y", ["1,2"])));

        AssertFailure(result, "has no header row");
    }

    [Fact]
    public async Task Drift_DuplicateHeaderName_Exits1()
    {
        var result = await Drift("--baseline", Write("a.csv", Csv("x,x", ["1,2"])), "--current", Write("b.csv", Csv("x", ["1"])));

        AssertFailure(result, "names column 'x' more than once");
    }

    [Fact]
    public async Task Drift_UnknownColumn_Exits1NamingItAndTheFile()
    {
        var (baseline, current) = ShiftedPair();

        var result = await Drift("--baseline", baseline, "--current", current, "--columns", "price,colour");

        AssertFailure(result, "has no column 'colour'");
    }

    [Fact]
    public async Task Drift_ColumnNumericInOneFileAndTextInTheOther_Exits1NamingTheColumn()
    {
        var baseline = Write("a.csv", Csv("price,n", ["1.5,1", "2.5,2"]));
        var current = Write("b.csv", Csv("price,n", ["1.5,1", "cheap,2"]));

        var result = await Drift("--baseline", baseline, "--current", current);

        AssertFailure(result, "column 'price' is numeric in");
        Assert.Contains("row 2: 'cheap'", result.Err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Drift_InfiniteValue_Exits1NamingColumnAndRow()
    {
        var result = await Drift("--baseline", Write("a.csv", Csv("x", ["1", "inf"])), "--current", Write("b.csv", Csv("x", ["1"])));

        AssertFailure(result, "column 'x', row 2: 'inf' is infinite");
    }

    [Fact]
    public async Task Drift_RaggedRow_Exits1()
    {
        var result = await Drift("--baseline", Write("a.csv", "x,y\n1,2\n3\n"), "--current", Write("b.csv", Csv("x,y", ["1,2"])));

        AssertFailure(result, "a.csv is not valid CSV");
    }

    [Fact]
    public async Task Drift_UnknownExtension_Exits1()
    {
        var result = await Drift("--baseline", Write("a.xlsx", "x"), "--current", Write("b.csv", Csv("x", ["1"])));

        AssertFailure(result, "unknown file type '.xlsx'");
    }

    [Fact]
    public async Task Drift_NotParquet_Exits1()
    {
        var result = await Drift("--baseline", Write("a.parquet", "x,y\n1,2\n"), "--current", Write("b.csv", Csv("x", ["1"])));

        AssertFailure(result, "is not a readable Parquet file");
    }

    [Fact]
    public async Task Drift_NoColumnInCommon_Exits1()
    {
        var result = await Drift("--baseline", Write("a.csv", Csv("x", ["1"])), "--current", Write("b.csv", Csv("y", ["1"])));

        AssertFailure(result, "have no column in common");
    }

    [Theory]
    [InlineData("--baseline", "a.csv")]
    [InlineData("--current", "b.csv")]
    [InlineData("--baseline", "a.csv", "--current", "b.csv", "--alpha", "1.5")]
    [InlineData("--baseline", "a.csv", "--current", "b.csv", "--correction", "holm")]
    [InlineData("--baseline", "a.csv", "--current", "b.csv", "--columns", "x,,y")]
    [InlineData("--baseline", "a.csv", "--current", "b.csv", "--columns", "x,x")]
    public async Task Drift_UsageError_Exits2(params string[] args)
    {
        var result = await Drift(args);

        Assert.True(result.ExitCode == ExitCodes.Usage, result.ToString());
        Assert.StartsWith("error: ", result.Err, StringComparison.Ordinal);
    }

    private static void AssertFailure(CliResult result, string message)
    {
        Assert.True(result.ExitCode == ExitCodes.Failure, result.ToString());
        Assert.Contains(message, result.Err, StringComparison.Ordinal);
        Assert.Equal(string.Empty, result.Out);
    }

    private async Task<string> WriteParquetAsync(string name, double?[] numbers, string?[] texts)
    {
        var path = Path.Combine(_directory, name);
        var amount = new DataField<double?>("amount");
        var device = new DataField<string>("device");
        await using var stream = File.Create(path);
        await using var writer = await ParquetWriter.CreateAsync(new ParquetSchema(amount, device), stream, cancellationToken: TestContext.Current.CancellationToken);
        using var group = writer.CreateRowGroup();
        await group.WriteAsync<double>(amount, numbers.AsMemory(), cancellationToken: TestContext.Current.CancellationToken);
        await group.WriteAsync(device, texts);
        return path;
    }
}

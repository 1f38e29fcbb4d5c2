using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Parquet;
using Parquet.Schema;

namespace Vigil.Cli.Tests;

/// <summary><c>vigil backtest</c>: the price-in-cents story replayed from files, a quiet week, and bad input.</summary>
public sealed class BacktestTests(ITestOutputHelper output) : IDisposable
{
    private static readonly DateTimeOffset Start = new(2026, 11, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly string[] Countries = ["de", "fr", "us", "uk", "es"];
    private readonly string _directory = Directory.CreateTempSubdirectory("vigil-backtest-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private static double Price(Random random) =>
        Math.Max(0.5, 12.4 + (3 * Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble())));

    private string Write(string name, string text)
    {
        var path = Path.Combine(_directory, name);
        File.WriteAllText(path, text);
        return path;
    }

    private string Baseline()
    {
        var random = new Random(1);
        var text = new StringBuilder("price,country\n");
        for (var i = 0; i < 20_000; i++)
        {
            text.Append(CultureInfo.InvariantCulture, $"{Price(random):0.00},{Countries[random.Next(5)]}\n");
        }

        return Write("train.csv", text.ToString());
    }

    /// <summary>Traffic at <paramref name="perSecond"/> requests a second; from <paramref name="centsFrom"/> on, price is sent in cents.</summary>
    private string Traffic(TimeSpan length, TimeSpan? centsFrom, int perSecond = 1, string name = "traffic.csv")
    {
        var random = new Random(2);
        var path = Path.Combine(_directory, name);
        using var writer = new StreamWriter(path);
        writer.Write("timestamp,price,country\n");
        var step = TimeSpan.FromTicks(TimeSpan.TicksPerSecond / perSecond);
        for (var t = Start; t < Start + length; t += step)
        {
            var price = Price(random);
            if (centsFrom is { } from && t >= Start + from)
            {
                price *= 100;
            }

            writer.Write(string.Create(CultureInfo.InvariantCulture, $"{t:yyyy-MM-ddTHH:mm:ss.fffZ},{price:0.00},{Countries[random.Next(5)]}\n"));
        }

        return path;
    }

    [Fact]
    public async Task PriceInCentsFromDayThree_FiresInputDriftOnPriceWithinAnHour()
    {
        var result = await Cli.RunAsync("backtest", "--baseline", Baseline(), "--traffic", Traffic(TimeSpan.FromDays(3), TimeSpan.FromDays(2)), "--json");
        Assert.True(result.ExitCode == 0, result.ToString());
        using var json = JsonDocument.Parse(result.Out);
        var root = json.RootElement;
        Assert.Equal(3 * 86400, root.GetProperty("rows").GetInt64());
        Assert.Equal(3 * 1440, root.GetProperty("windows").GetInt64());
        Assert.Equal("2026-11-01T00:00:00+00:00", root.GetProperty("from").GetString());
        var alert = Assert.Single(root.GetProperty("alerts").EnumerateArray());
        Assert.Equal("input-drift", alert.GetProperty("monitor").GetString());
        Assert.Equal("input", alert.GetProperty("layer").GetString());
        Assert.Equal("price", alert.GetProperty("feature").GetString());
        Assert.Equal("critical", alert.GetProperty("severity").GetString());
        var fired = alert.GetProperty("fired_at").GetDateTimeOffset();
        Assert.InRange(fired - Start.AddDays(2), TimeSpan.FromMinutes(1), TimeSpan.FromHours(1));
        Assert.InRange(alert.GetProperty("time_to_detect_seconds").GetDouble(), 60, 3600);
        Assert.True(alert.GetProperty("value").GetDouble() > 1, alert.ToString());
        Assert.Equal(0.25, alert.GetProperty("threshold").GetDouble());
        Assert.Contains("median", alert.GetProperty("summary").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task TheSameTrafficAsJsonLinesAndParquet_GivesTheSameAlertsAsCsv()
    {
        var baseline = Baseline();
        var csv = Traffic(TimeSpan.FromHours(3), TimeSpan.FromHours(1));
        var rows = File.ReadLines(csv).Skip(1).Select(l => l.Split(',')).ToList();
        var jsonl = Path.Combine(_directory, "traffic.jsonl");
        await File.WriteAllLinesAsync(
            jsonl,
            rows.Select(r => $$$"""{"timestamp": "{{{r[0]}}}", "inputs": {"price": {{{r[1]}}}, "country": "{{{r[2]}}}"}}"""),
            TestContext.Current.CancellationToken);
        var parquet = Path.Combine(_directory, "traffic.parquet");
        var timestamp = new DataField<DateTime>("timestamp");
        var price = new DataField<double>("price");
        var country = new DataField<string>("country");
        await using (var stream = File.Create(parquet))
        await using (var writer = await ParquetWriter.CreateAsync(new ParquetSchema(timestamp, price, country), stream, cancellationToken: TestContext.Current.CancellationToken))
        {
            foreach (var chunk in rows.Chunk(4_000))
            {
                using var group = writer.CreateRowGroup();
                await group.WriteAsync<DateTime>(timestamp, chunk.Select(r => DateTimeOffset.Parse(r[0], CultureInfo.InvariantCulture).UtcDateTime).ToArray().AsMemory(), cancellationToken: TestContext.Current.CancellationToken);
                await group.WriteAsync<double>(price, chunk.Select(r => double.Parse(r[1], CultureInfo.InvariantCulture)).ToArray().AsMemory(), cancellationToken: TestContext.Current.CancellationToken);
                await group.WriteAsync(country, chunk.Select(r => r[2]).ToArray());
            }
        }

        var reports = new List<string>();
        foreach (var traffic in new[] { csv, jsonl, parquet })
        {
            var result = await Cli.RunAsync("backtest", "--baseline", baseline, "--traffic", traffic, "--json");
            Assert.True(result.ExitCode == 0, result.ToString());
            using var json = JsonDocument.Parse(result.Out);
            Assert.Equal(3 * 3600, json.RootElement.GetProperty("rows").GetInt64());
            reports.Add(json.RootElement.GetProperty("alerts").GetRawText());
        }

        using (var first = JsonDocument.Parse(reports[0]))
        {
            Assert.Contains(first.RootElement.EnumerateArray(), a => a.GetProperty("monitor").GetString() == "input-drift" && a.GetProperty("feature").GetString() == "price");
        }

        Assert.Equal(reports[0], reports[1]);
        Assert.Equal(reports[0], reports[2]);
    }

    [Fact]
    public async Task DeclaredSchema_PricesAboveItsMaxAndUnseenCountries_FireTheSchemaMonitor_WhichTheInferredSchemaCannotSee()
    {
        var schema = Write("service.yaml", """
            name: shop
            inputs:
              - { name: price, type: number, min: 0, max: 500 }
              - { name: country, type: category, categories: [de, fr, us, uk, es] }
            output: { kind: probability }
            """);
        var text = new StringBuilder("timestamp,price,country\n");
        var random = new Random(4);
        for (var s = 0; s < 3 * 3600; s++)
        {
            // From the second hour a new market starts sending traffic: a country the model has never seen.
            var place = s >= 3600 && s % 3 == 0 ? "pl" : Countries[random.Next(5)];
            text.Append(CultureInfo.InvariantCulture, $"{Start.AddSeconds(s):O},{Price(random):0.00},{place}\n");
        }

        var traffic = Write("new-market.csv", text.ToString());

        var declared = await Cli.RunAsync("backtest", "--baseline", Baseline(), "--traffic", traffic, "--schema", schema, "--json");
        var inferred = await Cli.RunAsync("backtest", "--baseline", Baseline(), "--traffic", traffic, "--json");

        Assert.True(declared.ExitCode == 0, declared.ToString());
        using var json = JsonDocument.Parse(declared.Out);
        var alert = Assert.Single(json.RootElement.GetProperty("alerts").EnumerateArray(), a => a.GetProperty("monitor").GetString() == "schema-violations");
        Assert.Equal("country", alert.GetProperty("feature").GetString());
        Assert.InRange(alert.GetProperty("fired_at").GetDateTimeOffset() - Start.AddHours(1), TimeSpan.Zero, TimeSpan.FromMinutes(30));
        using var without = JsonDocument.Parse(inferred.Out);
        Assert.DoesNotContain(without.RootElement.GetProperty("alerts").EnumerateArray(), a => a.GetProperty("monitor").GetString() == "schema-violations");
    }

    [Fact]
    public async Task BadSchemaOrTrafficFiles_AreClearErrors()
    {
        var notAService = await Cli.RunAsync("backtest", "--baseline", Baseline(), "--traffic", Traffic(TimeSpan.FromMinutes(1), null), "--schema", Write("bad.yaml", "inputs: 3\n"));
        Assert.Equal(1, notAService.ExitCode);
        Assert.Contains("not a valid service file", notAService.Err, StringComparison.Ordinal);

        var wrongType = Write("typed.yaml", "name: shop\ninputs:\n  - { name: price, type: category }\n  - { name: country, type: category }\noutput: { kind: probability }\n");
        var mismatch = await Cli.RunAsync("backtest", "--baseline", Baseline(), "--traffic", Traffic(TimeSpan.FromMinutes(1), null), "--schema", wrongType);
        Assert.Equal(1, mismatch.ExitCode);
        Assert.Contains("'price' is declared category but the baseline's column is numeric", mismatch.Err, StringComparison.Ordinal);

        var notJson = await Cli.RunAsync("backtest", "--baseline", Baseline(), "--traffic", Write("t.jsonl", "{\"timestamp\": \"2026-11-01T00:00:00Z\", \"price\": 1}\nnot json\n"));
        Assert.Equal(1, notJson.ExitCode);
        Assert.Contains("line 2 is not JSON", notJson.Err, StringComparison.Ordinal);

        var noStamp = await Cli.RunAsync("backtest", "--baseline", Baseline(), "--traffic", Write("s.jsonl", "{\"price\": 1}\n"));
        Assert.Equal(1, noStamp.ExitCode);
        Assert.Contains("line 1: no readable 'timestamp'", noStamp.Err, StringComparison.Ordinal);

        var unknown = await Cli.RunAsync("backtest", "--baseline", Baseline(), "--traffic", Write("t.xlsx", "x"));
        Assert.Equal(1, unknown.ExitCode);
        Assert.Contains("expected .csv, .jsonl (or .ndjson) or .parquet", unknown.Err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UnchangedWeek_NoAlert_AndTheTableSaysSo()
    {
        var result = await Cli.RunAsync("backtest", "--baseline", Baseline(), "--traffic", Traffic(TimeSpan.FromDays(7), null));
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("604,800 rows in 10,080 one-minute windows", result.Out, StringComparison.Ordinal);
        Assert.Contains("No alert would have fired.", result.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TextInANumericFeature_FiresTheSchemaMonitor_AndInhibitsDriftOnIt()
    {
        var text = new StringBuilder("timestamp,price,country\n");
        var random = new Random(3);
        for (var s = 0; s < 3 * 3600; s++)
        {
            var price = s >= 3600 && s % 2 == 0 ? "\"12,40\"" : Price(random).ToString("0.00", CultureInfo.InvariantCulture);
            text.Append(CultureInfo.InvariantCulture, $"{Start.AddSeconds(s):O},{price},{Countries[random.Next(5)]}\n");
        }

        var result = await Cli.RunAsync("backtest", "--baseline", Baseline(), "--traffic", Write("broken.csv", text.ToString()), "--json");
        Assert.True(result.ExitCode == 0, result.ToString());
        using var json = JsonDocument.Parse(result.Out);
        var alerts = json.RootElement.GetProperty("alerts").EnumerateArray().ToList();
        var schema = Assert.Single(alerts, a => a.GetProperty("monitor").GetString() == "schema-violations");
        Assert.Equal("price", schema.GetProperty("feature").GetString());
        Assert.DoesNotContain(alerts, a => a.GetProperty("monitor").GetString() == "input-drift" && a.GetProperty("feature").GetString() == "price");
    }

    [Fact]
    public async Task CustomMonitors_AreRead_AndBadOnesAreNamed()
    {
        var monitors = Write("monitors.yaml", """
            monitors:
              - name: price-median
                layer: input
                metric: median
                feature: price
                threshold: 100
                window: 5m
            """);
        var result = await Cli.RunAsync("backtest", "--baseline", Baseline(), "--traffic", Traffic(TimeSpan.FromHours(2), TimeSpan.FromHours(1)), "--monitors", monitors, "--json");
        Assert.True(result.ExitCode == 0, result.ToString());
        using var json = JsonDocument.Parse(result.Out);
        var alert = Assert.Single(json.RootElement.GetProperty("alerts").EnumerateArray());
        Assert.Equal("price-median", alert.GetProperty("monitor").GetString());

        var bad = Write("bad.yaml", "- name: x\n  layer: input\n  metric: psi\n  feature: prize\n  threshold: 0.2\n  window: 5m\n");
        var failed = await Cli.RunAsync("backtest", "--baseline", Baseline(), "--traffic", Traffic(TimeSpan.FromMinutes(5), null), "--monitors", bad);
        Assert.Equal(1, failed.ExitCode);
        Assert.Contains("feature 'prize' is not a feature", failed.Err, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("", "is empty")]
    [InlineData("price,country\n", "no data rows")]
    [InlineData("price,country\n1.5,de\nabc,fr\n2.5,us\n", "mixes numbers and text")]
    [InlineData("price,country\n1.5,de\ninf,fr\n", "is infinite")]
    [InlineData("price,country\n,de\n,fr\n", "has no value in any row")]
    public async Task BadBaseline_IsAClearError(string content, string message)
    {
        var result = await Cli.RunAsync("backtest", "--baseline", Write("bad.csv", content), "--traffic", Traffic(TimeSpan.FromMinutes(1), null));
        Assert.Equal(1, result.ExitCode);
        Assert.Contains(message, result.Err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TrafficWithoutTimestamp_IsAClearError()
    {
        var result = await Cli.RunAsync("backtest", "--baseline", Baseline(), "--traffic", Write("t.csv", "price,country\n1,de\n"));
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("no 'timestamp' column", result.Err, StringComparison.Ordinal);
    }

    /// <summary>
    /// A week at 10 requests a second streams through (6,048,000 rows in 10,080 windows, none late) in bounded memory. How
    /// fast is measured, not asserted here (docs/monitoring.md gives the numbers and the command); the rate is printed.
    /// </summary>
    [Fact]
    public async Task AWeekAtTenPerSecond_StreamsEveryRow()
    {
        var traffic = Traffic(TimeSpan.FromDays(7), null, perSecond: 10, name: "week.csv");
        var watch = Stopwatch.StartNew();
        var result = await Cli.RunAsync("backtest", "--baseline", Baseline(), "--traffic", traffic, "--json");
        watch.Stop();
        Assert.True(result.ExitCode == 0, result.ToString());
        using var json = JsonDocument.Parse(result.Out);
        Assert.Equal(6_048_000, json.RootElement.GetProperty("rows").GetInt64());
        Assert.Equal(10_080, json.RootElement.GetProperty("windows").GetInt64());
        Assert.Equal(0, json.RootElement.GetProperty("late_rows").GetInt64());
        Assert.Empty(json.RootElement.GetProperty("alerts").EnumerateArray());
        output.WriteLine($"6,048,000 rows in {watch.Elapsed.TotalSeconds:0.0} s: {6_048_000 / watch.Elapsed.TotalSeconds:N0} rows/s (Debug build; not a benchmark)");
    }
}

/// <summary><c>vigil monitors export-rules</c>: promtool accepts what it writes.</summary>
public sealed class ExportRulesTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("vigil-rules-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task DefaultRules_PassPromtoolCheckRules()
    {
        if (!File.Exists("/usr/bin/promtool"))
        {
            Assert.Skip("/usr/bin/promtool is not installed (apt-get install prometheus)");
        }

        var path = Path.Combine(_directory, "rules.yml");
        var result = await Cli.RunAsync("monitors", "export-rules", "-o", path);
        Assert.True(result.ExitCode == 0, result.ToString());
        var rules = await File.ReadAllTextAsync(path, TestContext.Current.CancellationToken);
        Assert.Contains("alert: error-rate", rules, StringComparison.Ordinal);
        Assert.Contains("alert: latency-p99", rules, StringComparison.Ordinal);
        Assert.Contains("alert: schema-violations", rules, StringComparison.Ordinal);
        Assert.Contains("input-drift", rules, StringComparison.Ordinal); // listed as evaluated by Vigil

        using var promtool = Process.Start(new ProcessStartInfo("/usr/bin/promtool") { ArgumentList = { "check", "rules", path }, RedirectStandardOutput = true, RedirectStandardError = true })!;
        var stdout = await promtool.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        var stderr = await promtool.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        await promtool.WaitForExitAsync(TestContext.Current.CancellationToken);
        Assert.True(promtool.ExitCode == 0, stdout + stderr + rules);
        Assert.Contains("SUCCESS: 3 rules found", stdout + stderr, StringComparison.Ordinal);
    }
}

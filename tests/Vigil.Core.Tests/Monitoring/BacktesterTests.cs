using Vigil.Monitoring;
using Vigil.Profiles;

namespace Vigil.Core.Tests.Monitoring;

/// <summary>The schema-change story of issue 4 on a virtual clock: price in cents instead of dollars.</summary>
public sealed class BacktesterTests
{
    private static readonly DateTimeOffset Start = new(2026, 11, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly string[] Countries = ["de", "fr", "us", "uk", "es"];

    private static double Price(Random random) =>
        Math.Max(0.5, 12.4 + (3 * Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble())));

    private static Dictionary<string, FeatureProfile> Baseline()
    {
        var random = new Random(7);
        var price = FeatureProfile.CreateNumeric(seed: 1);
        var country = FeatureProfile.CreateCategorical();
        for (var i = 0; i < 50_000; i++)
        {
            price.Add(Price(random));
            country.Add(Countries[random.Next(Countries.Length)]);
        }

        return new(StringComparer.Ordinal) { ["price"] = price, ["country"] = country };
    }

    private static BacktestReport Replay(TimeSpan length, TimeSpan? centsFrom, int perSecond = 1)
    {
        var backtester = new Backtester(DefaultMonitors.All, Baseline());
        var random = new Random(11);
        var step = TimeSpan.FromSeconds(1.0 / perSecond);
        for (var t = Start; t < Start + length; t += step)
        {
            var window = backtester.WindowFor(t)!;
            var price = Price(random);
            window.Numeric("price").Add(centsFrom is { } from && t >= Start + from ? price * 100 : price);
            window.Categorical("country").Add(Countries[random.Next(Countries.Length)]);
        }

        return backtester.Finish();
    }

    [Fact]
    public void AWeekOfUnchangedTraffic_RaisesNoAlert()
    {
        var report = Replay(TimeSpan.FromDays(7), centsFrom: null);
        Assert.Equal(7 * 24 * 60, report.Windows);
        Assert.Equal(7 * 24 * 3600, report.Rows);
        Assert.Empty(report.Alerts);
    }

    [Fact]
    public void PriceInCentsOnDayThree_FiresInputDriftWithinAnHour_NamingTheFeatureAndTheShift()
    {
        var report = Replay(TimeSpan.FromDays(4), centsFrom: TimeSpan.FromDays(2));
        var alert = Assert.Single(report.Alerts);
        Assert.Equal("input-drift", alert.Monitor);
        Assert.Equal("price", alert.Feature);
        Assert.Equal(AlertSeverity.Critical, alert.Severity);
        // The 15-minute window crosses the threshold a few minutes after the feed changed; it fires `for` later.
        Assert.InRange(alert.FirstBadWindowStart, Start.AddDays(2), Start.AddDays(2).AddMinutes(15));
        Assert.InRange(alert.FiredAt - Start.AddDays(2), TimeSpan.FromMinutes(1), TimeSpan.FromHours(1));
        Assert.InRange(alert.TimeToDetectSeconds, 60, 3600);
        Assert.True(alert.Value > 1, $"PSI {alert.Value}");
        Assert.Matches(@"median 1[23]\.\d+ → 1,[12]\d\d", alert.Summary);
        Assert.Null(alert.ResolvedAt);
    }

    [Fact]
    public void RowsOutOfOrder_AreCountedAsLate_AndGapsAreEvaluatedAsEmptyWindows()
    {
        var backtester = new Backtester(DefaultMonitors.All, Baseline());
        Assert.NotNull(backtester.WindowFor(Start.AddMinutes(5)));
        Assert.Null(backtester.WindowFor(Start));
        Assert.NotNull(backtester.WindowFor(Start.AddMinutes(10)));
        var report = backtester.Finish();
        Assert.Equal(1, report.LateRows);
        Assert.Equal(6, report.Windows);
        Assert.Equal(Start.AddMinutes(5), report.From);
        Assert.Equal(Start.AddMinutes(11), report.To);
    }
}

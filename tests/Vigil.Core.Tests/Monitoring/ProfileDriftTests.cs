using Vigil.Monitoring;
using Vigil.Profiles;
using Vigil.Statistics;

namespace Vigil.Core.Tests.Monitoring;

public sealed class ProfileDriftTests
{
    private static double[] Normal(int n, double mean, double sd, int seed)
    {
        var random = new Random(seed);
        var values = new double[n];
        for (var i = 0; i < n; i++)
        {
            var u = 1 - random.NextDouble();
            values[i] = mean + (sd * Math.Sqrt(-2 * Math.Log(u)) * Math.Cos(2 * Math.PI * random.NextDouble()));
        }

        return values;
    }

    private static FeatureProfile Profile(double[] values, ulong seed)
    {
        var profile = FeatureProfile.CreateNumeric(seed: seed);
        profile.Fold(values);
        return profile;
    }

    [Theory]
    [InlineData(0.0, 1.0)]
    [InlineData(0.3, 1.0)]
    [InlineData(1.0, 1.5)]
    public void Numeric_FromSketches_IsCloseToTheExactStatisticsOnRawData(double shift, double scale)
    {
        var baseline = Normal(50_000, 10, 2, 1);
        var current = Normal(20_000, 10 + (2 * shift), 2 * scale, 2);
        var drift = ProfileDrift.Compare("x", Profile(baseline, 1), Profile(current, 2))!;
        var exact = DriftAnalyzer.Measure(ColumnSample.Numeric("x", baseline, 0), ColumnSample.Numeric("x", current, 0), DriftOptions.Default);

        // The sketches' rank error (1.65% at k = 200) bounds the gap in each bin's share and in the CDF.
        Assert.InRange(drift.Psi, exact.Psi!.Value - 0.02 - (0.1 * exact.Psi.Value), exact.Psi.Value + 0.02 + (0.1 * exact.Psi.Value));
        Assert.InRange(drift.KsStatistic!.Value, exact.KsStatistic!.Value - 0.035, exact.KsStatistic.Value + 0.035);
        Assert.InRange(drift.JsDistance, exact.JsDistance!.Value - 0.03, exact.JsDistance.Value + 0.03);
        Assert.InRange(drift.WassersteinNormalized!.Value, exact.WassersteinNormalized!.Value - 0.05, exact.WassersteinNormalized.Value + 0.05);
        Assert.Equal(shift > 0 || scale > 1, drift.Psi > 0.05);
    }

    [Fact]
    public void PriceInCents_IsAMajorShift_WithBothMedians()
    {
        var dollars = Normal(20_000, 12.4, 3, 3);
        var cents = dollars.Select(d => d * 100).ToArray();
        var drift = ProfileDrift.Compare("price", Profile(dollars, 1), Profile(cents, 2))!;
        Assert.True(drift.Psi > 4, $"PSI {drift.Psi}");
        Assert.InRange(drift.BaselineMedian!.Value, 12, 12.8);
        Assert.InRange(drift.CurrentMedian!.Value, 1200, 1280);
        Assert.True(drift.KsPValue < 1e-10);
    }

    [Fact]
    public void Categorical_MatchesChiSquaredOnTheSameCounts()
    {
        var b = FeatureProfile.CreateCategorical();
        var c = FeatureProfile.CreateCategorical();
        foreach (var (value, nb, nc) in new[] { ("de", 500, 300), ("fr", 300, 300), ("us", 200, 400) })
        {
            for (var i = 0; i < nb; i++)
            {
                b.Add(value);
            }

            for (var i = 0; i < nc; i++)
            {
                c.Add(value);
            }
        }

        var drift = ProfileDrift.Compare("country", b, c)!;
        var exact = ChiSquared.Homogeneity([500, 300, 200], [300, 300, 400]);
        Assert.Equal(exact.PValue, drift.Chi2PValue!.Value, 12);
        Assert.Equal(Psi.FromCounts([500, 300, 200], [300, 300, 400]), drift.Psi, 12);
    }
}

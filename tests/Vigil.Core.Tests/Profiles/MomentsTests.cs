using CsCheck;
using Vigil.Profiles;
using static Vigil.Core.Tests.Profiles.ProfileData;

namespace Vigil.Core.Tests.Profiles;

public sealed class MomentsTests
{
    [Fact]
    public void Empty_HasNaNStatistics()
    {
        Assert.Equal(0, Moments.Empty.Count);
        Assert.True(double.IsNaN(Moments.Empty.Variance));
        Assert.True(double.IsNaN(Moments.Empty.Min));
        Assert.Equal(Moments.Empty, Moments.Of([]));
    }

    [Fact]
    public void KnownValues_GivePopulationAndSampleVariance()
    {
        var m = Moments.Of([2, 4, 4, 4, 5, 5, 7, 9]);
        Assert.Equal(8, m.Count);
        Assert.Equal(5, m.Mean, 1e-12);
        Assert.Equal(4, m.Variance, 1e-12);
        Assert.Equal(32.0 / 7, m.SampleVariance, 1e-12);
        Assert.Equal(2, m.StandardDeviation, 1e-12);
        Assert.Equal(2, m.Min);
        Assert.Equal(9, m.Max);
        Assert.True(double.IsNaN(Moments.Of([1]).SampleVariance));
    }

    [Fact]
    public void OfSpan_AndWelford_AgreeWithTwoPassReference()
    {
        Spec(5000).Sample((shape, count, seed) =>
        {
            var values = Values(shape, Math.Max(1, count), seed);
            var welford = Moments.Empty;
            foreach (var x in values)
            {
                welford = welford.Add(x);
            }

            var mean = values.Average();
            var m2 = values.Sum(x => (x - mean) * (x - mean));
            foreach (var m in new[] { Moments.Of(values), welford })
            {
                Assert.Equal(values.Length, m.Count);
                Assert.Equal(values.Min(), m.Min);
                Assert.Equal(values.Max(), m.Max);
                AssertClose(mean, m.Mean, Scale(values));
                AssertClose(m2, m.M2, m2 + (Scale(values) * Scale(values)));
            }
        });
    }

    [Fact]
    public void Merge_IsCommutativeBitForBit_AndAssociativeUpToRounding()
    {
        Gen.Select(Spec(2000), Spec(2000), Spec(2000)).Sample((a, b, c) =>
        {
            var va = Values(a.Shape, a.Count, a.Seed);
            var vb = Values(b.Shape, b.Count, b.Seed);
            var vc = Values(c.Shape, c.Count, c.Seed);
            var (ma, mb, mc) = (Moments.Of(va), Moments.Of(vb), Moments.Of(vc));
            Assert.Equal(Moments.Merge(ma, mb), Moments.Merge(mb, ma));
            var left = Moments.Merge(Moments.Merge(ma, mb), mc);
            var right = Moments.Merge(ma, Moments.Merge(mb, mc));
            var union = Moments.Of([.. va, .. vb, .. vc]);
            foreach (var m in new[] { left, right })
            {
                Assert.Equal(union.Count, m.Count);
                Assert.Equal(union.Min, m.Min);
                Assert.Equal(union.Max, m.Max);
                var scale = Scale([.. va, .. vb, .. vc]);
                AssertClose(union.Mean, m.Mean, scale);
                AssertClose(union.M2, m.M2, union.M2 + (scale * scale));
            }
        });
    }

    [Fact]
    public void Merge_WithEmpty_IsIdentity()
    {
        var m = Moments.Of([1, 2, 3]);
        Assert.Equal(m, Moments.Merge(m, Moments.Empty));
        Assert.Equal(m, Moments.Merge(Moments.Empty, m));
    }

    [Fact]
    public void LargeOffset_KeepsVarianceAccurate()
    {
        // Naive Σx² − n·mean² loses everything here; Welford, two-pass and Chan's merge do not.
        var values = Enumerable.Range(0, 10_000).Select(i => 1e9 + (i % 2)).ToArray();
        Assert.Equal(0.25, Moments.Of(values).Variance, 1e-9);
        var merged = Moments.Merge(Moments.Of(values.AsSpan(0, 3333)), Moments.Of(values.AsSpan(3333)));
        Assert.Equal(0.25, merged.Variance, 1e-9);
    }

    private static double Scale(double[] values) => values.Length == 0 ? 1 : Math.Max(1, values.Max(Math.Abs));

    private static void AssertClose(double expected, double actual, double scale) =>
        Assert.True(Math.Abs(expected - actual) <= 1e-9 * scale, $"expected {expected}, got {actual} (scale {scale})");
}

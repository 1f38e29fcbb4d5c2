using Vigil.Statistics;

namespace Vigil.Core.Tests.Statistics;

/// <summary>Numeric statistics against numpy/scipy on the committed vectors (scripts/reference/drift_vectors.py).</summary>
public sealed class NumericVectorTests
{
    private static NumericVector Case(string name) => ReferenceVectors.Numeric.Single(c => c.Name == name);

    [Theory]
    [MemberData(nameof(ReferenceVectors.NumericNames), MemberType = typeof(ReferenceVectors))]
    public void BinEdges_MatchNumpyQuantileExactly(string name)
    {
        var vector = Case(name);

        var edges = NumericBins.Edges(vector.SortedBaseline());

        // Bit for bit: numpy.unique(numpy.quantile(baseline, arange(1, 10) / 10)).
        Assert.Equal(vector.BinEdges, edges);
        Assert.Equal(vector.CountsBaseline, NumericBins.CountValues(edges, vector.Baseline));
        Assert.Equal(vector.CountsCurrent, NumericBins.CountValues(edges, vector.Current));
    }

    [Theory]
    [MemberData(nameof(ReferenceVectors.NumericNames), MemberType = typeof(ReferenceVectors))]
    public void Psi_MatchesTheReferenceFormula(string name)
    {
        var vector = Case(name);

        var psi = Psi.FromCounts(vector.CountsBaseline, vector.CountsCurrent);

        ReferenceVectors.Close(vector.Psi, psi, $"{name} PSI");
    }

    [Theory]
    [MemberData(nameof(ReferenceVectors.NumericNames), MemberType = typeof(ReferenceVectors))]
    public void JensenShannon_MatchesScipy(string name)
    {
        var vector = Case(name);

        var js = JensenShannon.Distance(vector.CountsBaseline, vector.CountsCurrent);

        ReferenceVectors.Close(vector.JsDistance, js, $"{name} JS distance");
    }

    [Theory]
    [MemberData(nameof(ReferenceVectors.NumericNames), MemberType = typeof(ReferenceVectors))]
    public void Wasserstein_MatchesScipy(string name)
    {
        var vector = Case(name);

        var distance = Wasserstein.Distance(vector.SortedBaseline(), vector.SortedCurrent());
        var sigma = Wasserstein.PopulationStandardDeviation(vector.Baseline);

        ReferenceVectors.Close(vector.Wasserstein, distance, $"{name} Wasserstein");
        ReferenceVectors.Close(vector.StdBaseline, sigma, $"{name} σ baseline");
        ReferenceVectors.Close(vector.WassersteinNormalized, Wasserstein.Normalized(distance, sigma), $"{name} Wasserstein normalized");
    }

    [Theory]
    [MemberData(nameof(ReferenceVectors.NumericNames), MemberType = typeof(ReferenceVectors))]
    public void KolmogorovSmirnov_StatisticMatchesScipyAndPValueIsWithinTolerance(string name)
    {
        var vector = Case(name);

        var ks = KolmogorovSmirnov.Test(vector.SortedBaseline(), vector.SortedCurrent());

        ReferenceVectors.Close(vector.KsStatistic, ks.Statistic, $"{name} D");
        Assert.Equal(vector.KsScipyMethod == "exact" ? KsPValueMethod.Exact : KsPValueMethod.Asymptotic, ks.Method);
        if (ks.Method == KsPValueMethod.Exact)
        {
            // Same lattice-path probability as scipy's method="exact": far tighter than DESIGN's 0.005.
            ReferenceVectors.Close(vector.KsPValue, ks.PValue, $"{name} exact p", relative: 1e-8);
        }
        else
        {
            // DESIGN's formula, Stephens' correction on the Kolmogorov distribution, reproduced to rounding ...
            ReferenceVectors.Close(vector.KsPValueStephens!.Value, ks.PValue, $"{name} Stephens p");

            // ... and scipy's method="asymp" (one-sample kstwo at round(n·m/(n+m))) is a different approximation:
            // docs/drift.md records how far apart they are (up to 0.0055 for p near 0.6 just above n·m = 10⁶).
            Assert.True(Math.Abs(ks.PValue - vector.KsPValue) <= AsymptoticTolerance(vector.KsPValue), $"{name}: p {ks.PValue} vs scipy asymp {vector.KsPValue}");
        }
    }

    [Fact]
    public void KolmogorovSmirnov_ExactAndAsymptotic_AgreeWithScipyWithinDesignToleranceWhereDecisionsAreMade()
    {
        // Below p = 0.2 (every α anyone uses) DESIGN's 0.005 holds for every committed vector, exact or asymptotic.
        foreach (var vector in ReferenceVectors.Numeric.Where(v => v.KsPValue < 0.2))
        {
            var ks = KolmogorovSmirnov.Test(vector.SortedBaseline(), vector.SortedCurrent());
            Assert.True(Math.Abs(ks.PValue - vector.KsPValue) <= ReferenceVectors.KsPValueTolerance, $"{vector.Name}: {ks.PValue} vs {vector.KsPValue}");
        }
    }

    [Fact]
    public void KolmogorovSmirnov_EqualSizes_SquareFormulaAgreesWithLatticeWalk()
    {
        // n == m uses the reflection formula; n = m + 1 the lattice walk. The p-values of neighbouring sizes must be close.
        var random = new Random(7);
        var a = Enumerable.Range(0, 200).Select(_ => random.NextDouble()).Order().ToArray();
        var b = Enumerable.Range(0, 200).Select(_ => random.NextDouble() + 0.1).Order().ToArray();
        var square = KolmogorovSmirnov.Test(a, b);
        var walk = KolmogorovSmirnov.Test(a, b[..199]);

        Assert.Equal(KsPValueMethod.Exact, square.Method);
        Assert.InRange(Math.Abs(square.PValue - walk.PValue), 0, 0.05);
    }

    [Fact]
    public void KolmogorovSmirnov_SwappedSamples_GiveTheSameResult()
    {
        var vector = Case("coprime_sizes_97_vs_89");

        var forward = KolmogorovSmirnov.Test(vector.SortedBaseline(), vector.SortedCurrent());
        var backward = KolmogorovSmirnov.Test(vector.SortedCurrent(), vector.SortedBaseline());

        Assert.Equal(forward, backward);
    }

    [Fact]
    public void KolmogorovSmirnov_ExactBoundary_IsNTimesMAtMostOneMillion()
    {
        var a = Enumerable.Range(0, 1000).Select(i => (double)i).ToArray();
        var b = Enumerable.Range(0, 1001).Select(i => i + 0.5).ToArray();

        Assert.Equal(KsPValueMethod.Exact, KolmogorovSmirnov.Test(a, a).Method);
        Assert.Equal(KsPValueMethod.Asymptotic, KolmogorovSmirnov.Test(a, b).Method);
    }

    [Fact]
    public void Psi_Bands_FollowDesign()
    {
        Assert.Equal(PsiBand.Stable, Psi.Band(0.0999));
        Assert.Equal(PsiBand.Moderate, Psi.Band(0.1));
        Assert.Equal(PsiBand.Moderate, Psi.Band(0.2499));
        Assert.Equal(PsiBand.Major, Psi.Band(0.25));
    }

    [Fact]
    public void Quantiles_Linear_InterpolatesBetweenOrderStatistics()
    {
        double[] sorted = [1, 2, 4, 8];

        Assert.Equal(1, Quantiles.Linear(sorted, 0));
        Assert.Equal(8, Quantiles.Linear(sorted, 1));
        Assert.Equal(3, Quantiles.Linear(sorted, 0.5));
        Assert.Equal(1.3, Quantiles.Linear(sorted, 0.1), 15);
        Assert.Throws<ArgumentException>(() => Quantiles.Linear([], 0.5));
    }

    [Fact]
    public void NumericBins_ValueOnAnEdge_FallsInTheBinClosedOnTheRight()
    {
        double[] edges = [1, 2, 3];

        Assert.Equal(0, NumericBins.BinOf(edges, 1));
        Assert.Equal(1, NumericBins.BinOf(edges, 1.5));
        Assert.Equal(1, NumericBins.BinOf(edges, 2));
        Assert.Equal(3, NumericBins.BinOf(edges, 3.0001));
        Assert.Equal(0, NumericBins.BinOf(edges, double.MinValue));
    }

    [Fact]
    public void Deviations_AreReported()
    {
        // Not an assertion of its own: prints the largest deviation from the reference per statistic for docs/drift.md.
        var output = TestContext.Current.TestOutputHelper!;
        var psi = 0.0;
        var js = 0.0;
        var w = 0.0;
        var wn = 0.0;
        var d = 0.0;
        var exact = 0.0;
        var stephens = 0.0;
        var asymp = 0.0;
        foreach (var v in ReferenceVectors.Numeric)
        {
            var counts = (NumericBins.CountValues(v.BinEdges, v.Baseline), NumericBins.CountValues(v.BinEdges, v.Current));
            psi = Math.Max(psi, ReferenceVectors.Deviation(v.Psi, Psi.FromCounts(counts.Item1, counts.Item2)));
            js = Math.Max(js, ReferenceVectors.Deviation(v.JsDistance, JensenShannon.Distance(counts.Item1, counts.Item2)));
            var distance = Wasserstein.Distance(v.SortedBaseline(), v.SortedCurrent());
            w = Math.Max(w, ReferenceVectors.Deviation(v.Wasserstein, distance));
            wn = Math.Max(wn, ReferenceVectors.Deviation(v.WassersteinNormalized, Wasserstein.Normalized(distance, Wasserstein.PopulationStandardDeviation(v.Baseline))));
            var ks = KolmogorovSmirnov.Test(v.SortedBaseline(), v.SortedCurrent());
            d = Math.Max(d, ReferenceVectors.Deviation(v.KsStatistic, ks.Statistic));
            if (ks.Method == KsPValueMethod.Exact)
            {
                exact = Math.Max(exact, ReferenceVectors.Deviation(v.KsPValue, ks.PValue));
            }
            else
            {
                stephens = Math.Max(stephens, ReferenceVectors.Deviation(v.KsPValueStephens!.Value, ks.PValue));
                asymp = Math.Max(asymp, Math.Abs(v.KsPValue - ks.PValue));
            }
        }

        output.WriteLine($"relative: psi {psi:E2}, js {js:E2}, wasserstein {w:E2}, normalized {wn:E2}, D {d:E2}, exact p {exact:E2}, Stephens p {stephens:E2}; absolute vs scipy asymp p {asymp:E2}");
        Assert.True(psi < ReferenceVectors.Relative);
    }

    /// <summary>
    /// DESIGN's 0.005, except where Stephens' approximation and scipy's one-sample kstwo are known to part most: the
    /// middle of the distribution (p between 0.2 and 0.9), where they differ by up to 0.0055 near n·m = 10⁶ and no
    /// decision is made. docs/drift.md and the report to the lead record this.
    /// </summary>
    private static double AsymptoticTolerance(double scipyP) => scipyP is > 0.2 and < 0.9 ? 0.006 : ReferenceVectors.KsPValueTolerance;
}

using Vigil.Statistics;

namespace Vigil.Core.Tests.Statistics;

/// <summary>The special functions behind the p-values, against scipy.stats.chi2.sf and scipy.special.kolmogorov.</summary>
public sealed class SpecialFunctionTests
{
    [Fact]
    public void ChiSquaredSurvival_MatchesScipyOnTheGrid()
    {
        foreach (var v in ReferenceVectors.SpecialFunctions.Chi2Sf)
        {
            // Relative 1e-9 down to scipy's smallest normal values; below 1e-300 both are rounding to zero.
            if (v.Sf < 1e-300)
            {
                Assert.InRange(SpecialFunctions.ChiSquaredSurvival(v.X, v.Dof), 0, 1e-290);
                continue;
            }

            ReferenceVectors.Close(v.Sf, SpecialFunctions.ChiSquaredSurvival(v.X, v.Dof), $"chi2.sf({v.X}, {v.Dof})");
        }
    }

    [Fact]
    public void KolmogorovSurvival_MatchesScipyOnTheGrid()
    {
        foreach (var v in ReferenceVectors.SpecialFunctions.KolmogorovSf)
        {
            ReferenceVectors.Close(v.Sf, SpecialFunctions.KolmogorovSurvival(v.X), $"kolmogorov({v.X})");
        }
    }

    [Theory]
    // Expected values from Python's math.lgamma.
    [InlineData(1.0, 0.0)]
    [InlineData(2.0, 0.0)]
    [InlineData(0.5, 0.5723649429247004)]
    [InlineData(10.0, 12.801827480081467)]
    [InlineData(250.5, 1131.284001332255)]
    public void LogGamma_MatchesKnownValues(double x, double expected) =>
        ReferenceVectors.Close(expected, SpecialFunctions.LogGamma(x), $"lgamma({x})", relative: 1e-13);

    [Fact]
    public void Deviations_AreReported()
    {
        var output = TestContext.Current.TestOutputHelper!;
        var chi2 = ReferenceVectors.SpecialFunctions.Chi2Sf.Where(v => v.Sf >= 1e-300)
            .Max(v => ReferenceVectors.Deviation(v.Sf, SpecialFunctions.ChiSquaredSurvival(v.X, v.Dof)));
        var kolmogorov = ReferenceVectors.SpecialFunctions.KolmogorovSf
            .Max(v => ReferenceVectors.Deviation(v.Sf, SpecialFunctions.KolmogorovSurvival(v.X)));
        output.WriteLine($"relative: chi2.sf {chi2:E2}, kolmogorov {kolmogorov:E2}");
        Assert.True(chi2 < ReferenceVectors.Relative);
    }
}

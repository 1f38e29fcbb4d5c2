using Vigil.Statistics;

namespace Vigil.Core.Tests.Statistics;

/// <summary>Categorical statistics against scipy on the committed vectors (scripts/reference/drift_vectors.py).</summary>
public sealed class CategoricalVectorTests
{
    private static CategoricalVector Case(string name) => ReferenceVectors.Categorical.Single(c => c.Name == name);

    [Theory]
    [MemberData(nameof(ReferenceVectors.CategoricalNames), MemberType = typeof(ReferenceVectors))]
    public void Psi_OverTheUnionOfCategories_MatchesTheReferenceFormula(string name)
    {
        var (baseline, current) = Case(name).Table();

        ReferenceVectors.Close(Case(name).Psi, Psi.FromCounts(baseline, current), $"{name} PSI");
    }

    [Theory]
    [MemberData(nameof(ReferenceVectors.CategoricalNames), MemberType = typeof(ReferenceVectors))]
    public void JensenShannon_MatchesScipy(string name)
    {
        var (baseline, current) = Case(name).Table();

        ReferenceVectors.Close(Case(name).JsDistance, JensenShannon.Distance(baseline, current), $"{name} JS distance");
    }

    [Theory]
    [MemberData(nameof(ReferenceVectors.CategoricalNames), MemberType = typeof(ReferenceVectors))]
    public void ChiSquared_MatchesScipyChi2Contingency(string name)
    {
        var vector = Case(name);
        var (baseline, current) = vector.Table();

        var result = ChiSquared.Homogeneity(baseline, current);

        ReferenceVectors.Close(vector.Chi2Statistic, result.Statistic, $"{name} χ²");
        ReferenceVectors.Close(vector.Chi2PValue, result.PValue, $"{name} χ² p");
        Assert.Equal(vector.Chi2Dof, result.DegreesOfFreedom);
    }

    [Fact]
    public void ChiSquared_CategoryWithNoCountOnEitherSide_IsRejected() =>
        Assert.Throws<ArgumentException>(() => ChiSquared.Homogeneity([1, 0, 2], [3, 0, 1]));

    [Fact]
    public void Psi_EmptySide_IsRejected() =>
        Assert.Throws<ArgumentException>(() => Psi.FromCounts([0, 0], [1, 2]));

    [Fact]
    public void Deviations_AreReported()
    {
        var output = TestContext.Current.TestOutputHelper!;
        double psi = 0, js = 0, chi2 = 0, p = 0;
        foreach (var v in ReferenceVectors.Categorical)
        {
            var (b, c) = v.Table();
            psi = Math.Max(psi, ReferenceVectors.Deviation(v.Psi, Psi.FromCounts(b, c)));
            js = Math.Max(js, ReferenceVectors.Deviation(v.JsDistance, JensenShannon.Distance(b, c)));
            var result = ChiSquared.Homogeneity(b, c);
            chi2 = Math.Max(chi2, ReferenceVectors.Deviation(v.Chi2Statistic, result.Statistic));
            p = Math.Max(p, ReferenceVectors.Deviation(v.Chi2PValue, result.PValue));
        }

        output.WriteLine($"relative: psi {psi:E2}, js {js:E2}, chi2 {chi2:E2}, chi2 p {p:E2}");
        Assert.True(chi2 < ReferenceVectors.Relative);
    }
}

using Vigil.Statistics;

namespace Vigil.Core.Tests.Statistics;

public sealed class MultipleTestingTests
{
    public static TheoryData<int> Cases() => [.. Enumerable.Range(0, ReferenceVectors.MultipleTesting.Count)];

    [Theory]
    [MemberData(nameof(Cases))]
    public void BenjaminiHochberg_MatchesReference(int index)
    {
        var vector = ReferenceVectors.MultipleTesting[index];

        var adjusted = MultipleTesting.BenjaminiHochberg(vector.PValues);

        for (var i = 0; i < adjusted.Length; i++)
        {
            ReferenceVectors.Close(vector.BenjaminiHochberg[i], adjusted[i], $"case {index} BH[{i}] ({vector.BhReference})");
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Bonferroni_MatchesReference(int index)
    {
        var vector = ReferenceVectors.MultipleTesting[index];

        var adjusted = MultipleTesting.Bonferroni(vector.PValues);

        for (var i = 0; i < adjusted.Length; i++)
        {
            ReferenceVectors.Close(vector.Bonferroni[i], adjusted[i], $"case {index} Bonferroni[{i}]");
        }
    }

    [Fact]
    public void BenjaminiHochberg_IsMonotoneInThePValues_AndNeverBelowTheRawValue()
    {
        var random = new Random(11);
        for (var run = 0; run < 50; run++)
        {
            var ps = Enumerable.Range(0, random.Next(1, 40)).Select(_ => random.NextDouble() * random.NextDouble()).ToArray();
            var adjusted = MultipleTesting.BenjaminiHochberg(ps);
            var order = Enumerable.Range(0, ps.Length).OrderBy(i => ps[i]).ToArray();
            for (var k = 1; k < order.Length; k++)
            {
                Assert.True(adjusted[order[k]] >= adjusted[order[k - 1]]);
            }

            Assert.All(Enumerable.Range(0, ps.Length), i => Assert.InRange(adjusted[i], ps[i], 1.0));
        }
    }

    [Fact]
    public void Adjust_RejectsValuesOutsideZeroToOne()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => MultipleTesting.BenjaminiHochberg([0.5, 1.5]));
        Assert.Throws<ArgumentOutOfRangeException>(() => MultipleTesting.Bonferroni([double.NaN]));
    }

    [Fact]
    public void Adjust_None_KeepsTheValues() =>
        Assert.Equal([0.2, 0.01], MultipleTesting.Adjust([0.2, 0.01], MultipleTestingCorrection.None));
}

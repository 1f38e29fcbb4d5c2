using System.Text;
using CsCheck;
using Vigil.Profiles;

namespace Vigil.Core.Tests.Profiles;

public sealed class DistinctCountTests(ITestOutputHelper output)
{
    /// <summary>Reference vectors of MurmurHash3_x64_128 (h1), from the C++ reference as Guava's and DataSketches' tests list them.</summary>
    [Theory]
    [InlineData(0, 0x629942693e10f867UL, "hell")]
    [InlineData(1, 0xa78ddff5adae8d10UL, "hello")]
    [InlineData(2, 0x8a486b23f422e826UL, "hello ")]
    [InlineData(3, 0x2ea59f466f6bed8cUL, "hello w")]
    [InlineData(4, 0x79f6305a386c572cUL, "hello wo")]
    [InlineData(5, 0xc2219d213ec1f1b5UL, "hello wor")]
    [InlineData(0, 0xe34bbc7bbc071b6cUL, "The quick brown fox jumps over the lazy dog")]
    [InlineData(0, 0x658ca970ff85269aUL, "The quick brown fox jumps over the lazy cog")]
    [InlineData(0, 0UL, "")]
    public void Murmur3_MatchesReferenceVectors(ulong seed, ulong h1, string input) =>
        Assert.Equal(h1, Murmur3x64.Hash(Encoding.UTF8.GetBytes(input), seed));

    [Fact]
    public void Estimate_For100000Distinct_IsWithinThreeSigma()
    {
        var errors = new List<double>();
        for (var run = 0; run < 10; run++)
        {
            var sketch = new DistinctCount();
            for (var i = 0; i < 100_000; i++)
            {
                sketch.Add($"run{run}-user-{i}");
                sketch.Add($"run{run}-user-{i / 2}"); // repeats do not count
            }

            var error = (sketch.Estimate() / 100_000) - 1;
            errors.Add(error);
            Assert.InRange(Math.Abs(error), 0, 3 * sketch.StandardError);
        }

        output.WriteLine($"p=12, 10 runs of 100000 distinct: relative errors {string.Join(", ", errors.Select(e => e.ToString("P2")))}; σ = {new DistinctCount().StandardError:P2}");
    }

    [Fact]
    public void Estimate_AcrossTheRange_IsWithinThreeSigma()
    {
        // Small range (linear counting territory), the transition around 2.5m, and large counts.
        var sketch = new DistinctCount();
        var checkpoints = new HashSet<int> { 1, 10, 100, 1000, 5000, 10_000, 20_000, 50_000, 200_000, 1_000_000 };
        for (var i = 1; i <= 1_000_000; i++)
        {
            sketch.Add("item:" + i);
            if (checkpoints.Contains(i))
            {
                var tolerance = Math.Max(3 * sketch.StandardError * i, 1);
                Assert.InRange(sketch.Estimate(), i - tolerance, i + tolerance);
            }
        }
    }

    [Fact]
    public void Empty_EstimatesZero() => Assert.Equal(0, new DistinctCount().Estimate());

    [Fact]
    public void Merge_EqualsTheSketchOfTheUnion_AndIsCommutativeAssociativeIdempotent()
    {
        var words = Gen.String[0, 12].Array[0, 3000];
        Gen.Select(words, words, words).Sample((a, b, c) =>
        {
            var (sa, sb, sc) = (Of(a), Of(b), Of(c));
            var union = Of([.. a, .. b, .. c]).Serialize();
            var left = sa.Clone();
            left.Merge(sb);
            left.Merge(sc);
            var right = sb.Clone();
            right.Merge(sc);
            right.Merge(sa);
            right.Merge(right);
            Assert.Equal(union, left.Serialize());
            Assert.Equal(union, right.Serialize());
        }, iter: 50);
    }

    [Fact]
    public void Serialize_RoundTrips_SparseAndDense()
    {
        foreach (var distinct in new[] { 0, 5, 500, 100_000 })
        {
            var sketch = Of([.. Enumerable.Range(0, distinct).Select(i => "k" + i)]);
            var bytes = sketch.Serialize();
            Assert.Equal(sketch.SerializedSize, bytes.Length);
            var copy = DistinctCount.Deserialize(bytes).Unwrap();
            Assert.Equal(bytes, copy.Serialize());
            Assert.Equal(sketch.Estimate(), copy.Estimate());
            Assert.True(bytes.Length <= 3 + 4096);
        }

        Assert.True(Of(["a", "b"]).SerializedSize < 16);
    }

    [Fact]
    public void Deserialize_CorruptBytes_IsAFailure()
    {
        var bytes = Of(["a", "b", "c"]).Serialize();
        Assert.False(DistinctCount.Deserialize(bytes.AsSpan(0, bytes.Length - 1)).IsSuccess);
        Assert.False(DistinctCount.Deserialize([1, 40, 0]).IsSuccess);
        var tooHigh = new byte[3 + 4096];
        tooHigh[0] = 1;
        tooHigh[1] = 12;
        tooHigh[3] = 60;
        Assert.False(DistinctCount.Deserialize(tooHigh).IsSuccess);
    }

    [Fact]
    public void Merge_DifferentPrecision_IsRejected() =>
        Assert.Throws<ArgumentException>(() => new DistinctCount(12).Merge(new DistinctCount(10)));

    private static DistinctCount Of(string[] values)
    {
        var sketch = new DistinctCount();
        foreach (var value in values)
        {
            sketch.Add(value);
        }

        return sketch;
    }
}

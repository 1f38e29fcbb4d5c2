using System.Text;
using System.Text.Json;
using CsCheck;
using Vigil.Routing.Flags;

namespace Vigil.Core.Tests.Routing;

public sealed class BucketingTests
{
    /// <summary>
    /// The 0.999 quantile of the chi-squared distribution with 99 degrees of freedom (100 buckets − 1), computed with
    /// Debian's python3-scipy 1.10.1: <c>scipy.stats.chi2.ppf(0.999, 99)</c> = 148.23035916510173.
    /// </summary>
    private const double ChiSquared999With99Df = 148.23035916510173;

    /// <summary>The two-sided 0.999 normal quantile, <c>scipy.stats.norm.ppf(0.9995)</c> = 3.2905267314919255.</summary>
    private const double Z999 = 3.2905267314919255;

    private const int UniformityKeys = 1_000_000;

    /// <summary>Buckets of <c>user-0 … user-999999</c> under salt <c>uniformity</c>, computed once for the distribution tests.</summary>
    private static readonly Lazy<int[]> UniformityBuckets = new(() =>
    {
        var buckets = new int[UniformityKeys];
        Span<char> key = stackalloc char[32];
        "user-".CopyTo(key);
        for (var i = 0; i < UniformityKeys; i++)
        {
            i.TryFormat(key[5..], out var written);
            buckets[i] = Bucketing.Bucket("uniformity", key[..(5 + written)]);
        }

        return buckets;
    });

    public static TheoryData<string, uint> HashVectors() => Load("hashes", e => (e.GetProperty("input").GetString()!, e.GetProperty("hash").GetUInt32()));

    public static TheoryData<string, string, int> BucketVectors() =>
        Load("buckets", e => (e.GetProperty("salt").GetString()!, e.GetProperty("key").GetString()!, e.GetProperty("bucket").GetInt32()));

    [Theory]
    [MemberData(nameof(HashVectors))]
    public void Murmur3_MatchesReferenceVectors(string input, uint expected)
    {
        Assert.Equal(expected, Murmur3.Hash32(input));
        Assert.Equal(expected, Murmur3.Hash32(Encoding.UTF8.GetBytes(input)));
    }

    [Theory]
    [InlineData("", 0u, 0x00000000u)]
    [InlineData("", 1u, 0x514E28B7u)]
    [InlineData("", 0xFFFFFFFFu, 0x81F16F39u)]
    [InlineData("aaaa", 0x9747B28Cu, 0x5A97808Au)]
    [InlineData("Hello, world!", 0x9747B28Cu, 0x24884CBAu)]
    [InlineData("The quick brown fox jumps over the lazy dog", 0x9747B28Cu, 0x2FA826CDu)]
    [InlineData("hello", 0u, 0x248BFA47u)]
    public void Murmur3_MatchesPublishedSeededVectors(string input, uint seed, uint expected) =>
        Assert.Equal(expected, Murmur3.Hash32(Encoding.UTF8.GetBytes(input), seed));

    [Theory]
    [InlineData(new byte[] { 0x21, 0x43, 0x65, 0x87 }, 0xF55B516Bu)]
    [InlineData(new byte[] { 0x21, 0x43, 0x65 }, 0x7E4A8634u)]
    [InlineData(new byte[] { 0x21, 0x43 }, 0xA0F7B07Au)]
    [InlineData(new byte[] { 0x21 }, 0x72661CF4u)]
    [InlineData(new byte[] { 0, 0, 0, 0 }, 0x2362F9DEu)]
    [InlineData(new byte[] { 0xFF, 0xFF, 0xFF, 0xFF }, 0x76293B50u)]
    public void Murmur3_TailBytes_MatchPublishedVectors(byte[] input, uint expected) => Assert.Equal(expected, Murmur3.Hash32(input));

    [Fact]
    public void Murmur3_LongText_UsesPooledBufferAndAgreesWithBytes()
    {
        var text = string.Concat(Enumerable.Repeat("日本語-ß-", 200));
        Assert.True(text.Length > 256);
        Assert.Equal(Murmur3.Hash32(Encoding.UTF8.GetBytes(text)), Murmur3.Hash32(text));
    }

    [Theory]
    [MemberData(nameof(BucketVectors))]
    public void Bucket_MatchesReferenceVectors(string salt, string key, int expected) => Assert.Equal(expected, Bucketing.Bucket(salt, key));

    [Fact]
    public void Bucket_SurrogatePairSplitAcrossSaltAndKey_HashesTheConcatenation()
    {
        var emoji = "😀";
        Assert.Equal(Bucketing.FromHash(Murmur3.Hash32("salt" + emoji)), Bucketing.Bucket("salt" + emoji[0], emoji.AsSpan(1)));
    }

    [Fact]
    public void FromHash_CoversTheWholeRangeWithUnsignedArithmetic()
    {
        Assert.Equal(0, Bucketing.FromHash(0));
        Assert.Equal(999_999, Bucketing.FromHash(uint.MaxValue));
        Assert.Equal(500_000, Bucketing.FromHash(0x8000_0000));
    }

    [Fact]
    public void IsIn_WeightZeroAndFull_AreNoneAndAll()
    {
        Gen.String.Sample(key =>
        {
            Assert.False(Bucketing.IsIn("salt", key, 0));
            Assert.True(Bucketing.IsIn("salt", key, Bucketing.Scale));
        });
    }

    [Fact]
    public void IsIn_IsMonotoneInTheWeight()
    {
        Gen.Select(Gen.String, Gen.String, Gen.Int[0, Bucketing.Scale], Gen.Int[0, Bucketing.Scale]).Sample((salt, key, a, b) =>
        {
            var (low, high) = a <= b ? (a, b) : (b, a);
            if (Bucketing.IsIn(salt, key, low))
            {
                Assert.True(Bucketing.IsIn(salt, key, high), $"'{key}' is in at {low} ppm but not at {high} ppm");
            }
        });
    }

    [Fact]
    public void IsIn_OnePercentCohortStaysInAtFivePercent()
    {
        for (var i = 0; i < 100_000; i++)
        {
            var key = "user-" + i;
            if (Bucketing.IsIn("new-ranker", key, 10_000))
            {
                Assert.True(Bucketing.IsIn("new-ranker", key, 50_000));
            }
        }
    }

    [Fact]
    public void Bucket_IsStickyForTheSameSaltAndKey() =>
        Gen.Select(Gen.String, Gen.String).Sample((salt, key) => Assert.Equal(Bucketing.Bucket(salt, key), Bucketing.Bucket(new string(salt), new string(key))));

    [Fact]
    public void Salt_ChangesTheAssignment_CohortsOfTwoSaltsAreIndependent()
    {
        // Over 10,000 keys, the 50% cohorts of two different salts share about 25% of the keys (independence);
        // 6 standard deviations (sd = sqrt(n·0.25·0.75) ≈ 43) bound the count for every sampled pair.
        const int n = 10_000;
        var keys = Enumerable.Range(0, n).Select(i => "session-" + i).ToArray();
        var salts = Gen.Select(Gen.String.AlphaNumeric, Gen.String.AlphaNumeric).Where((a, b) => a != b);
        salts.Sample((a, b) =>
        {
            var both = 0;
            var same = 0;
            foreach (var key in keys)
            {
                var bucketA = Bucketing.Bucket(a, key);
                var bucketB = Bucketing.Bucket(b, key);
                both += bucketA < 500_000 && bucketB < 500_000 ? 1 : 0;
                same += bucketA == bucketB ? 1 : 0;
            }

            var sd = Math.Sqrt(n * 0.25 * 0.75);
            Assert.InRange(both, (n * 0.25) - (6 * sd), (n * 0.25) + (6 * sd));
            Assert.True(same < 5, $"salts '{a}' and '{b}' gave {same} equal buckets");
        }, iter: 50);
    }

    [Fact]
    public void Buckets_AreUniform_ChiSquaredOverOneMillionKeysIn100Buckets()
    {
        var counts = new long[100];
        foreach (var bucket in UniformityBuckets.Value)
        {
            counts[bucket / 10_000]++;
        }

        const double expected = UniformityKeys / 100.0;
        var chi2 = counts.Sum(c => (c - expected) * (c - expected) / expected);
        Assert.True(chi2 < ChiSquared999With99Df, $"chi-squared {chi2:F2} ≥ {ChiSquared999With99Df:F2} (0.999 critical value, 99 df)");
    }

    [Theory]
    [InlineData(10_000)]
    [InlineData(50_000)]
    [InlineData(500_000)]
    public void ShareInCohort_IsTheWeightWithinBinomialTolerance(int weightPpm)
    {
        var inside = UniformityBuckets.Value.Count(b => b < weightPpm);
        var p = weightPpm / (double)Bucketing.Scale;
        var mean = UniformityKeys * p;
        var tolerance = Z999 * Math.Sqrt(UniformityKeys * p * (1 - p));
        Assert.InRange(inside, mean - tolerance, mean + tolerance);
    }

    [Theory]
    [InlineData(0.0, 0)]
    [InlineData(1.0, 10_000)]
    [InlineData(0.1, 1_000)]
    [InlineData(12.3456, 123_456)]
    [InlineData(0.0001, 1)]
    [InlineData(100.0, 1_000_000)]
    public void TryPercentToPpm_ConvertsExactly(double percent, int ppm)
    {
        Assert.True(Bucketing.TryPercentToPpm(percent, out var got));
        Assert.Equal(ppm, got);
        Assert.Equal(percent, Bucketing.PpmToPercent(ppm), 1e-12);
    }

    [Theory]
    [InlineData(-0.5)]
    [InlineData(100.5)]
    [InlineData(0.00001)]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    public void TryPercentToPpm_RefusesOutOfRangeOrTooFine(double percent) => Assert.False(Bucketing.TryPercentToPpm(percent, out _));

    [Fact]
    public void Bucket_DoesNotAllocate()
    {
        var key = "user-123456789";
        _ = Bucketing.Bucket("flag", key);
        var before = GC.GetAllocatedBytesForCurrentThread();
        var sum = 0L;
        for (var i = 0; i < 1_000; i++)
        {
            sum += Bucketing.Bucket("flag", key);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.True(sum > 0);
    }

    private static TheoryData<T1, T2> Load<T1, T2>(string section, Func<JsonElement, (T1, T2)> read)
    {
        var data = new TheoryData<T1, T2>();
        foreach (var item in Vectors.RootElement.GetProperty(section).EnumerateArray())
        {
            var (a, b) = read(item);
            data.Add(a, b);
        }

        return data;
    }

    private static TheoryData<T1, T2, T3> Load<T1, T2, T3>(string section, Func<JsonElement, (T1, T2, T3)> read)
    {
        var data = new TheoryData<T1, T2, T3>();
        foreach (var item in Vectors.RootElement.GetProperty(section).EnumerateArray())
        {
            var (a, b, c) = read(item);
            data.Add(a, b, c);
        }

        return data;
    }

    /// <summary>The committed vectors of scripts/reference/bucketing_vectors.py, read from the source tree.</summary>
    private static JsonDocument Vectors => LazyVectors.Value;

    private static readonly Lazy<JsonDocument> LazyVectors = new(() =>
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Vigil.slnx")))
            {
                return JsonDocument.Parse(File.ReadAllText(Path.Combine(dir.FullName, "tests", "Vigil.Core.Tests", "Routing", "Vectors", "bucketing.json")));
            }
        }

        throw new InvalidOperationException($"Vigil.slnx not found above {AppContext.BaseDirectory}; run the tests from the repository");
    });
}

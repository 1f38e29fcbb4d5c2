using CsCheck;
using Vigil.Profiles;
using static Vigil.Core.Tests.Profiles.ProfileData;

namespace Vigil.Core.Tests.Profiles;

public sealed class FeatureProfileTests(ITestOutputHelper output)
{
    private static readonly double RankBound = 2 * KllSketch.NormalizedRankError(200, allPoints: true);

    /// <summary>Numbers with nulls (NaN) and type errors (±∞) mixed in.</summary>
    private static readonly Gen<double[]> Dirty = Gen.Select(ProfileData.Spec(20_000), Gen.Int[0, 20])
        .Select((spec, dirtPercent) =>
        {
            var values = Values(spec.Shape, spec.Count, spec.Seed);
            var random = new Random(spec.Seed ^ 0x5bd1e995);
            for (var i = 0; i < values.Length; i++)
            {
                if (random.Next(100) < dirtPercent)
                {
                    values[i] = random.Next(3) switch { 0 => double.NaN, 1 => double.PositiveInfinity, _ => double.NegativeInfinity };
                }
            }

            return values;
        });

    [Fact]
    public void Add_CountsNaNAsNullAndInfinityAsTypeError()
    {
        var profile = FeatureProfile.CreateNumeric();
        foreach (var x in new[] { 1.0, double.NaN, 3.0, double.PositiveInfinity, double.NegativeInfinity })
        {
            profile.Add(x);
        }

        profile.AddNull();
        profile.AddTypeError();
        Assert.Equal((7L, 2L, 3L, 2L), (profile.Count, profile.Nulls, profile.TypeErrors, profile.ValidCount));
        Assert.Equal(2.0 / 7, profile.NullRate);
        Assert.Equal(2, profile.Moments.Mean);
        Assert.Equal(2, profile.Quantiles!.Count);
    }

    [Fact]
    public void Add_ValueOfTheOtherKind_IsCountedAsTypeError_NeverThrows()
    {
        // Issue 13: a feature seen as a number, then as a string, in one window threw here and stopped the server.
        var numeric = FeatureProfile.CreateNumeric();
        numeric.Add(1.0);
        numeric.Add("text");
        numeric.Add((string?)null);
        Assert.Equal((3L, 1L, 1L, 1L), (numeric.Count, numeric.Nulls, numeric.TypeErrors, numeric.ValidCount));
        Assert.Equal(1, numeric.Quantiles!.Count);

        var categorical = FeatureProfile.CreateCategorical();
        categorical.Add("a");
        categorical.Add(2.0);
        categorical.Fold([1.0, 2.0, double.NaN]);
        Assert.Equal((5L, 0L, 4L, 1L), (categorical.Count, categorical.Nulls, categorical.TypeErrors, categorical.ValidCount));
        Assert.Equal(1, categorical.FrequentItems!.Count);

        // Still a valid profile: it serializes and reads back with the same counts.
        var read = FeatureProfile.Deserialize(categorical.Serialize());
        Assert.True(read.IsSuccess, read.Failure?.Message);
        Assert.Equal((5L, 4L), (read.Value!.Count, read.Value.TypeErrors));
    }

    [Fact]
    public void Fold_EqualsAddingOneByOne()
    {
        Dirty.Sample(values =>
        {
            var folded = FeatureProfile.CreateNumeric(seed: 1);
            folded.Fold(values);
            var added = FeatureProfile.CreateNumeric(seed: 1);
            foreach (var x in values)
            {
                added.Add(x);
            }

            AssertExactPartsEqual(added, folded);
            AssertMomentsClose(added.Moments, folded.Moments);
            AssertQuantilesNear(values, folded);
        }, iter: 50);
    }

    [Fact]
    public void ProfileOfUnion_EqualsMergeOfProfiles_WithinTheDocumentedError()
    {
        Gen.Select(Dirty, Dirty, Dirty).Sample((a, b, c) =>
        {
            var union = Numeric([.. a, .. b, .. c], 0);
            var (pa, pb, pc) = (Numeric(a, 1), Numeric(b, 2), Numeric(c, 3));
            var left = pa.Clone();
            left.Merge(pb);
            left.Merge(pc);
            var right = pc.Clone();
            var ba = pb.Clone();
            ba.Merge(pa);
            right.Merge(ba);
            foreach (var merged in new[] { left, right })
            {
                AssertExactPartsEqual(union, merged);
                AssertMomentsClose(union.Moments, merged.Moments);
                AssertQuantilesNear([.. a, .. b, .. c], merged);
            }
        }, iter: 40);
    }

    [Fact]
    public void CategoricalProfileOfUnion_EqualsMergeOfProfiles()
    {
        // Mostly a few dozen short labels, some arbitrary (long, non-ASCII) strings, some nulls.
        var labels = Gen.Select(Gen.Int[0, 9], Gen.Int[0, 40], Gen.String[0, 80])
            .Select((kind, small, text) => kind < 7 ? "c" + small : kind < 9 ? text : null)
            .Array[0, 2000];
        Gen.Select(labels, labels, labels).Sample((a, b, c) =>
        {
            var union = Categorical([.. a, .. b, .. c]);
            var merged = Categorical(a);
            var bc = Categorical(b);
            bc.Merge(Categorical(c));
            merged.Merge(bc);
            AssertExactPartsEqual(union, merged);
            Assert.Equal(union.Distinct!.Serialize(), merged.Distinct!.Serialize());
            var n = union.ValidCount;
            Assert.InRange(merged.FrequentItems!.MaximumError, 0, n / (merged.FrequentItems.Capacity + 1));
            foreach (var group in a.Concat(b).Concat(c).OfType<string>().GroupBy(FrequentItems.Truncate))
            {
                Assert.InRange(group.Count(), merged.FrequentItems.GetLowerBound(group.Key), merged.FrequentItems.GetUpperBound(group.Key));
            }
        }, iter: 60);
    }

    [Fact]
    public void Serialize_RoundTrips_BothKinds()
    {
        Dirty.Sample(values =>
        {
            var numeric = Numeric(values, 5);
            var bytes = numeric.Serialize();
            Assert.Equal(numeric.SerializedSize, bytes.Length);
            var copy = FeatureProfile.Deserialize(bytes).Unwrap();
            Assert.Equal(bytes, copy.Serialize());
            AssertExactPartsEqual(numeric, copy);
            Assert.Equal(numeric.Moments, copy.Moments);
        }, iter: 40);

        var categorical = Categorical(["a", "b", null, "a", "é"]);
        categorical.AddTypeError();
        var catBytes = categorical.Serialize();
        var catCopy = FeatureProfile.Deserialize(catBytes).Unwrap();
        Assert.Equal(catBytes, catCopy.Serialize());
        Assert.Equal(ProfileKind.Categorical, catCopy.Kind);
        Assert.Equal((6L, 1L, 1L), (catCopy.Count, catCopy.Nulls, catCopy.TypeErrors));
        Assert.Equal(2, catCopy.FrequentItems!.GetLowerBound("a"));
    }

    [Fact]
    public void Deserialize_CorruptOrForeignBytes_IsAFailure()
    {
        var bytes = Numeric(Values(Shape.Normal, 5000, 1), 1).Serialize();
        Assert.Contains("VGPF", FeatureProfile.Deserialize("nope"u8).Failure!.Message);
        Assert.False(FeatureProfile.Deserialize(bytes.AsSpan(0, bytes.Length - 3)).IsSuccess);
        Gen.Select(Gen.Int[0, bytes.Length - 1], Gen.Byte).Sample((index, value) =>
        {
            var corrupt = (byte[])bytes.Clone();
            corrupt[index] = value;
            _ = FeatureProfile.Deserialize(corrupt);
        }, iter: 2000);
    }

    [Fact]
    public void Merge_OfDifferentKinds_IsRejected() =>
        Assert.Throws<ArgumentException>(() => FeatureProfile.CreateNumeric().Merge(FeatureProfile.CreateCategorical()));

    [Fact]
    public void SerializedSize_StaysUnderTheBudget_ForAnyCountAndWorstCaseLabels()
    {
        var numeric = FeatureProfile.CreateNumeric();
        var random = new Random(3);
        var buffer = new double[100_000];
        var sizes = new List<string>();
        for (var total = 0; total < 10_000_000; total += buffer.Length)
        {
            for (var i = 0; i < buffer.Length; i++)
            {
                buffer[i] = random.NextDouble() * 1e6;
            }

            numeric.Fold(buffer);
            if (numeric.Count is 1_000_000 or 10_000_000)
            {
                sizes.Add($"numeric n={numeric.Count}: {numeric.SerializedSize} bytes");
                Assert.InRange(numeric.SerializedSize, 1, FeatureProfile.SizeBudgetBytes);
            }
        }

        // Worst case for labels: every value distinct, as long as kept, and 3 bytes per character in UTF-8.
        var categorical = FeatureProfile.CreateCategorical();
        for (var i = 0; i < 200_000; i++)
        {
            categorical.Add(i.ToString("D8") + new string('漢', 100));
        }

        sizes.Add($"categorical, 200000 distinct 108-char labels: {categorical.SerializedSize} bytes");
        Assert.InRange(categorical.SerializedSize, 1, FeatureProfile.SizeBudgetBytes);
        output.WriteLine(string.Join(Environment.NewLine, sizes));
    }

    [Fact]
    public void NumericProfileInMemory_AfterTenMillionValues_IsUnderTheBudget()
    {
        var profile = FeatureProfile.CreateNumeric();
        var values = Values(Shape.HeavyTail, 1_000_000, 8);
        for (var i = 0; i < 10; i++)
        {
            profile.Fold(values);
        }

        // A deep copy allocates exactly what the profile holds.
        var before = GC.GetAllocatedBytesForCurrentThread();
        var copy = profile.Clone();
        var held = GC.GetAllocatedBytesForCurrentThread() - before;
        output.WriteLine($"numeric profile after 10^7 values holds {held} bytes");
        Assert.Equal(profile.Count, copy.Count);
        Assert.InRange(held, 1, FeatureProfile.SizeBudgetBytes);
    }

    private static FeatureProfile Numeric(double[] values, ulong seed)
    {
        var profile = FeatureProfile.CreateNumeric(seed: seed);
        profile.Fold(values);
        return profile;
    }

    private static FeatureProfile Categorical(string?[] values)
    {
        var profile = FeatureProfile.CreateCategorical();
        foreach (var value in values)
        {
            profile.Add(value);
        }

        return profile;
    }

    private static void AssertExactPartsEqual(FeatureProfile expected, FeatureProfile actual)
    {
        Assert.Equal(expected.Kind, actual.Kind);
        Assert.Equal(expected.Count, actual.Count);
        Assert.Equal(expected.Nulls, actual.Nulls);
        Assert.Equal(expected.TypeErrors, actual.TypeErrors);
        Assert.Equal(expected.Moments.Count, actual.Moments.Count);
        Assert.Equal(expected.Moments.Min, actual.Moments.Min);
        Assert.Equal(expected.Moments.Max, actual.Moments.Max);
        Assert.Equal(expected.Quantiles?.Count, actual.Quantiles?.Count);
        Assert.Equal(expected.Quantiles?.Min, actual.Quantiles?.Min);
        Assert.Equal(expected.Quantiles?.Max, actual.Quantiles?.Max);
        Assert.Equal(expected.FrequentItems?.Count, actual.FrequentItems?.Count);
    }

    private static void AssertMomentsClose(Moments expected, Moments actual)
    {
        var scale = double.IsNaN(expected.Max) ? 1 : Math.Max(1, Math.Max(Math.Abs(expected.Min), Math.Abs(expected.Max)));
        Assert.True(Math.Abs(expected.Mean - actual.Mean) <= 1e-9 * scale, $"mean {expected.Mean} vs {actual.Mean}");
        Assert.True(Math.Abs(expected.M2 - actual.M2) <= 1e-9 * (expected.M2 + (scale * scale)), $"M2 {expected.M2} vs {actual.M2}");
    }

    private static void AssertQuantilesNear(double[] values, FeatureProfile profile)
    {
        var finite = Sorted([.. values.Where(double.IsFinite)]);
        if (finite.Length == 0)
        {
            Assert.True(profile.Quantiles!.IsEmpty);
            return;
        }

        foreach (var q in Ranks)
        {
            Assert.InRange(QuantileRankError(finite, q, profile.Quantiles!.GetQuantile(q)), 0, RankBound);
        }
    }
}

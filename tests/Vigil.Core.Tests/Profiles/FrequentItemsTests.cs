using CsCheck;
using Vigil.Profiles;

namespace Vigil.Core.Tests.Profiles;

public sealed class FrequentItemsTests
{
    /// <summary>A stream of labels: Zipf-like over an alphabet of 1–2,000 values, so some are heavy and many are rare.</summary>
    private static readonly Gen<string[]> Stream =
        Gen.Select(Gen.Int[1, 2000], Gen.Int[0, 20_000], Gen.Double[0.5, 2.0], Gen.Int)
            .Select((alphabet, length, skew, seed) =>
            {
                var random = new Random(seed);
                var items = new string[length];
                for (var i = 0; i < length; i++)
                {
                    // Inverse-power draw: rank ≈ alphabet^(u^skew), heavier at small ranks.
                    var rank = (int)Math.Pow(alphabet, Math.Pow(random.NextDouble(), skew));
                    items[i] = "v" + Math.Min(rank, alphabet);
                }

                return items;
            });

    [Fact]
    public void Bounds_AfterUpdatesAndMerges_AlwaysContainTheTrueCount()
    {
        Gen.Select(Stream, Gen.Int[1, 8], Gen.Int[1, 100]).Sample((items, parts, capacity) =>
        {
            var sketches = Enumerable.Range(0, parts).Select(_ => new FrequentItems(capacity)).ToArray();
            for (var i = 0; i < items.Length; i++)
            {
                sketches[i % parts].Add(items[i]);
            }

            // Merge as a left fold, and as a balanced tree: both must keep the guarantee.
            var folded = sketches[0].Clone();
            foreach (var s in sketches.Skip(1))
            {
                folded.Merge(s);
            }

            var tree = MergeTree(sketches);
            var truth = items.GroupBy(x => x).ToDictionary(g => g.Key, g => (long)g.Count());
            foreach (var sketch in new[] { folded, tree })
            {
                Assert.Equal(items.Length, sketch.Count);
                Assert.InRange(sketch.MaximumError, 0, items.Length / (capacity + 1));
                foreach (var (item, count) in truth)
                {
                    Assert.InRange(count, sketch.GetLowerBound(item), sketch.GetUpperBound(item));
                    if (count > items.Length / (capacity + 1))
                    {
                        Assert.True(sketch.GetLowerBound(item) > 0, $"{item} ({count} of {items.Length}) is heavy and must be tracked");
                    }
                }

                var round = FrequentItems.Deserialize(sketch.Serialize()).Unwrap();
                Assert.True(round.TrackedItems <= capacity);
                Assert.InRange(round.MaximumError, 0, items.Length / (capacity + 1));
                foreach (var (item, count) in truth)
                {
                    Assert.InRange(count, round.GetLowerBound(item), round.GetUpperBound(item));
                }
            }
        }, iter: 60);
    }

    [Fact]
    public void Merge_IsCommutative_ToTheByte()
    {
        Gen.Select(Stream, Stream, Gen.Int[1, 64]).Sample((a, b, capacity) =>
        {
            var sa = Summary(a, capacity);
            var sb = Summary(b, capacity);
            var ab = sa.Clone();
            ab.Merge(sb);
            var ba = sb.Clone();
            ba.Merge(sa);
            Assert.Equal(ab.Serialize(), ba.Serialize());
        }, iter: 50);
    }

    [Fact]
    public void FewDistinctValues_AreCountedExactly()
    {
        var summary = new FrequentItems(4);
        string[] items = ["a", "b", "a", "c", "a", "b", "d"];
        foreach (var item in items)
        {
            summary.Add(item);
        }

        Assert.Equal(0, summary.MaximumError);
        Assert.Equal(
            [new FrequentItem("a", 3, 3), new FrequentItem("b", 2, 2), new FrequentItem("c", 1, 1), new FrequentItem("d", 1, 1)],
            summary.GetTop());
        Assert.Equal(2, summary.GetTop(2).Count);
    }

    [Fact]
    public void LongValues_AreTruncated_WithoutSplittingASurrogatePair()
    {
        var summary = new FrequentItems();
        summary.Add(new string('x', 500));
        summary.Add(new string('y', FrequentItems.MaxItemLength - 1) + "😀tail");
        var top = summary.GetTop();
        Assert.Equal(FrequentItems.MaxItemLength, top.Single(t => t.Item[0] == 'x').Item.Length);
        Assert.Equal(new string('y', FrequentItems.MaxItemLength - 1), top.Single(t => t.Item[0] == 'y').Item);
        Assert.Equal(1, summary.GetLowerBound(new string('x', 900)));
    }

    [Fact]
    public void Serialize_RoundTrips()
    {
        Gen.Select(Stream, Gen.Int[1, 64]).Sample((items, capacity) =>
        {
            var summary = Summary(items, capacity);
            var bytes = summary.Serialize();
            Assert.Equal(summary.SerializedSize, bytes.Length);
            var copy = FrequentItems.Deserialize(bytes).Unwrap();
            Assert.Equal(bytes, copy.Serialize());
            Assert.Equal(summary.Count, copy.Count);
        }, iter: 50);
    }

    [Fact]
    public void Deserialize_CorruptBytes_IsAFailure()
    {
        var bytes = Summary(["a", "b", "b", "ü"], 8).Serialize();
        Assert.False(FrequentItems.Deserialize(bytes.AsSpan(0, bytes.Length - 2)).IsSuccess);
        Assert.False(FrequentItems.Deserialize([.. bytes, 1]).IsSuccess);
        Gen.Select(Gen.Int[0, bytes.Length - 1], Gen.Byte).Sample((index, value) =>
        {
            var corrupt = (byte[])bytes.Clone();
            corrupt[index] = value;
            _ = FrequentItems.Deserialize(corrupt);
        }, iter: 1000);
    }

    private static FrequentItems Summary(string[] items, int capacity)
    {
        var summary = new FrequentItems(capacity);
        foreach (var item in items)
        {
            summary.Add(item);
        }

        return summary;
    }

    private static FrequentItems MergeTree(FrequentItems[] sketches)
    {
        if (sketches.Length == 1)
        {
            return sketches[0].Clone();
        }

        var left = MergeTree(sketches[..(sketches.Length / 2)]);
        left.Merge(MergeTree(sketches[(sketches.Length / 2)..]));
        return left;
    }
}

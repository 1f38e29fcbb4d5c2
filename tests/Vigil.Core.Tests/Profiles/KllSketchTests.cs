using CsCheck;
using Vigil.Profiles;
using static Vigil.Core.Tests.Profiles.ProfileData;

namespace Vigil.Core.Tests.Profiles;

public sealed class KllSketchTests(ITestOutputHelper output)
{
    /// <summary>The documented 99%-confidence error for all points of a CDF at k = 200 (DataSketches' table).</summary>
    private static readonly double AllPointsError = KllSketch.NormalizedRankError(200, allPoints: true);

    /// <summary>The documented 99%-confidence error for one query at k = 200.</summary>
    private static readonly double SingleQueryError = KllSketch.NormalizedRankError(200, allPoints: false);

    /// <summary>
    /// Property tests draw fresh random data on every run, so they assert twice the 99% bound: the error's tail is
    /// sub-Gaussian, and exceeding 2ε has a probability of order 1e-7, which keeps them from flaking while still
    /// catching any real bias. The 99% bound itself is asserted by the seeded measurement test below.
    /// </summary>
    private static readonly double PropertyBound = 2 * AllPointsError;

    [Fact]
    public void NormalizedRankError_AtK200_MatchesDataSketchesTable()
    {
        Assert.Equal(0.0165, AllPointsError, 0.0002);
        Assert.Equal(0.0133, SingleQueryError, 0.0002);
    }

    [Fact]
    public void Empty_HasNoQuantiles()
    {
        var sketch = new KllSketch();
        Assert.True(sketch.IsEmpty);
        Assert.True(double.IsNaN(sketch.Min));
        Assert.Throws<InvalidOperationException>(() => sketch.GetQuantile(0.5));
    }

    [Fact]
    public void Update_IgnoresNaN()
    {
        var sketch = new KllSketch();
        sketch.Update(double.NaN);
        sketch.Update([1, double.NaN, 3]);
        Assert.Equal(2, sketch.Count);
        Assert.Equal(1, sketch.Min);
        Assert.Equal(3, sketch.Max);
    }

    [Fact]
    public void Quantile_AtMostKValues_IsExactInvertedCdf()
    {
        Spec(200).Sample((shape, count, seed) =>
        {
            var values = Values(shape, Math.Max(count, 1), seed);
            var sketch = new KllSketch(200, (ulong)seed);
            sketch.Update(values);
            Assert.True(sketch.IsExact);
            var sorted = Sorted(values);
            foreach (var q in Ranks)
            {
                Assert.Equal(ExactQuantile(sorted, q), sketch.GetQuantile(q));
                Assert.Equal(Rank(sorted, sorted[(int)(q * (sorted.Length - 1))]), sketch.GetRank(sorted[(int)(q * (sorted.Length - 1))]));
            }
        });
    }

    [Fact]
    public void Quantiles_OfRandomDistributions_AreWithinTheRankError()
    {
        Spec(60_000).Sample((shape, count, seed) =>
        {
            var values = Values(shape, Math.Max(count, 1), seed);
            var sketch = new KllSketch(200, (ulong)seed);
            if ((seed & 1) == 0)
            {
                sketch.Update(values);
            }
            else
            {
                foreach (var value in values)
                {
                    sketch.Update(value);
                }
            }

            var sorted = Sorted(values);
            Assert.Equal(values.Length, sketch.Count);
            Assert.Equal(sorted[0], sketch.Min);
            Assert.Equal(sorted[^1], sketch.Max);
            Assert.Equal(sorted[0], sketch.GetQuantile(0));
            Assert.Equal(sorted[^1], sketch.GetQuantile(1));
            foreach (var q in Ranks)
            {
                Assert.InRange(QuantileRankError(sorted, q, sketch.GetQuantile(q)), 0, PropertyBound);
                var x = sorted[(int)(q * (sorted.Length - 1))];
                Assert.InRange(Math.Abs(sketch.GetRank(x) - Rank(sorted, x)), 0, PropertyBound);
            }
        }, iter: 60);
    }

    [Fact]
    public void Constant_EveryQuantileIsTheConstant()
    {
        var sketch = new KllSketch();
        sketch.Update(Enumerable.Repeat(3.25, 1_000_000).ToArray());
        foreach (var q in Ranks)
        {
            Assert.Equal(3.25, sketch.GetQuantile(q));
        }

        Assert.Equal(1, sketch.GetRank(3.25));
        Assert.Equal(0, sketch.GetRank(3.2));
    }

    /// <summary>
    /// The measurement behind docs/profiles.md: 400 seeds, 100,000 distinct values in random order each; for each
    /// seed the largest rank error over 1,001 evenly spaced points (the all-points error) and the error at the
    /// median (a single query). The 99th percentile over seeds must be within DataSketches' 99%-confidence bounds.
    /// </summary>
    [Fact]
    public void RankError_MeasuredOverManySeeds_IsWithinTheDocumentedBound()
    {
        var (allPoints, single) = MeasureRankError(seeds: 400, count: 100_000, parts: 1);
        output.WriteLine($"k=200, n=100000, 400 seeds: all-points error p50={Percentile(allPoints, 0.5):P3} p99={Percentile(allPoints, 0.99):P3} max={allPoints.Max():P3} (bound {AllPointsError:P3}); median-query error p99={Percentile(single, 0.99):P3} (bound {SingleQueryError:P3})");
        Assert.InRange(Percentile(allPoints, 0.99), 0, AllPointsError);
        Assert.InRange(Percentile(single, 0.99), 0, SingleQueryError);
    }

    [Fact]
    public void RankError_OfSixteenMergedSketches_IsWithinTheDocumentedBound()
    {
        var (allPoints, single) = MeasureRankError(seeds: 200, count: 100_000, parts: 16);
        output.WriteLine($"k=200, n=100000 in 16 merged parts, 200 seeds: all-points error p99={Percentile(allPoints, 0.99):P3} max={allPoints.Max():P3}; median-query p99={Percentile(single, 0.99):P3}");
        Assert.InRange(Percentile(allPoints, 0.99), 0, AllPointsError);
        Assert.InRange(Percentile(single, 0.99), 0, SingleQueryError);
    }

    private static (double[] AllPoints, double[] Single) MeasureRankError(int seeds, int count, int parts)
    {
        var allPoints = new double[seeds];
        var single = new double[seeds];
        Parallel.For(0, seeds, seed =>
        {
            var random = new Random(seed);
            var values = new double[count];
            for (var i = 0; i < count; i++)
            {
                values[i] = i;
            }

            random.Shuffle(values);
            var sketch = new KllSketch(200, (ulong)seed * 1_000_003);
            var partLength = count / parts;
            for (var p = 0; p < parts; p++)
            {
                var part = new KllSketch(200, ((ulong)seed * 1_000_003) + (ulong)p + 1);
                part.Update(values.AsSpan(p * partLength, p == parts - 1 ? count - (p * partLength) : partLength));
                sketch.Merge(part);
            }

            var worst = 0.0;
            for (var j = 0; j <= 1000; j++)
            {
                var x = Math.Min(count - 1, j * (count / 1000));
                worst = Math.Max(worst, Math.Abs(sketch.GetRank(x) - ((x + 1.0) / count)));
                var q = j / 1000.0;
                var estimate = sketch.GetQuantile(q);
                worst = Math.Max(worst, Math.Max(0, Math.Max((estimate / count) - q, q - ((estimate + 1) / count))));
            }

            allPoints[seed] = worst;
            single[seed] = Math.Abs(sketch.GetRank((count / 2) - 1) - 0.5);
        });
        return (allPoints, single);
    }

    private static double Percentile(double[] values, double p)
    {
        var sorted = Sorted(values);
        return sorted[(int)Math.Ceiling(p * sorted.Length) - 1];
    }

    [Fact]
    public void Merge_WhileTotalIsAtMostK_IsExact()
    {
        Gen.Select(Spec(120), Spec(80)).Sample((a, b) =>
        {
            var left = Values(a.Shape, a.Count, a.Seed);
            var right = Values(b.Shape, b.Count, b.Seed);
            if (left.Length + right.Length == 0)
            {
                return;
            }

            var merged = Sketch(left, 1);
            merged.Merge(Sketch(right, 2));
            var reversed = Sketch(right, 3);
            reversed.Merge(Sketch(left, 4));
            var sorted = Sorted([.. left, .. right]);
            Assert.True(merged.IsExact);
            foreach (var q in Ranks)
            {
                Assert.Equal(ExactQuantile(sorted, q), merged.GetQuantile(q));
                Assert.Equal(merged.GetQuantile(q), reversed.GetQuantile(q));
            }
        });
    }

    [Fact]
    public void Merge_InAnyOrderAndGrouping_StaysWithinTheRankErrorOfTheUnion()
    {
        Gen.Select(Spec(30_000), Spec(30_000), Spec(30_000)).Sample((a, b, c) =>
        {
            var va = Values(a.Shape, a.Count, a.Seed);
            var vb = Values(b.Shape, b.Count, b.Seed);
            var vc = Values(c.Shape, c.Count, c.Seed);
            var sorted = Sorted([.. va, .. vb, .. vc]);
            if (sorted.Length == 0)
            {
                return;
            }

            // (a ∪ b) ∪ c, a ∪ (b ∪ c), (c ∪ a) ∪ b and b ∪ (c ∪ a): exact parts equal, quantiles within the error.
            var leftFirst = Sketch(va, 1);
            leftFirst.Merge(Sketch(vb, 2));
            leftFirst.Merge(Sketch(vc, 3));
            var bc = Sketch(vb, 4);
            bc.Merge(Sketch(vc, 5));
            var rightFirst = Sketch(va, 6);
            rightFirst.Merge(bc);
            var ca = Sketch(vc, 7);
            ca.Merge(Sketch(va, 8));
            var rotated = Sketch(vb, 9);
            rotated.Merge(ca);
            var swapped = ca.Clone();
            swapped.Merge(Sketch(vb, 10));

            foreach (var sketch in new[] { leftFirst, rightFirst, rotated, swapped })
            {
                Assert.Equal(sorted.Length, sketch.Count);
                Assert.Equal(sorted[0], sketch.Min);
                Assert.Equal(sorted[^1], sketch.Max);
                foreach (var q in Ranks)
                {
                    Assert.InRange(QuantileRankError(sorted, q, sketch.GetQuantile(q)), 0, PropertyBound);
                }
            }
        }, iter: 40);
    }

    [Fact]
    public void Merge_OfManySmallSketches_MatchesTheUnion()
    {
        var random = new Random(7);
        var all = new List<double>();
        var merged = new KllSketch(200, 99);
        for (var i = 0; i < 500; i++)
        {
            var part = new KllSketch(200, (ulong)i);
            var size = random.Next(0, 3000);
            for (var j = 0; j < size; j++)
            {
                var x = Normal(random) * 10;
                all.Add(x);
                part.Update(x);
            }

            merged.Merge(part);
        }

        var sorted = Sorted([.. all]);
        Assert.Equal(sorted.Length, merged.Count);
        Assert.True(merged.RetainedItems <= KllSketch.TotalCapacity(200, merged.NumLevels));
        foreach (var q in Ranks)
        {
            Assert.InRange(QuantileRankError(sorted, q, merged.GetQuantile(q)), 0, AllPointsError);
        }
    }

    [Fact]
    public void Merge_WithItself_DoublesEveryCount()
    {
        var sketch = Sketch(Values(Shape.Uniform, 10_000, 1), 1);
        var median = sketch.GetQuantile(0.5);
        sketch.Merge(sketch);
        Assert.Equal(20_000, sketch.Count);
        Assert.InRange(sketch.GetRank(median), 0.5 - AllPointsError, 0.5 + AllPointsError);
    }

    [Fact]
    public void Merge_DifferentK_IsRejected() =>
        Assert.Throws<ArgumentException>(() => new KllSketch(200).Merge(Sketch([1.0], 0, k: 100)));

    [Fact]
    public void Cdf_AndPmf_AreConsistentWithRanks()
    {
        var values = Values(Shape.Normal, 50_000, 3);
        var sorted = Sorted(values);
        var sketch = Sketch(values, 3);
        double[] splits = [-1, 0, 1];
        var cdf = sketch.GetCdf(splits);
        var pmf = sketch.GetPmf(splits);
        Assert.Equal(4, cdf.Length);
        Assert.Equal(1, cdf[^1]);
        Assert.Equal(1, pmf.Sum(), 1e-12);
        for (var i = 0; i < splits.Length; i++)
        {
            Assert.InRange(Math.Abs(cdf[i] - Rank(sorted, splits[i])), 0, AllPointsError);
        }

        Assert.Throws<ArgumentException>(() => sketch.GetCdf([1, 1]));
        Assert.Throws<ArgumentException>(() => sketch.GetCdf([double.NaN]));
    }

    [Fact]
    public void Serialize_RoundTripsExactly_AndTheCopyContinuesIdentically()
    {
        Spec(50_000).Sample((shape, count, seed) =>
        {
            var values = Values(shape, count, seed);
            var sketch = Sketch(values, (ulong)seed);
            var bytes = sketch.Serialize();
            Assert.Equal(sketch.SerializedSize, bytes.Length);
            var copy = KllSketch.Deserialize(bytes).Unwrap();
            Assert.Equal(bytes, copy.Serialize());
            Assert.Equal(sketch.Count, copy.Count);
            if (count > 0)
            {
                foreach (var q in Ranks)
                {
                    Assert.Equal(sketch.GetQuantile(q), copy.GetQuantile(q));
                }
            }

            // The random state travels with the sketch: both continue with the same coin flips.
            var more = Values(Shape.Uniform, 5_000, seed + 1);
            sketch.Update(more);
            copy.Update(more);
            Assert.Equal(sketch.Serialize(), copy.Serialize());
        }, iter: 40);
    }

    [Fact]
    public void SerializedSize_AtK200_StaysFarBelowTheProfileBudget()
    {
        var random = new Random(11);
        var sketch = new KllSketch(200, 11);
        var buffer = new double[100_000];
        var sizes = new List<string>();
        for (var total = 0; total < 10_000_000; total += buffer.Length)
        {
            for (var i = 0; i < buffer.Length; i++)
            {
                buffer[i] = random.NextDouble();
            }

            sketch.Update(buffer);
            if (total + buffer.Length is 1_000_000 or 10_000_000)
            {
                sizes.Add($"n={sketch.Count}: {sketch.SerializedSize} bytes, {sketch.RetainedItems} items, {sketch.NumLevels} levels, capacity {KllSketch.TotalCapacity(200, sketch.NumLevels)}");
                Assert.InRange(sketch.SerializedSize, 1, 8 * 1024);
            }
        }

        output.WriteLine(string.Join(Environment.NewLine, sizes));
    }

    [Fact]
    public void Deserialize_CorruptBytes_IsAFailureNotAnException()
    {
        var bytes = Sketch(Values(Shape.Normal, 20_000, 5), 5).Serialize();
        Assert.False(KllSketch.Deserialize([]).IsSuccess);
        Assert.False(KllSketch.Deserialize(bytes.AsSpan(0, bytes.Length - 1)).IsSuccess);
        Assert.False(KllSketch.Deserialize([.. bytes, 0]).IsSuccess);
        var wrongVersion = (byte[])bytes.Clone();
        wrongVersion[0] = 9;
        Assert.Contains("version", KllSketch.Deserialize(wrongVersion).Failure!.Message);

        Gen.Select(Gen.Int[0, bytes.Length - 1], Gen.Byte).Sample((index, value) =>
        {
            var corrupt = (byte[])bytes.Clone();
            corrupt[index] = value;
            var result = KllSketch.Deserialize(corrupt);
            if (result.IsSuccess)
            {
                // A change that still reads must still be a consistent sketch.
                Assert.Equal(result.Value!.Serialize(), corrupt);
                _ = result.Value.GetQuantile(0.5);
            }
        }, iter: 2000);
    }

    private static KllSketch Sketch(double[] values, ulong seed, int k = 200)
    {
        var sketch = new KllSketch(k, seed);
        sketch.Update(values);
        return sketch;
    }
}

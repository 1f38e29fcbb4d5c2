using BenchmarkDotNet.Attributes;
using Vigil.Profiles;

namespace Vigil.Benchmarks;

/// <summary>
/// Profile folding against DESIGN.md's budgets: at least 5 million numeric values per second per core, and at most
/// 16 KB per profile. The fold benchmarks fold 1,000,000 doubles into a fresh profile (time per value = Mean / 10^6;
/// Allocated includes the KLL levels outgrown on the way). <see cref="CloneFoldedProfile"/> allocates exactly what one
/// folded profile holds, so its Allocated column is the memory per numeric profile.
/// </summary>
[MemoryDiagnoser]
public class ProfileBenchmarks
{
    private const int Values = 1_000_000;

    private double[] _values = [];
    private string[] _labels = [];
    private FeatureProfile _folded = null!;
    private FeatureProfile[] _minutes = [];
    private byte[] _serialized = [];

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(42);
        _values = new double[Values];
        for (var i = 0; i < _values.Length; i++)
        {
            // Log-normal prices: skewed, mostly distinct.
            _values[i] = Math.Round(Math.Exp(2.5 + (0.8 * Normal(random))), 2);
        }

        _labels = new string[Values];
        for (var i = 0; i < _labels.Length; i++)
        {
            _labels[i] = "country-" + (int)Math.Pow(200, random.NextDouble());
        }

        _folded = FeatureProfile.CreateNumeric();
        _folded.Fold(_values);
        _serialized = _folded.Serialize();
        _minutes = new FeatureProfile[60];
        for (var m = 0; m < _minutes.Length; m++)
        {
            _minutes[m] = FeatureProfile.CreateNumeric(seed: (ulong)m);
            _minutes[m].Fold(_values.AsSpan(m * 10_000, 10_000));
        }
    }

    /// <summary>The fast path: FeatureProfile.Fold(span) of 10^6 doubles.</summary>
    [Benchmark(Baseline = true)]
    public FeatureProfile Fold1M()
    {
        var profile = FeatureProfile.CreateNumeric();
        profile.Fold(_values);
        return profile;
    }

    /// <summary>The same values through FeatureProfile.Add(double), one at a time.</summary>
    [Benchmark]
    public FeatureProfile Add1MOneByOne()
    {
        var profile = FeatureProfile.CreateNumeric();
        foreach (var value in _values)
        {
            profile.Add(value);
        }

        return profile;
    }

    /// <summary>The KLL sketch alone, one update at a time.</summary>
    [Benchmark]
    public KllSketch KllUpdate1MOneByOne()
    {
        var sketch = new KllSketch();
        foreach (var value in _values)
        {
            sketch.Update(value);
        }

        return sketch;
    }

    /// <summary>A categorical profile: 10^6 labels into frequent items and HyperLogLog.</summary>
    [Benchmark]
    public FeatureProfile AddLabels1M()
    {
        var profile = FeatureProfile.CreateCategorical();
        foreach (var label in _labels)
        {
            profile.Add(label);
        }

        return profile;
    }

    /// <summary>Memory per numeric profile (k = 200, 10^6 values folded): Allocated of a deep copy.</summary>
    [Benchmark]
    public FeatureProfile CloneFoldedProfile() => _folded.Clone();

    /// <summary>An hourly roll-up: 60 one-minute profiles of 10,000 values merged into one.</summary>
    [Benchmark]
    public FeatureProfile MergeSixtyMinutes()
    {
        var hour = FeatureProfile.CreateNumeric();
        foreach (var minute in _minutes)
        {
            hour.Merge(minute);
        }

        return hour;
    }

    [Benchmark]
    public byte[] Serialize() => _folded.Serialize();

    [Benchmark]
    public FeatureProfile Deserialize() => FeatureProfile.Deserialize(_serialized).Unwrap();

    [Benchmark]
    public double Quantiles99()
    {
        var sketch = _folded.Quantiles!.Clone();
        var sum = 0.0;
        for (var q = 1; q < 100; q++)
        {
            sum += sketch.GetQuantile(q / 100.0);
        }

        return sum;
    }

    private static double Normal(Random random) =>
        Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
}

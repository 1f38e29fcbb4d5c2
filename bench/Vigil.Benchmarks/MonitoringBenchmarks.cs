using BenchmarkDotNet.Attributes;
using Vigil.Monitoring;
using Vigil.Profiles;

namespace Vigil.Benchmarks;

/// <summary>
/// Issue 4's monitoring numbers, run by <c>bench/monitoring/run.sh</c> together with numpy on the same data
/// (docs/benchmarks.md, "Monitoring"):
/// <list type="bullet">
/// <item><see cref="Fold1M"/>: 10^6 log-normal prices folded into one numeric profile (budget ≥ 5 million values per
/// second per core: Mean ≤ 200 ms); BenchmarkDotNet runs one thread, so values/s = 10^6 / Mean.</item>
/// <item><see cref="FoldAndSummarize1M"/>: the same fold, then 99 quantiles and a 20-bin histogram from the sketch —
/// the work numpy does with <c>np.quantile</c> and <c>np.histogram</c> on the same values (written to
/// <c>VIGIL_BENCH_VALUES</c> when set).</item>
/// <item><see cref="Drift200Features"/>: drift (PSI, JS, KS, Wasserstein) of 200 numeric features of one window
/// (1,000 values each) against their baselines (10,000 values each), from the sketches, as the monitors compute it.</item>
/// <item><see cref="CloneFoldedProfile"/>: Allocated is the memory of one numeric profile after 10^6 values (budget ≤ 16 KB).</item>
/// </list>
/// </summary>
[MemoryDiagnoser]
[SimpleJob(launchCount: 1, warmupCount: 2, iterationCount: 6, id: "Short-2x6")]
public class MonitoringBenchmarks
{
    /// <summary>Values folded per benchmark call.</summary>
    public const int Values = 1_000_000;

    /// <summary>Features in the drift benchmark.</summary>
    public const int Features = 200;

    private static readonly double[] QuantileGrid = [.. Enumerable.Range(1, 99).Select(i => i / 100.0)];

    private double[] _values = [];
    private FeatureProfile _folded = null!;
    private FeatureProfile[] _baselines = [];
    private FeatureProfile[] _window = [];

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(42);
        _values = new double[Values];
        for (var i = 0; i < _values.Length; i++)
        {
            _values[i] = Math.Round(Math.Exp(2.5 + (0.8 * Normal(random))), 2);
        }

        if (Environment.GetEnvironmentVariable("VIGIL_BENCH_VALUES") is { Length: > 0 } path)
        {
            // Little-endian float64, read by bench/monitoring/numpy_baseline.py with np.fromfile.
            var bytes = new byte[_values.Length * sizeof(double)];
            Buffer.BlockCopy(_values, 0, bytes, 0, bytes.Length);
            File.WriteAllBytes(path, bytes);
        }

        _folded = FeatureProfile.CreateNumeric();
        _folded.Fold(_values);
        _baselines = new FeatureProfile[Features];
        _window = new FeatureProfile[Features];
        for (var f = 0; f < Features; f++)
        {
            var scale = 1 + (f % 7);
            var shift = f % 4 == 0 ? 0.5 : 0; // a quarter of the features drift
            _baselines[f] = FeatureProfile.CreateNumeric(seed: (ulong)f);
            for (var i = 0; i < 10_000; i++)
            {
                _baselines[f].Add(scale * Normal(random));
            }

            _window[f] = FeatureProfile.CreateNumeric(seed: (ulong)(f + 1000));
            for (var i = 0; i < 1_000; i++)
            {
                _window[f].Add(scale * (Normal(random) + shift));
            }
        }
    }

    [Benchmark(Baseline = true)]
    public FeatureProfile Fold1M()
    {
        var profile = FeatureProfile.CreateNumeric();
        profile.Fold(_values);
        return profile;
    }

    [Benchmark]
    public double FoldAndSummarize1M()
    {
        var profile = FeatureProfile.CreateNumeric();
        profile.Fold(_values);
        var view = profile.Quantiles!.GetSortedView();
        var sum = 0.0;
        foreach (var q in QuantileGrid)
        {
            sum += view.GetQuantile(q);
        }

        var width = (view.Max - view.Min) / 20;
        var splits = new double[19];
        for (var i = 0; i < splits.Length; i++)
        {
            splits[i] = view.Min + ((i + 1) * width);
        }

        return sum + view.GetPmf(splits)[0];
    }

    [Benchmark]
    public double Drift200Features()
    {
        var psi = 0.0;
        for (var f = 0; f < Features; f++)
        {
            psi += ProfileDrift.Compare("f", _baselines[f], _window[f])!.Psi;
        }

        return psi;
    }

    [Benchmark]
    public FeatureProfile CloneFoldedProfile() => _folded.Clone();

    /// <summary>Serialized bytes of the folded profile (what a stored profile takes), checked against the 16 KB budget.</summary>
    public int SerializedSize => _folded.SerializedSize;

    private static double Normal(Random random) =>
        Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
}

using System.Text.Json;
using Vigil.Releases;

namespace Vigil.Core.Tests.Releases;

/// <summary>ConfidenceSequence against scripts/reference/sequential_vectors.json (computed with scipy by sequential_vectors.py).</summary>
public sealed class ReleaseConfidenceSequenceTests
{
    private static readonly Lazy<JsonElement> Vectors = new(() =>
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "Vigil.slnx")))
        {
            directory = directory.Parent;
        }

        Assert.NotNull(directory);
        var path = Path.Combine(directory.FullName, "scripts", "reference", "sequential_vectors.json");
        return JsonDocument.Parse(File.ReadAllText(path)).RootElement.Clone();
    });

    public static TheoryData<string> Sections => new() { "ratio", "boundary", "multiplier", "proportion", "difference" };

    [Theory]
    [MemberData(nameof(Sections))]
    public void Vectors_MatchTheScipyReference(string section)
    {
        var cases = Vectors.Value.GetProperty(section).EnumerateArray().ToList();
        Assert.NotEmpty(cases);
        foreach (var c in cases)
        {
            double D(string name) => c.GetProperty(name).GetDouble();
            long L(string name) => c.GetProperty(name).GetInt64();
            switch (section)
            {
                case "ratio":
                    AssertClose(D("r"), ConfidenceSequence.OptimalRhoRatio(D("alpha")), 1e-9, c);
                    break;
                case "boundary":
                    AssertClose(D("u"), ConfidenceSequence.NormalMixtureBoundary(D("v"), D("alpha"), D("rho")), 1e-9, c);
                    break;
                case "multiplier":
                    AssertClose(D("kappa"), ConfidenceSequence.Multiplier(D("n"), D("alpha"), ConfidenceSequence.Rho(D("alpha"), D("target"))), 1e-8, c);
                    break;
                case "proportion":
                    {
                        var ci = ConfidenceSequence.Proportion(L("events"), L("trials"), D("alpha"), D("target"))!.Value;
                        AssertClose(D("estimate"), ci.Estimate, 1e-12, c);
                        AssertClose(D("lower"), ci.Lower, 1e-8, c);
                        AssertClose(D("upper"), ci.Upper, 1e-8, c);
                        break;
                    }

                default:
                    {
                        var ci = ConfidenceSequence.Difference(L("events_a"), L("trials_a"), L("events_b"), L("trials_b"), D("alpha"), D("target"))!.Value;
                        AssertClose(D("estimate"), ci.Estimate, 1e-12, c);
                        AssertClose(D("lower"), ci.Lower, 1e-8, c);
                        AssertClose(D("upper"), ci.Upper, 1e-8, c);
                        break;
                    }
            }
        }
    }

    [Fact]
    public void Multiplier_IsTightestAtTheTargetSampleSize_RelativeToFixedSampleWidth()
    {
        // ρ = r(α)·n* makes the interval narrowest at n = n*: tuning for 10× or 0.1× n* gives a wider one there.
        const double alpha = 0.05;
        const double target = 500;
        var tuned = ConfidenceSequence.Multiplier(target, alpha, ConfidenceSequence.Rho(alpha, target));
        Assert.True(tuned < ConfidenceSequence.Multiplier(target, alpha, ConfidenceSequence.Rho(alpha, target * 10)));
        Assert.True(tuned < ConfidenceSequence.Multiplier(target, alpha, ConfidenceSequence.Rho(alpha, target / 10)));
        Assert.InRange(tuned, 3.0, 3.1); // vs 1.96 for a single look
    }

    [Fact]
    public void Intervals_ShrinkWithSamples_AndContainTheEstimate()
    {
        double? previous = null;
        foreach (var n in new[] { 100, 1_000, 10_000, 100_000 })
        {
            var ci = ConfidenceSequence.Proportion(n / 50, n, 0.05, 500)!.Value;
            Assert.InRange(ci.Estimate, ci.Lower, ci.Upper);
            if (previous is { } width)
            {
                Assert.True(ci.Width < width);
            }

            previous = ci.Width;
        }
    }

    [Fact]
    public void NoTrials_GivesNoInterval()
    {
        Assert.Null(ConfidenceSequence.Proportion(0, 0, 0.05, 500));
        Assert.Null(ConfidenceSequence.Difference(0, 0, 5, 10, 0.05, 500));
        Assert.Throws<ArgumentOutOfRangeException>(() => ConfidenceSequence.Proportion(5, 4, 0.05, 500));
        Assert.Throws<ArgumentOutOfRangeException>(() => ConfidenceSequence.Multiplier(10, 1.5, 60));
    }

    private static void AssertClose(double expected, double actual, double relative, JsonElement context) =>
        Assert.True(Math.Abs(expected - actual) <= relative * Math.Max(1, Math.Abs(expected)), $"expected {expected:R}, got {actual:R} for {context}");
}

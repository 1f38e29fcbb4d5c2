using Vigil.Releases;

namespace Vigil.Core.Tests.Releases;

/// <summary>
/// Simulations with fixed seeds: the sequential triggers keep false rollbacks at or below α when checked at every tick,
/// a fixed-sample test checked the same way does not, and a clearly bad canary is caught within a bounded number of samples.
/// </summary>
public sealed class ReleaseSequentialSimulationTests(ITestOutputHelper output)
{
    private const double Alpha = 0.05;

    // The strictest A/A setting: a relative trigger with no margin (fires if the challenger is confidently any worse) and
    // an absolute trigger whose threshold equals the true rate. Each can fire falsely with probability ≤ α/2 (one side of
    // a two-sided sequence), so together ≤ α.
    private static readonly ReleasePlan AaPlan = new(
        "recommender",
        3,
        ReleaseStrategy.Progressive,
        Steps: [new ReleaseStep(new Percent(5), Duration.Hours(1)), new ReleaseStep(new Percent(10), Duration.Hours(1)), new ReleaseStep(new Percent(25), Duration.Hours(1)), new ReleaseStep(new Percent(50), Duration.Hours(1))],
        MinSamplesPerStep: 500,
        Triggers:
        [
            new RollbackTrigger(ReleaseMetrics.TaskCompleted, TriggerCompare.Control, MaxDrop: new PercentagePoints(0)),
            new RollbackTrigger(ReleaseMetrics.ErrorRate, Max: Threshold.Percent(2)),
        ]);

    [Fact]
    public void AaRelease_CheckedEveryTick_FalseRollbackRateStaysWithinAlpha_WhileANaiveZTestExceedsIt()
    {
        const int runs = 500;
        const int ticks = 200;
        const int requestsPerTick = 500;
        const double completion = 0.70;
        const double errors = 0.02; // exactly at the trigger's max: the hardest case for an absolute trigger
        var sequentialRollbacks = 0;
        var naiveRollbacks = 0;
        long canaryTotal = 0;
        for (var seed = 0; seed < runs; seed++)
        {
            var random = new Random(seed);
            long cN = 0, cDone = 0, cErr = 0, kN = 0, kDone = 0, kErr = 0;
            bool sequentialFired = false, naiveFired = false;
            for (var tick = 0; tick < ticks && !(sequentialFired && naiveFired); tick++)
            {
                var weight = tick < 50 ? 0.05 : tick < 100 ? 0.10 : tick < 150 ? 0.25 : 0.50; // the weight rises as steps advance
                var canary = (int)(requestsPerTick * weight);
                for (var i = 0; i < requestsPerTick; i++)
                {
                    var done = random.NextDouble() < completion;
                    var failed = random.NextDouble() < errors;
                    if (i < canary)
                    {
                        cN++;
                        cDone += done ? 1 : 0;
                        cErr += failed ? 1 : 0;
                    }
                    else
                    {
                        kN++;
                        kDone += done ? 1 : 0;
                        kErr += failed ? 1 : 0;
                    }
                }

                var snapshot = new AnalysisSnapshot(DateTimeOffset.UnixEpoch, cN, Arm(cN, cDone, cErr), Arm(kN, kDone, kErr));
                sequentialFired |= TriggerEvaluator.EvaluateTriggers(AaPlan, snapshot).Any(e => e.Verdict == TriggerVerdict.Breached);
                naiveFired |= NaiveBreach(cN, cDone, cErr, kN, kDone);
            }

            canaryTotal += cN;
            sequentialRollbacks += sequentialFired ? 1 : 0;
            naiveRollbacks += naiveFired ? 1 : 0;
        }

        var sequentialRate = (double)sequentialRollbacks / runs;
        var naiveRate = (double)naiveRollbacks / runs;
        var tolerance = 2 * Math.Sqrt(Alpha * (1 - Alpha) / runs); // two binomial standard errors at p = α
        output.WriteLine($"A/A, {runs} runs × {ticks} ticks, ~{canaryTotal / runs} canary and ~{(ticks * requestsPerTick) - (canaryTotal / runs)} control samples per run");
        output.WriteLine($"false rollback rate: sequential {sequentialRate:P1} ({sequentialRollbacks}/{runs}), naive z-test every tick {naiveRate:P1} ({naiveRollbacks}/{runs}); declared α {Alpha:P0}");
        Assert.True(sequentialRate <= Alpha + tolerance, $"sequential false rollback rate {sequentialRate:P1} exceeds α = {Alpha:P0} + {tolerance:P1}");
        Assert.True(naiveRate > Alpha + tolerance, $"the naive test checked every tick should exceed α, got {naiveRate:P1}");
    }

    [Fact]
    public void BadCanary_ErrorRate6PercentAgainstMax2Percent_IsCaughtWithinABoundedNumberOfSamples()
    {
        var plan = AaPlan with { Triggers = [new RollbackTrigger(ReleaseMetrics.ErrorRate, Max: Threshold.Percent(2))] };
        var delays = DetectionDelays(plan, runs: 200, (random, control) => (random.NextDouble() < 0.70, random.NextDouble() < (control ? 0.02 : 0.06)));

        Report("error rate 6% vs max 2%", delays);
        Assert.All(delays, d => Assert.True(d <= 2_000, $"detected only after {d} canary samples"));
        Assert.True(Median(delays) <= 600, $"median detection {Median(delays)} samples");
    }

    [Fact]
    public void BadCanary_TaskCompletion10PointsBelowControl_IsCaughtWithinABoundedNumberOfSamples()
    {
        var plan = AaPlan with { Triggers = [new RollbackTrigger(ReleaseMetrics.TaskCompleted, TriggerCompare.Control, MaxDrop: new PercentagePoints(3))] };
        var delays = DetectionDelays(plan, runs: 200, (random, control) => (random.NextDouble() < (control ? 0.70 : 0.60), random.NextDouble() < 0.01));

        Report("task completion −10pp vs max_drop 3pp", delays);
        Assert.All(delays, d => Assert.True(d <= 2_000, $"detected only after {d} canary samples"));
        Assert.True(Median(delays) <= 700, $"median detection {Median(delays)} samples");
    }

    /// <summary>Canary samples until the first breach, checking every 10 canary samples, with 9 control requests per canary request (10% weight).</summary>
    private static List<long> DetectionDelays(ReleasePlan plan, int runs, Func<Random, bool, (bool Done, bool Failed)> draw)
    {
        var delays = new List<long>();
        for (var seed = 0; seed < runs; seed++)
        {
            var random = new Random(10_000 + seed);
            long cN = 0, cDone = 0, cErr = 0, kN = 0, kDone = 0, kErr = 0;
            while (cN < 20_000)
            {
                for (var i = 0; i < 100; i++)
                {
                    var control = i % 10 != 0;
                    var (done, failed) = draw(random, control);
                    if (control)
                    {
                        kN++;
                        kDone += done ? 1 : 0;
                        kErr += failed ? 1 : 0;
                    }
                    else
                    {
                        cN++;
                        cDone += done ? 1 : 0;
                        cErr += failed ? 1 : 0;
                    }
                }

                var snapshot = new AnalysisSnapshot(DateTimeOffset.UnixEpoch, cN, Arm(cN, cDone, cErr), Arm(kN, kDone, kErr));
                if (TriggerEvaluator.EvaluateTriggers(plan, snapshot).Any(e => e.Verdict == TriggerVerdict.Breached))
                {
                    break;
                }
            }

            delays.Add(cN);
        }

        return delays;
    }

    /// <summary>A fixed-sample 95% z-interval (same variance, same minimum samples) judged at every tick: what not to do.</summary>
    private static bool NaiveBreach(long cN, long cDone, long cErr, long kN, long kDone)
    {
        if (cN < TriggerEvaluator.MinSamples || kN < TriggerEvaluator.MinSamples)
        {
            return false;
        }

        const double z = 1.959963984540054;
        var diff = ((double)cDone / cN) - ((double)kDone / kN);
        var seDiff = Math.Sqrt((ConfidenceSequence.SmoothedVariance(cDone, cN) / cN) + (ConfidenceSequence.SmoothedVariance(kDone, kN) / kN));
        var rate = (double)cErr / cN;
        var seRate = Math.Sqrt(ConfidenceSequence.SmoothedVariance(cErr, cN) / cN);
        return diff + (z * seDiff) < 0 || rate - (z * seRate) > 0.02;
    }

    private static ArmCounts Arm(long trials, long done, long errors) => new(new Dictionary<string, MetricCounts>
    {
        [ReleaseMetrics.TaskCompleted] = new(done, trials),
        [ReleaseMetrics.ErrorRate] = new(errors, trials),
    });

    private static long Median(List<long> values) => values.Order().ElementAt(values.Count / 2);

    private void Report(string what, List<long> delays)
    {
        var sorted = delays.Order().ToList();
        output.WriteLine($"{what}: canary samples to rollback over {delays.Count} runs: median {Median(delays)}, 90th percentile {sorted[(int)(0.9 * sorted.Count)]}, max {sorted[^1]}");
    }
}

using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;

namespace Vigil.Cli.Demo;

/// <summary>
/// The simulated users of the release scenarios: they ask the <c>recommender</c> for recommendations at a steady daily
/// rate (following <see cref="BaselineTraffic"/>'s daily curve) until told to stop, complete their task by
/// <see cref="EngagementRule"/> — so the outcome depends on the model that actually served them, champion or canary —
/// and report it through <c>POST /v1/feedback</c> some simulated minutes later.
/// </summary>
/// <remarks>
/// Each user sends every request with the same key (<c>user-{id}</c>), so Vigil's sticky bucketing keeps a user on the same
/// arm for a step. Users are drawn from a pool with a mild skew (some users send more than others, none dominates), so
/// that a 1% canary gets about 1% of the requests. What is drawn comes from the seed, in request order.
/// </remarks>
[SuppressMessage("Security", "CA5394:Do not use insecure randomness", Justification = "A seeded simulation, not security.")]
public sealed class ReleaseTrafficDriver
{
    private readonly DemoContext _context;
    private readonly int _requestsPerDay;
    private readonly RecommendationDataGenerator _generator;
    private readonly Random _random;
    private readonly SimulatedUser[] _users;
    private readonly ConcurrentDictionary<(string Label, string Arm, int Version), ArmTally> _tallies = new();
    private string _label = "";

    /// <summary>Creates the users: as many as a day's requests, between 500 and 20,000, so that even a 1% step has a few of them.</summary>
    /// <param name="context">The demo's server, clients and clock.</param>
    /// <param name="seed">The seed of this scenario's users and traffic.</param>
    /// <param name="requestsPerDay">Requests per simulated day.</param>
    public ReleaseTrafficDriver(DemoContext context, int seed, int requestsPerDay)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentOutOfRangeException.ThrowIfLessThan(requestsPerDay, 1);
        _context = context;
        _requestsPerDay = requestsPerDay;
        _generator = new RecommendationDataGenerator(seed);
        _random = new Random(unchecked(seed + 1));
        _users = new SimulatedUser[Math.Clamp(requestsPerDay, 500, 20_000)];
        for (var i = 0; i < _users.Length; i++)
        {
            _users[i] = _generator.NextUser(i + 1);
        }
    }

    /// <summary>What the users saw so far, counted on the client side.</summary>
    public TrafficStats Stats { get; } = new();

    /// <summary>
    /// A label for the requests sent from now on (<c>""</c> by default): the tallies are kept per label, so a scenario can
    /// ask which arms served the requests sent while, say, the kill switch was off.
    /// </summary>
    public string Label
    {
        get => Volatile.Read(ref _label);
        set => Volatile.Write(ref _label, value ?? "");
    }

    /// <summary>The requests answered so far by arm and version, over every label.</summary>
    public IReadOnlyList<ArmCount> Tally() => Tally(null);

    /// <summary>The requests sent under <paramref name="label"/> (all labels when null) and answered, by arm and version.</summary>
    public IReadOnlyList<ArmCount> Tally(string? label) =>
        [.. _tallies.Where(t => label is null || t.Key.Label == label)
            .GroupBy(t => (t.Key.Arm, t.Key.Version))
            .Select(g => new ArmCount(g.Key.Arm, g.Key.Version, g.Sum(t => t.Value.Requests), g.Sum(t => t.Value.Completed)))
            .OrderBy(c => c.Arm, StringComparer.Ordinal).ThenBy(c => c.Version)];

    /// <summary>
    /// Sends traffic from now until <paramref name="stop"/> is cancelled, then waits for the requests in flight and sends
    /// the remaining feedback as it falls due. Returns the scenario's report.
    /// </summary>
    public async Task<TrafficReport> RunAsync(string scenario, CancellationToken stop, CancellationToken cancellationToken)
    {
        var clock = _context.Clock;
        var concurrency = _context.Settings.Concurrency;
        var feedback = new FeedbackQueue();
        var started = Stopwatch.GetTimestamp();
        var start = clock.GetUtcNow();
        var pacer = new TrafficPacer(clock);
        var allPredicted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var sender = BaselineTraffic.SendFeedbackAsync(_context, feedback, Stats, allPredicted.Task, cancellationToken);
        // Not disposed: a request still in flight when the demo is stopped releases it afterwards. It holds no wait handle.
        var gate = new SemaphoreSlim(concurrency);
        try
        {
            for (var day = start; !stop.IsCancellationRequested; day += TimeSpan.FromDays(1))
            {
                foreach (var arrival in BaselineTraffic.Arrivals(_random, day, _requestsPerDay))
                {
                    if (arrival < start)
                    {
                        continue;
                    }

                    await BaselineTraffic.WaitUntilAsync(clock, arrival, cancellationToken);
                    await gate.WaitAsync(cancellationToken);
                    if (stop.IsCancellationRequested)
                    {
                        gate.Release();
                        break;
                    }

                    pacer.Sending(arrival);

                    // Draw everything here, in order, so the requests do not depend on how responses interleave.
                    var user = _users[(int)(_users.Length * Math.Pow(_random.NextDouble(), 1.5))];
                    var example = _generator.NextExample(user);
                    var delay = BaselineTraffic.FeedbackDelay(_random);
                    var draw = _random.NextDouble();
                    _ = PredictAsync(example, delay, draw, Label, gate, feedback, cancellationToken);
                }
            }

            // Wait for the requests still in flight: each holds one slot of the gate until it is done.
            for (var i = 0; i < concurrency; i++)
            {
                await gate.WaitAsync(cancellationToken);
            }
        }
        finally
        {
            allPredicted.TrySetResult();
            pacer.Release();
        }

        if (pacer.Describe(scenario) is { } slowed)
        {
            _context.Console.Line(slowed);
        }

        await sender;
        return Stats.Report(scenario, start, clock.GetUtcNow(), Stopwatch.GetElapsedTime(started));
    }

    private async Task PredictAsync(
        RecommendationExample example,
        TimeSpan feedbackDelay,
        double draw,
        string label,
        SemaphoreSlim gate,
        FeedbackQueue feedback,
        CancellationToken cancellationToken)
    {
        try
        {
            var call = await _context.Traffic.PredictAsync(RecommendationDataGenerator.ServiceName, example, cancellationToken);
            if (!call.Succeeded)
            {
                Stats.Failure(call.Error ?? "predict failed");
                return;
            }

            var completed = draw < EngagementRule.CompletionProbability(call.Probability, example.Probability);
            Stats.Success(call.Probability, call.LatencyMs, completed);
            var tally = _tallies.GetOrAdd((label, call.Arm, call.Version), _ => new ArmTally());
            tally.Add(completed);
            feedback.Enqueue(new PendingFeedback(call.RequestId, completed, _context.Clock.GetUtcNow() + feedbackDelay));
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The demo is stopping.
        }
        finally
        {
            gate.Release();
        }
    }

    private sealed class ArmTally
    {
        private long _requests;
        private long _completed;

        public long Requests => Interlocked.Read(ref _requests);

        public long Completed => Interlocked.Read(ref _completed);

        public void Add(bool completed)
        {
            Interlocked.Increment(ref _requests);
            if (completed)
            {
                Interlocked.Increment(ref _completed);
            }
        }
    }
}

/// <summary>Requests one arm and version answered, as the simulated users counted them.</summary>
/// <param name="Arm">champion or canary.</param>
/// <param name="Version">The version that served.</param>
/// <param name="Requests">Requests answered.</param>
/// <param name="Completed">Of those, how many users completed their task (by <see cref="EngagementRule"/>).</param>
public sealed record ArmCount(string Arm, int Version, long Requests, long Completed)
{
    /// <summary>Share of the requests whose user completed their task.</summary>
    public double CompletionRate => Requests > 0 ? (double)Completed / Requests : 0;
}

using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;

namespace Vigil.Cli.Demo;

/// <summary>
/// The first scenario: simulated users ask the <c>recommender</c> champion for recommendations over a few simulated
/// days, engage with the true probability of <see cref="RecommendationDataGenerator"/>'s rule, and report whether they
/// did some simulated minutes later through <c>POST /v1/feedback</c>.
/// </summary>
/// <remarks>
/// Traffic follows a daily curve (busiest around 20:00 UTC of the simulated clock, quietest around 08:00) and a few
/// heavy users send much of it, as on a real product. Everything that is drawn (users, items, arrival times,
/// engagement, feedback delays) comes from the run's seed, so two runs send the same requests; only their
/// interleaving under concurrency differs.
/// </remarks>
[SuppressMessage("Security", "CA5394:Do not use insecure randomness", Justification = "A seeded simulation, not security.")]
public sealed class BaselineTraffic : IDemoScenario
{
    /// <summary>Feedback items sent in one POST /v1/feedback.</summary>
    public const int FeedbackBatchSize = 500;

    /// <summary>The shortest simulated delay between a prediction and its feedback.</summary>
    public static readonly TimeSpan MinFeedbackDelay = TimeSpan.FromMinutes(2);

    /// <summary>The longest simulated delay between a prediction and its feedback.</summary>
    public static readonly TimeSpan MaxFeedbackDelay = TimeSpan.FromMinutes(60);

    // How often the feedback sender looks for due items when nothing is due sooner (simulated time).
    private static TimeSpan FeedbackPoll => TimeSpan.FromMinutes(1);

    /// <inheritdoc />
    public string Name => "baseline-traffic";

    /// <inheritdoc />
    public string Description => "simulated users ask the champion for recommendations and report later whether they engaged";

    /// <inheritdoc />
    public async Task<TrafficReport> RunAsync(DemoContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var settings = context.Settings;
        var clock = context.Clock;

        // Separate streams from the training data's: same seed, different draws.
        var generator = new RecommendationDataGenerator(unchecked(context.Seed + 1));
        var random = new Random(unchecked(context.Seed + 2));
        var users = new SimulatedUser[Math.Clamp(settings.RequestsPerDay / 4, 20, 10_000)];
        for (var i = 0; i < users.Length; i++)
        {
            users[i] = generator.NextUser(i + 1);
        }

        var stats = new TrafficStats();
        var feedback = new FeedbackQueue();
        var duration = TimeSpan.FromDays(settings.Days);
        var planned = (long)settings.RequestsPerDay * settings.Days;
        var started = Stopwatch.GetTimestamp();
        var start = clock.GetUtcNow();
        var pacer = new TrafficPacer(clock);

        var report = await context.Console.TrackAsync($"{Name}: {settings.Days} simulated day(s), {planned:N0} requests", async progress =>
        {
            var allPredicted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var sender = SendFeedbackAsync(context, feedback, stats, allPredicted.Task, cancellationToken);
            // Not disposed: a request still in flight when the demo is stopped releases it afterwards. It holds no wait handle.
            var gate = new SemaphoreSlim(settings.Concurrency);
            try
            {
                for (var day = 0; day < settings.Days; day++)
                {
                    foreach (var arrival in Arrivals(random, start + TimeSpan.FromDays(day), settings.RequestsPerDay))
                    {
                        await WaitUntilAsync(clock, arrival, cancellationToken);
                        await gate.WaitAsync(cancellationToken);
                        pacer.Sending(arrival);

                        // Draw everything here, in order, so the requests do not depend on how responses interleave.
                        var user = users[(int)(users.Length * Math.Pow(random.NextDouble(), 2))];
                        var example = generator.NextExample(user);
                        var delay = FeedbackDelay(random);
                        _ = PredictAsync(context, example, delay, gate, stats, feedback, cancellationToken);
                        progress.Report(stats.Progress(Name, start, clock.GetUtcNow(), duration, planned));
                    }
                }

                // Wait for the requests still in flight: each holds one slot of the gate until it is done.
                for (var i = 0; i < settings.Concurrency; i++)
                {
                    await gate.WaitAsync(cancellationToken);
                }
            }
            finally
            {
                allPredicted.TrySetResult();
                pacer.Release();
            }

            await sender;
            var end = clock.GetUtcNow();
            progress.Report(stats.Progress(Name, start, start + duration, duration, planned));
            return stats.Report(Name, start, end, Stopwatch.GetElapsedTime(started));
        });
        if (pacer.Describe(Name) is { } slowed)
        {
            context.Console.Line(slowed);
        }

        return report;
    }

    /// <summary>
    /// <paramref name="count"/> arrival times within the simulated day starting at <paramref name="dayStart"/>, in order,
    /// following a daily curve that peaks at 20:00 and is lowest at 08:00 (UTC hours of the simulated clock).
    /// </summary>
    internal static IEnumerable<DateTimeOffset> Arrivals(Random random, DateTimeOffset dayStart, int count)
    {
        var offsets = new double[count];
        for (var i = 0; i < count; i++)
        {
            double seconds;
            do
            {
                seconds = random.NextDouble() * 86_400;
            }
            while (random.NextDouble() * 1.7 > Intensity(dayStart.AddSeconds(seconds)));

            offsets[i] = seconds;
        }

        Array.Sort(offsets);
        return offsets.Select(dayStart.AddSeconds);
    }

    /// <summary>Relative traffic intensity at <paramref name="at"/>: between 0.3 and 1.7, highest at 20:00.</summary>
    internal static double Intensity(DateTimeOffset at)
    {
        var hour = at.UtcDateTime.TimeOfDay.TotalHours;
        return 1 + (0.7 * Math.Cos(2 * Math.PI * (hour - 20) / 24));
    }

    /// <summary>A simulated delay between a prediction and its feedback: 2 minutes plus an exponential wait (mean 8 minutes), at most an hour.</summary>
    internal static TimeSpan FeedbackDelay(Random random)
    {
        var minutes = MinFeedbackDelay.TotalMinutes - (8 * Math.Log(1 - random.NextDouble()));
        return TimeSpan.FromMinutes(Math.Min(minutes, MaxFeedbackDelay.TotalMinutes));
    }

    /// <summary>
    /// Waits on the simulated clock until <paramref name="at"/> (returns at once when it has passed). A delay keeps the real
    /// duration it started with, so when the clock slowed meanwhile (<see cref="TrafficPacer"/>) it waits again for the rest.
    /// </summary>
    internal static async Task WaitUntilAsync(AcceleratedTimeProvider clock, DateTimeOffset at, CancellationToken cancellationToken)
    {
        for (var wait = at - clock.GetUtcNow(); wait > TimeSpan.Zero; wait = at - clock.GetUtcNow())
        {
            await Task.Delay(wait, clock, cancellationToken);
        }
    }

    private static async Task PredictAsync(
        DemoContext context,
        RecommendationExample example,
        TimeSpan feedbackDelay,
        SemaphoreSlim gate,
        TrafficStats stats,
        FeedbackQueue feedback,
        CancellationToken cancellationToken)
    {
        try
        {
            var call = await context.Traffic.PredictAsync(RecommendationDataGenerator.ServiceName, example, cancellationToken);
            if (!call.Succeeded)
            {
                stats.Failure(call.Error ?? "predict failed");
                return;
            }

            stats.Success(call.Probability, call.LatencyMs, example.Engaged);
            feedback.Enqueue(new PendingFeedback(call.RequestId, example.Engaged, context.Clock.GetUtcNow() + feedbackDelay));
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

    /// <summary>Sends feedback as it falls due, in batches, until every prediction is made and every item is sent.</summary>
    internal static async Task SendFeedbackAsync(
        DemoContext context,
        FeedbackQueue queue,
        TrafficStats stats,
        Task allPredicted,
        CancellationToken cancellationToken)
    {
        var clock = context.Clock;
        while (true)
        {
            var now = clock.GetUtcNow();
            var due = queue.TakeDue(now, FeedbackBatchSize);
            if (due.Count > 0)
            {
                var call = await context.Traffic.SendFeedbackAsync(due, cancellationToken);
                if (call.Response is { } response)
                {
                    stats.FeedbackDelivered(due.Count, response.Stored, response.Duplicates, response.UnknownRequestIds.Count);
                }
                else
                {
                    stats.FeedbackFailed(due.Count, call.Error ?? "feedback failed");
                }

                continue;
            }

            var next = queue.NextDueAt;
            if (next is null && allPredicted.IsCompleted && queue.Count == 0)
            {
                return;
            }

            var wait = next is { } at && at - now < FeedbackPoll ? at - now : FeedbackPoll;
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait, clock, cancellationToken);
            }
        }
    }
}

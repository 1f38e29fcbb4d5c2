using System.Diagnostics.CodeAnalysis;

namespace Vigil.Cli.Demo;

/// <summary>
/// Thread-safe counters of one traffic scenario, filled by concurrent requests and read for progress and the final report.
/// Memory stays bounded: latencies beyond <see cref="LatencySampleSize"/> are kept as a uniform random sample (reservoir
/// sampling), which is plenty for a mean and a p99.
/// </summary>
[SuppressMessage("Security", "CA5394:Do not use insecure randomness", Justification = "Sampling latencies, not security.")]
public sealed class TrafficStats
{
    /// <summary>Most latencies kept for the percentiles.</summary>
    public const int LatencySampleSize = 100_000;

    private readonly Lock _lock = new();
    private readonly List<double> _latenciesMs = [];
    private readonly Random _sampler = new(0);
    private long _latencyCount;
    private double _latencySumMs;
    private long _requests;
    private long _errors;
    private long _engaged;
    private double _probabilitySum;
    private long _feedbackSent;
    private long _feedbackErrors;
    private long _outcomesStored;
    private long _outcomesDuplicate;
    private long _feedbackAhead;
    private string? _firstError;

    /// <summary>Requests answered or failed so far.</summary>
    public long Requests => Interlocked.Read(ref _requests);

    /// <summary>Requests that failed so far.</summary>
    public long Errors => Interlocked.Read(ref _errors);

    /// <summary>Successful requests whose user engaged so far.</summary>
    public long Engaged => Interlocked.Read(ref _engaged);

    /// <summary>Feedback items sent so far.</summary>
    public long FeedbackSent => Interlocked.Read(ref _feedbackSent);

    /// <summary>Counts a successful prediction.</summary>
    public void Success(double probability, double latencyMs, bool engaged)
    {
        lock (_lock)
        {
            _requests++;
            _probabilitySum += probability;
            _latencyCount++;
            _latencySumMs += latencyMs;
            if (_latenciesMs.Count < LatencySampleSize)
            {
                _latenciesMs.Add(latencyMs);
            }
            else
            {
                // Algorithm R: the n-th latency replaces a random kept one with probability size / n.
                var slot = _sampler.NextInt64(_latencyCount);
                if (slot < LatencySampleSize)
                {
                    _latenciesMs[(int)slot] = latencyMs;
                }
            }
            if (engaged)
            {
                _engaged++;
            }
        }
    }

    /// <summary>Counts a failed prediction; the first failure's message is kept for the summary.</summary>
    public void Failure(string message)
    {
        lock (_lock)
        {
            _requests++;
            _errors++;
            _firstError ??= message;
        }
    }

    /// <summary>Counts a delivered feedback batch of <paramref name="items"/> items and what Vigil did with it.</summary>
    public void FeedbackDelivered(int items, int stored, int duplicates, int aheadOfPrediction)
    {
        lock (_lock)
        {
            _feedbackSent += items;
            _outcomesStored += stored;
            _outcomesDuplicate += duplicates;
            _feedbackAhead += aheadOfPrediction;
        }
    }

    /// <summary>Counts a feedback batch of <paramref name="items"/> items that Vigil did not accept.</summary>
    public void FeedbackFailed(int items, string message)
    {
        lock (_lock)
        {
            _feedbackSent += items;
            _feedbackErrors += items;
            _firstError ??= message;
        }
    }

    /// <summary>The progress so far (cheap: no percentiles).</summary>
    public TrafficProgress Progress(string scenario, DateTimeOffset start, DateTimeOffset now, TimeSpan duration, long planned)
    {
        lock (_lock)
        {
            return new TrafficProgress(scenario, start, now, duration, planned, _requests, _errors, _engaged, _feedbackSent);
        }
    }

    /// <summary>The final report, with latency percentiles.</summary>
    public TrafficReport Report(string scenario, DateTimeOffset start, DateTimeOffset end, TimeSpan realDuration)
    {
        lock (_lock)
        {
            var successes = _requests - _errors;
            var latencies = _latenciesMs.ToArray();
            Array.Sort(latencies);
            return new TrafficReport(
                scenario,
                start,
                end,
                realDuration,
                _requests,
                _errors,
                _engaged,
                successes > 0 ? _probabilitySum / successes : 0,
                _latencyCount > 0 ? _latencySumMs / _latencyCount : 0,
                Percentile(latencies, 0.99),
                _feedbackSent,
                _feedbackErrors,
                _outcomesStored,
                _outcomesDuplicate,
                _feedbackAhead,
                _firstError);
        }
    }

    /// <summary>The <paramref name="q"/> quantile of sorted values by the nearest-rank method (0 for none).</summary>
    internal static double Percentile(double[] sorted, double q)
    {
        if (sorted.Length == 0)
        {
            return 0;
        }

        var rank = (int)Math.Ceiling(q * sorted.Length);
        return sorted[Math.Clamp(rank - 1, 0, sorted.Length - 1)];
    }
}

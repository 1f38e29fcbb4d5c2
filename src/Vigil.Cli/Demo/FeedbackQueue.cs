namespace Vigil.Cli.Demo;

/// <summary>
/// Feedback waiting to arrive: each item is due at a simulated time some minutes after its prediction, and is taken out
/// once the clock reaches it. Thread-safe; bounded by the number of requests of a scenario.
/// </summary>
public sealed class FeedbackQueue
{
    private readonly Lock _lock = new();
    private readonly PriorityQueue<PendingFeedback, DateTimeOffset> _queue = new();

    /// <summary>Items still waiting.</summary>
    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _queue.Count;
            }
        }
    }

    /// <summary>When the earliest waiting item is due; null when none waits.</summary>
    public DateTimeOffset? NextDueAt
    {
        get
        {
            lock (_lock)
            {
                return _queue.TryPeek(out _, out var due) ? due : null;
            }
        }
    }

    /// <summary>Adds an item.</summary>
    public void Enqueue(PendingFeedback item)
    {
        ArgumentNullException.ThrowIfNull(item);
        lock (_lock)
        {
            _queue.Enqueue(item, item.DueAt);
        }
    }

    /// <summary>Removes and returns up to <paramref name="max"/> items due at or before <paramref name="now"/>, earliest first.</summary>
    public IReadOnlyList<PendingFeedback> TakeDue(DateTimeOffset now, int max)
    {
        var due = new List<PendingFeedback>();
        lock (_lock)
        {
            while (due.Count < max && _queue.TryPeek(out var item, out var at) && at <= now)
            {
                _queue.Dequeue();
                due.Add(item);
            }
        }

        return due;
    }
}

using System.Threading.Channels;
using Microsoft.Extensions.Options;
using Vigil.Persistence;
using Vigil.Predictions;
using Vigil.Server.Api;
using Vigil.Server.Hosting;
using Vigil.Server.Observability;

namespace Vigil.Server.Recording;

/// <summary>
/// Takes every prediction record off the request path through a bounded channel and writes them to the store in batches,
/// then folds each written batch into live monitoring. A full channel drops the record and counts it (the request still
/// succeeds, except in <see cref="RecorderDurability.Commit"/>); a store that fails is retried with backoff while the
/// channel buffers (fail static). Stopping drains what is queued.
/// </summary>
/// <remarks>
/// Records are written before they are folded, and the fold cannot fail a batch (<see cref="Monitoring.LiveMonitoring.Fold"/>
/// isolates each record), so nothing a client sends can keep an answered prediction out of the store or stop this loop;
/// should the loop itself fail unexpectedly it logs, counts and goes on with the next batch.
/// </remarks>
public sealed partial class PredictionRecorder : BackgroundService
{
    /// <summary>The loop's name in <c>vigil_background_failures_total</c>.</summary>
    public const string LoopName = "recorder";

    private static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(10);
    private readonly Channel<Entry> _channel;
    private readonly IVigilStore _store;
    private readonly VigilMetrics _metrics;
    private readonly ILogger<PredictionRecorder> _logger;
    private readonly int _batchSize;
    private readonly int _capacity;
    private readonly TimeSpan _linger;
    private readonly TimeSpan _commitTimeout;
    private long _enqueued;
    private long _written;
    private long _processed;
    private long _dropped;
    private long _writeFailures;
    private long _commitTimeouts;

    private readonly Monitoring.LiveMonitoring? _monitoring;
    private readonly Monitoring.FoldErrors? _foldErrors;

    public PredictionRecorder(
        IVigilStore store,
        VigilMetrics metrics,
        IOptions<VigilServerOptions> options,
        ILogger<PredictionRecorder> logger,
        Monitoring.LiveMonitoring? monitoring = null,
        Monitoring.FoldErrors? foldErrors = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(metrics);
        ArgumentNullException.ThrowIfNull(options);
        _monitoring = monitoring;
        _foldErrors = foldErrors;
        _store = store;
        _metrics = metrics;
        _logger = logger;
        _capacity = options.Value.RecorderCapacity;
        _batchSize = options.Value.RecorderBatchSize;
        Durability = options.Value.RecorderDurability;
        _commitTimeout = options.Value.RecorderCommitTimeout;
        // In commit durability a waiting request pays the linger: none by default, batches form while the last one is written.
        _linger = options.Value.RecorderLinger
            ?? (Durability == RecorderDurability.Commit ? TimeSpan.Zero : VigilServerOptions.DefaultRecorderLinger(store.Kind));
        _channel = Channel.CreateBounded<Entry>(new BoundedChannelOptions(_capacity)
        {
            FullMode = BoundedChannelFullMode.Wait,
            SingleReader = true,
            SingleWriter = false,
        });
        metrics.ObserveQueueDepth(() => _channel.Reader.Count);
    }

    /// <summary>How long this recorder waits to fill a batch that is not full.</summary>
    public TimeSpan Linger => _linger;

    /// <summary>When a request is answered relative to its records' write (<see cref="VigilServerOptions.RecorderDurability"/>).</summary>
    public RecorderDurability Durability { get; }

    /// <summary>Queues a record without waiting. Returns false, and counts a drop, when the channel is full.</summary>
    public bool Record(PredictionRecord record) => Record(record, null);

    /// <summary>
    /// Queues a record without waiting; with a <paramref name="ticket"/>, the ticket completes once the record is committed
    /// (<see cref="WaitCommittedAsync"/>). Returns false, counts a drop and fails the ticket when the channel is full.
    /// </summary>
    public bool Record(PredictionRecord record, CommitTicket? ticket)
    {
        ticket?.Add();
        if (_channel.Writer.TryWrite(new Entry(record, ticket)))
        {
            Interlocked.Increment(ref _enqueued);
            return true;
        }

        ticket?.Fail();
        Interlocked.Increment(ref _dropped);
        _metrics.Dropped();
        return false;
    }

    /// <summary>
    /// Waits until every record queued with <paramref name="ticket"/> is committed: true; false when one was dropped
    /// (the channel was full) or they were not committed within <see cref="VigilServerOptions.RecorderCommitTimeout"/>
    /// (they stay queued, and are written when the store can take them).
    /// </summary>
    public async ValueTask<bool> WaitCommittedAsync(CommitTicket ticket, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(ticket);
        var committed = ticket.Seal();
        if (committed.IsCompleted)
        {
            return await committed;
        }

        try
        {
            return await committed.WaitAsync(_commitTimeout, cancellationToken);
        }
        catch (TimeoutException)
        {
            Interlocked.Increment(ref _commitTimeouts);
            _metrics.CommitTimedOut();
            return false;
        }
    }

    /// <summary>The recorder's counters now.</summary>
    public RecorderView Snapshot() => new(
        _channel.Reader.Count,
        _capacity,
        Interlocked.Read(ref _written),
        Interlocked.Read(ref _dropped),
        Interlocked.Read(ref _writeFailures),
        _foldErrors?.Total ?? 0,
        Durability == RecorderDurability.Commit ? "commit" : "async",
        Interlocked.Read(ref _commitTimeouts));

    /// <summary>
    /// Waits until every record queued before this call has been written and folded into live monitoring (tests, the
    /// demo's summary, feedback joins).
    /// </summary>
    public async Task FlushAsync(CancellationToken cancellationToken)
    {
        var target = Interlocked.Read(ref _enqueued);
        while (Interlocked.Read(ref _processed) < target)
        {
            await Task.Delay(5, cancellationToken);
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        // Stop taking records, then let ExecuteAsync drain what is queued before the host's shutdown timeout.
        _channel.Writer.TryComplete();
        await base.StopAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var batch = new List<PredictionRecord>(_batchSize);
        var tickets = new List<CommitTicket>();
        var reader = _channel.Reader;
        while (true)
        {
            try
            {
                await DrainAsync(reader, batch, tickets, stoppingToken);
                return;
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                // Shutdown was forced while the store was failing: count what could not be written.
                var lost = batch.Count + reader.Count;
                if (lost > 0)
                {
                    LogLostOnShutdown(_logger, lost);
                }

                return;
            }
            catch (Exception ex)
            {
                // Not expected (writes are retried, the fold isolates records): never let it end the loop, or every later
                // record would stay queued. The batch in hand was written or is retried below with the next one.
                _metrics.LoopFailed(LoopName);
                LogLoopFailed(_logger, ex);
            }
        }
    }

    private async Task DrainAsync(ChannelReader<Entry> reader, List<PredictionRecord> batch, List<CommitTicket> tickets, CancellationToken stoppingToken)
    {
        // Reading is not cancelled by stoppingToken: on shutdown the writer is completed and the loop ends once drained.
        while (batch.Count > 0 || await reader.WaitToReadAsync(CancellationToken.None))
        {
            Take(reader, batch, tickets);

            // Under light load records arrive one at a time; a short linger gathers them into one write instead of
            // one transaction each. Real time on purpose: this is I/O batching, not domain time.
            if (batch.Count < _batchSize && _linger > TimeSpan.Zero && !stoppingToken.IsCancellationRequested)
            {
                try
                {
                    await Task.Delay(_linger, stoppingToken);
                }
                catch (OperationCanceledException)
                {
                }

                Take(reader, batch, tickets);
            }

            // Written first, then folded: a record is in the store before monitoring looks at it, so nothing in it can
            // keep it out. If the store fails, the batch is folded after the first failed attempt (monitoring keeps up
            // while the write is retried).
            var folded = await WriteWithRetryAsync(batch, stoppingToken);
            if (!folded)
            {
                _monitoring?.Fold(batch);
            }

            foreach (var ticket in tickets)
            {
                ticket.Committed();
            }

            Interlocked.Add(ref _processed, batch.Count);
            batch.Clear();
            tickets.Clear();
        }
    }

    private void Take(ChannelReader<Entry> reader, List<PredictionRecord> batch, List<CommitTicket> tickets)
    {
        while (batch.Count < _batchSize && reader.TryRead(out var entry))
        {
            batch.Add(entry.Record);
            if (entry.Ticket is { } ticket)
            {
                tickets.Add(ticket);
            }
        }
    }

    /// <summary>Writes the batch, retrying with backoff until it is stored; true when it folded the batch on the way (after a failed attempt).</summary>
    private async Task<bool> WriteWithRetryAsync(List<PredictionRecord> batch, CancellationToken stoppingToken)
    {
        var backoff = TimeSpan.FromMilliseconds(100);
        var folded = false;
        while (true)
        {
            try
            {
                await _store.WritePredictionsAsync(batch, CancellationToken.None);
                Interlocked.Add(ref _written, batch.Count);
                _metrics.Written(batch.Count);
                return folded;
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                Interlocked.Increment(ref _writeFailures);
                _metrics.WriteFailed();
                LogWriteFailed(_logger, batch.Count, backoff.TotalMilliseconds, ex);
                if (!folded)
                {
                    _monitoring?.Fold(batch);
                    folded = true;
                }

                await Task.Delay(backoff, stoppingToken);
                backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, MaxBackoff.Ticks));
            }
        }
    }

    /// <summary>A queued record and, in commit durability, the ticket of the request that waits for it.</summary>
    private readonly record struct Entry(PredictionRecord Record, CommitTicket? Ticket);

    [LoggerMessage(EventId = 1200, Level = LogLevel.Warning, Message = "Could not write {Count} prediction records; retrying in {DelayMs} ms (records stay queued)")]
    private static partial void LogWriteFailed(ILogger logger, int count, double delayMs, Exception exception);

    [LoggerMessage(EventId = 1201, Level = LogLevel.Error, Message = "Shutdown forced while the store was failing: {Count} prediction records were not written")]
    private static partial void LogLostOnShutdown(ILogger logger, int count);

    [LoggerMessage(EventId = 1202, Level = LogLevel.Error, Message = "The recorder's loop failed unexpectedly; it goes on with the next batch")]
    private static partial void LogLoopFailed(ILogger logger, Exception exception);
}

/// <summary>
/// The records of one request in <see cref="RecorderDurability.Commit"/>: the request waits on it
/// (<see cref="PredictionRecorder.WaitCommittedAsync"/>) until every record queued with it is committed. One per request,
/// never used in the default durability. Thread-safe.
/// </summary>
public sealed class CommitTicket
{
    // One count per record queued and not yet committed, plus one held until Seal: whoever takes it to zero completes.
    private int _pending = 1;
    private readonly TaskCompletionSource<bool> _done = new(TaskCreationOptions.RunContinuationsAsynchronously);

    internal void Add() => Interlocked.Increment(ref _pending);

    internal void Committed()
    {
        if (Interlocked.Decrement(ref _pending) == 0)
        {
            _done.TrySetResult(true);
        }
    }

    internal void Fail() => _done.TrySetResult(false);

    /// <summary>No more records will be added: the task completes with true once all are committed, false if one was dropped.</summary>
    internal Task<bool> Seal()
    {
        Committed();
        return _done.Task;
    }
}

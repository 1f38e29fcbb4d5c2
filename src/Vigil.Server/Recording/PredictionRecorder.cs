using System.Threading.Channels;
using Microsoft.Extensions.Options;
using Vigil.Persistence;
using Vigil.Predictions;
using Vigil.Server.Api;
using Vigil.Server.Hosting;
using Vigil.Server.Observability;

namespace Vigil.Server.Recording;

/// <summary>
/// Takes every prediction record off the request path through a bounded channel and writes them to the store in batches.
/// A full channel drops the record and counts it (the request still succeeds); a store that fails is retried with backoff
/// while the channel buffers (fail static). Stopping drains what is queued.
/// </summary>
public sealed partial class PredictionRecorder : BackgroundService
{
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(10);
    private readonly Channel<PredictionRecord> _channel;
    private readonly IVigilStore _store;
    private readonly VigilMetrics _metrics;
    private readonly ILogger<PredictionRecorder> _logger;
    private readonly int _batchSize;
    private readonly int _capacity;
    private readonly TimeSpan _linger;
    private long _enqueued;
    private long _written;
    private long _dropped;
    private long _writeFailures;

    private readonly Monitoring.LiveMonitoring? _monitoring;

    public PredictionRecorder(IVigilStore store, VigilMetrics metrics, IOptions<VigilServerOptions> options, ILogger<PredictionRecorder> logger, Monitoring.LiveMonitoring? monitoring = null)
    {
        _monitoring = monitoring;
        _store = store;
        _metrics = metrics;
        _logger = logger;
        _capacity = options.Value.RecorderCapacity;
        _batchSize = options.Value.RecorderBatchSize;
        _linger = options.Value.RecorderLinger ?? VigilServerOptions.DefaultRecorderLinger(store.Kind);
        _channel = Channel.CreateBounded<PredictionRecord>(new BoundedChannelOptions(_capacity)
        {
            FullMode = BoundedChannelFullMode.Wait,
            SingleReader = true,
            SingleWriter = false,
        });
        metrics.ObserveQueueDepth(() => _channel.Reader.Count);
    }

    /// <summary>How long this recorder waits to fill a batch that is not full.</summary>
    public TimeSpan Linger => _linger;

    /// <summary>Queues a record without waiting. Returns false, and counts a drop, when the channel is full.</summary>
    public bool Record(PredictionRecord record)
    {
        if (_channel.Writer.TryWrite(record))
        {
            Interlocked.Increment(ref _enqueued);
            return true;
        }

        Interlocked.Increment(ref _dropped);
        _metrics.Dropped();
        return false;
    }

    /// <summary>The recorder's counters now.</summary>
    public RecorderView Snapshot() => new(
        _channel.Reader.Count,
        _capacity,
        Interlocked.Read(ref _written),
        Interlocked.Read(ref _dropped),
        Interlocked.Read(ref _writeFailures));

    /// <summary>Waits until every record queued before this call has been written (tests, the demo's summary, feedback joins).</summary>
    public async Task FlushAsync(CancellationToken cancellationToken)
    {
        var target = Interlocked.Read(ref _enqueued);
        while (Interlocked.Read(ref _written) < target)
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
        var reader = _channel.Reader;
        try
        {
            // Reading is not cancelled by stoppingToken: on shutdown the writer is completed and the loop ends once drained.
            while (await reader.WaitToReadAsync(CancellationToken.None))
            {
                while (batch.Count < _batchSize && reader.TryRead(out var record))
                {
                    batch.Add(record);
                }

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

                    while (batch.Count < _batchSize && reader.TryRead(out var record))
                    {
                        batch.Add(record);
                    }
                }

                _monitoring?.Fold(batch); // before the write, so FlushAsync also means "folded"
                await WriteWithRetryAsync(batch, stoppingToken);
                batch.Clear();
            }
        }
        catch (OperationCanceledException)
        {
            // Shutdown was forced while the store was failing: count what could not be written.
            var lost = batch.Count + reader.Count;
            if (lost > 0)
            {
                LogLostOnShutdown(_logger, lost);
            }
        }
    }

    private async Task WriteWithRetryAsync(List<PredictionRecord> batch, CancellationToken stoppingToken)
    {
        var backoff = TimeSpan.FromMilliseconds(100);
        while (true)
        {
            try
            {
                await _store.WritePredictionsAsync(batch, CancellationToken.None);
                Interlocked.Add(ref _written, batch.Count);
                _metrics.Written(batch.Count);
                return;
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                Interlocked.Increment(ref _writeFailures);
                _metrics.WriteFailed();
                LogWriteFailed(_logger, batch.Count, backoff.TotalMilliseconds, ex);
                await Task.Delay(backoff, stoppingToken);
                backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, MaxBackoff.Ticks));
            }
        }
    }

    [LoggerMessage(EventId = 1200, Level = LogLevel.Warning, Message = "Could not write {Count} prediction records; retrying in {DelayMs} ms (records stay queued)")]
    private static partial void LogWriteFailed(ILogger logger, int count, double delayMs, Exception exception);

    [LoggerMessage(EventId = 1201, Level = LogLevel.Error, Message = "Shutdown forced while the store was failing: {Count} prediction records were not written")]
    private static partial void LogLostOnShutdown(ILogger logger, int count);
}

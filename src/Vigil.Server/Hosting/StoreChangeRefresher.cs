using Microsoft.Extensions.Options;
using Vigil.Persistence;

namespace Vigil.Server.Hosting;

/// <summary>
/// Keeps an in-memory snapshot current: refreshes it when the store reports a control-plane change it cares about (in
/// this process, or from another replica through PostgreSQL LISTEN/NOTIFY) and every
/// <see cref="VigilServerOptions.SnapshotResync"/> as a safety net, coalescing a burst of changes into one refresh. If
/// the store is unreachable the last snapshot stays in force (fail static). The routing snapshot and the services'
/// monitoring settings both refresh this way.
/// </summary>
public abstract partial class StoreChangeRefresher(IVigilStore store, IOptions<VigilServerOptions> options, ILogger logger) : BackgroundService
{
    private readonly SemaphoreSlim _signal = new(0, int.MaxValue);

    /// <summary>What is refreshed, for the warning when a refresh fails ("the routing snapshot").</summary>
    protected abstract string What { get; }

    /// <summary>Whether to refresh once at start, before waiting for the first change.</summary>
    protected virtual bool RefreshAtStart => false;

    /// <summary>Whether <paramref name="change"/> affects the snapshot.</summary>
    protected virtual bool Affects(ControlPlaneChange change) => true;

    /// <summary>Reads the store and swaps the snapshot.</summary>
    protected abstract Task RefreshAsync(CancellationToken cancellationToken);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        store.Changed += OnChanged;
        try
        {
            if (RefreshAtStart)
            {
                await TryRefreshAsync(stoppingToken);
            }

            while (!stoppingToken.IsCancellationRequested)
            {
                // Wake on a change or on the resync period, whichever comes first. The resync uses real time on purpose:
                // it guards against a lost notification, which has nothing to do with simulated time.
                try
                {
                    await _signal.WaitAsync(options.Value.SnapshotResync, stoppingToken);
                }
                catch (OperationCanceledException)
                {
                    return;
                }

                // Coalesce a burst of changes into one refresh.
                while (_signal.CurrentCount > 0)
                {
                    await _signal.WaitAsync(stoppingToken);
                }

                await TryRefreshAsync(stoppingToken);
            }
        }
        finally
        {
            store.Changed -= OnChanged;
        }
    }

    private async Task TryRefreshAsync(CancellationToken stoppingToken)
    {
        try
        {
            await RefreshAsync(stoppingToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogRefreshFailed(logger, What, ex);
        }
    }

    private void OnChanged(object? sender, ControlPlaneChange change)
    {
        if (Affects(change))
        {
            _signal.Release();
        }
    }

    [LoggerMessage(EventId = 1101, Level = LogLevel.Warning, Message = "Could not refresh {What}; the last one stays in force")]
    private static partial void LogRefreshFailed(ILogger logger, string what, Exception exception);
}

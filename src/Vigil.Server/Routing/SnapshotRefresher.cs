using Microsoft.Extensions.Options;
using Vigil.Server.Hosting;

namespace Vigil.Server.Routing;

/// <summary>
/// Rebuilds the routing snapshot when the store reports a control-plane change (in this process, or from another replica
/// through PostgreSQL LISTEN/NOTIFY), and every <see cref="VigilServerOptions.SnapshotResync"/> as a safety net.
/// If the store is unreachable the last snapshot stays in force (fail static).
/// </summary>
public sealed partial class SnapshotRefresher(
    IVigilStore store,
    RoutingState routing,
    IOptions<VigilServerOptions> options,
    ILogger<SnapshotRefresher> logger) : BackgroundService
{
    private readonly SemaphoreSlim _signal = new(0, int.MaxValue);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        store.Changed += OnChanged;
        try
        {
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

                // Coalesce a burst of changes into one rebuild.
                while (_signal.CurrentCount > 0)
                {
                    await _signal.WaitAsync(stoppingToken);
                }

                try
                {
                    await routing.RebuildAsync(stoppingToken);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    LogRebuildFailed(logger, ex);
                }
            }
        }
        finally
        {
            store.Changed -= OnChanged;
        }
    }

    private void OnChanged(object? sender, ControlPlaneChange change) => _signal.Release();

    [LoggerMessage(EventId = 1101, Level = LogLevel.Warning, Message = "Could not rebuild the routing snapshot; the last one stays in force")]
    private static partial void LogRebuildFailed(ILogger logger, Exception exception);
}

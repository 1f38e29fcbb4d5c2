using Vigil.Persistence;

namespace Vigil.Server.Access;

/// <summary>Refreshes the <see cref="KeyRing"/> when the store reports a change (a key created or revoked on another replica).</summary>
public sealed partial class KeyRingRefresher(IVigilStore store, KeyRing keys, ILogger<KeyRingRefresher> logger) : BackgroundService
{
    private readonly SemaphoreSlim _signal = new(0, int.MaxValue);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        store.Changed += OnChanged;
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                await _signal.WaitAsync(stoppingToken);
                try
                {
                    await keys.RefreshAsync(stoppingToken);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    LogRefreshFailed(logger, ex);
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
        finally
        {
            store.Changed -= OnChanged;
        }
    }

    private void OnChanged(object? sender, ControlPlaneChange change)
    {
        if (change.Service is null)
        {
            _signal.Release();
        }
    }

    [LoggerMessage(EventId = 1301, Level = LogLevel.Warning, Message = "Could not refresh API keys; the last set stays in force")]
    private static partial void LogRefreshFailed(ILogger logger, Exception exception);
}

using System.Collections.Frozen;
using Microsoft.Extensions.Options;
using Vigil.Monitoring.Layers;
using Vigil.Server.Hosting;

namespace Vigil.Server.Monitoring.Layers;

/// <summary>
/// Every service's <see cref="MonitoringSettings"/> as an immutable snapshot the gateway reads without a lock (one
/// dictionary lookup per request). Rebuilt when the store reports a settings change (here or, on PostgreSQL, from another
/// replica) and on the routing resync period as a safety net; a service without stored settings gets the defaults.
/// </summary>
public sealed class LayerSettingsCache(IVigilStore store)
{
    private volatile FrozenDictionary<string, MonitoringSettings> _settings = FrozenDictionary<string, MonitoringSettings>.Empty;

    /// <summary>The settings of <paramref name="service"/> (defaults when never set).</summary>
    public MonitoringSettings For(string service) => _settings.GetValueOrDefault(service) ?? MonitoringSettings.Default;

    /// <summary>Reads every service's settings from the store and swaps the snapshot.</summary>
    public async Task ReloadAsync(CancellationToken cancellationToken)
    {
        var stored = await store.ListMonitoringSettingsAsync(cancellationToken);
        _settings = stored.ToFrozenDictionary(s => s.Service, s => s.Settings, StringComparer.Ordinal);
    }
}

/// <summary>Keeps <see cref="LayerSettingsCache"/> current: at start, on each settings change, and every snapshot resync.</summary>
public sealed partial class LayerSettingsRefresher(
    IVigilStore store,
    LayerSettingsCache cache,
    IOptions<VigilServerOptions> options,
    ILogger<LayerSettingsRefresher> logger) : BackgroundService
{
    private readonly SemaphoreSlim _signal = new(0, int.MaxValue);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        store.Changed += OnChanged;
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                try
                {
                    await cache.ReloadAsync(stoppingToken);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    LogReloadFailed(logger, ex);
                }

                try
                {
                    await _signal.WaitAsync(options.Value.SnapshotResync, stoppingToken);
                }
                catch (OperationCanceledException)
                {
                    return;
                }

                while (_signal.CurrentCount > 0)
                {
                    await _signal.WaitAsync(stoppingToken);
                }
            }
        }
        finally
        {
            store.Changed -= OnChanged;
        }
    }

    private void OnChanged(object? sender, ControlPlaneChange change)
    {
        if (change.What == LayerActions.SettingsSet)
        {
            _signal.Release();
        }
    }

    [LoggerMessage(EventId = 1901, Level = LogLevel.Warning, Message = "Could not reload the services' monitoring settings; the last ones stay in force")]
    private static partial void LogReloadFailed(ILogger logger, Exception exception);
}

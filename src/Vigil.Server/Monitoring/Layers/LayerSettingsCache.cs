using System.Collections.Frozen;
using Microsoft.Extensions.Options;
using Vigil.Monitoring.Layers;
using Vigil.Persistence;
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

/// <summary>
/// Keeps <see cref="LayerSettingsCache"/> current (<see cref="StoreChangeRefresher"/>): at start, on each settings
/// change, and every snapshot resync.
/// </summary>
public sealed class LayerSettingsRefresher(IVigilStore store, LayerSettingsCache cache, IOptions<VigilServerOptions> options, ILogger<LayerSettingsRefresher> logger)
    : StoreChangeRefresher(store, options, logger)
{
    protected override string What => "the services' monitoring settings";

    protected override bool RefreshAtStart => true;

    protected override bool Affects(ControlPlaneChange change) => change.What == LayerActions.SettingsSet;

    protected override Task RefreshAsync(CancellationToken cancellationToken) => cache.ReloadAsync(cancellationToken);
}

namespace Vigil.Server.Monitoring.Layers;

/// <summary>Registers the monitoring layers' settings cache and its refresher.</summary>
public static class LayersServiceCollectionExtensions
{
    public static IServiceCollection AddVigilLayers(this IServiceCollection services)
    {
        services.AddSingleton<LayerSettingsCache>();
        services.AddSingleton<PerformanceLayer>();
        services.AddSingleton<OutputLayer>();
        services.AddSingleton<SegmentDrift>();
        services.AddSingleton<LayerMonitorEvaluator>();
        services.AddHostedService(sp => sp.GetRequiredService<LayerMonitorEvaluator>());
        services.AddHostedService<LayersHook>();
        services.AddHostedService<LayerSettingsRefresher>();
        return services;
    }
}

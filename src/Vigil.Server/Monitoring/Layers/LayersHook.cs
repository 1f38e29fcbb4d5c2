namespace Vigil.Server.Monitoring.Layers;

/// <summary>Connects the performance and business layers to <see cref="LiveMonitoring.Layers"/> at start.</summary>
public sealed class LayersHook(LiveMonitoring monitoring, LayerMonitorEvaluator evaluator) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        monitoring.OtherLayers = service =>
        {
            var (performance, business) = evaluator.HasData(service);
            return (performance, business, evaluator.Alerts(service));
        };
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}

using Vigil.Server.Observability;

namespace Vigil.Server.Monitoring.Layers;

/// <summary>Connects the layers to <see cref="LiveMonitoring"/> at start: the input and output folds, output summaries, and the performance and business states of <see cref="LiveMonitoring.Layers"/>.</summary>
public sealed class LayersHook(LiveMonitoring monitoring, LayerMonitorEvaluator evaluator, OutputLayer outputs, SegmentDrift segments, LayerSettingsCache settings, VigilMetrics? metrics = null) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        monitoring.FoldHook = (window, record) =>
        {
            InputLayerFold.Fold(window, record, monitoring.MaxUnknownFeatures, metrics);
            outputs.Fold(window, record);
            segments.Fold(record);
        };
        monitoring.SummarizeOutputs = outputs.Summarize;
        monitoring.ServiceMonitors = service => settings.For(service).WindowMonitors;
        monitoring.OtherLayers = service =>
        {
            var (performance, business) = evaluator.HasData(service);
            return (performance, business, evaluator.Alerts(service));
        };
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}

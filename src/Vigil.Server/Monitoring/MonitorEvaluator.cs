using Microsoft.Extensions.Options;
using Vigil.Monitoring;
using Vigil.Server.Hosting;

namespace Vigil.Server.Monitoring;

/// <summary>
/// The monitoring control loop: every <see cref="VigilServerOptions.ControllerTick"/> of the server's clock it closes the
/// one-minute windows that have ended, evaluates the monitors and POSTs every alert that starts firing or resolves (and
/// is not inhibited) to the configured webhooks, in the shape <see cref="AlertNotifications"/> picks per URL.
/// </summary>
public sealed partial class MonitorEvaluator(
    LiveMonitoring monitoring,
    TimeProvider time,
    IHttpClientFactory clients,
    IOptions<VigilServerOptions> options,
    ILogger<MonitorEvaluator> logger, ILeaderElection leader) : BackgroundService
{
    /// <summary>One evaluation (the loop calls it; tests call it after advancing a fake clock).</summary>
    public async Task TickAsync(CancellationToken ct)
    {
        foreach (var (stream, change) in monitoring.Evaluate(time.GetUtcNow()))
        {
            if (change.Inhibited || change.To is not (AlertState.Firing or AlertState.Resolved))
            {
                continue;
            }

            LogAlert(logger, change.To.ToString(), stream.Service, change.Summary);
            foreach (var url in options.Value.Webhooks)
            {
                try
                {
                    using var client = clients.CreateClient(Releases.ReleaseNotifier.ClientName);
                    var (target, content) = AlertNotifications.Create(url, stream, change);
                    using (content)
                    using (var response = await client.PostAsync(target, content, ct))
                    {
                    }
                }
                catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or UriFormatException)
                {
                    LogWebhookFailed(logger, url, ex.Message);
                }
            }
        }
    }

    protected override Task ExecuteAsync(CancellationToken stoppingToken)
    {
        return ControlLoop.RunAsync(TickAsync, options.Value.ControllerTick, time, ex => LogLoopFailed(logger, ex), stoppingToken, leader: leader);
    }

    [LoggerMessage(EventId = 1501, Level = LogLevel.Information, Message = "Alert {State} for {Service}: {Summary}")]
    private static partial void LogAlert(ILogger logger, string state, string service, string summary);

    [LoggerMessage(EventId = 1502, Level = LogLevel.Warning, Message = "Webhook {Url} did not take an alert: {Reason}")]
    private static partial void LogWebhookFailed(ILogger logger, string url, string reason);

    [LoggerMessage(EventId = 1503, Level = LogLevel.Warning, Message = "The monitor evaluator's tick failed; retrying next tick")]
    private static partial void LogLoopFailed(ILogger logger, Exception exception);
}

/// <summary>Registers live monitoring: the collector the recorder folds into, and the evaluator loop.</summary>
public static class MonitoringServiceCollectionExtensions
{
    public static IServiceCollection AddVigilMonitoring(this IServiceCollection services)
    {
        services.AddSingleton<LiveMonitoring>();
        services.AddSingleton<MonitorEvaluator>();
        services.AddHostedService(sp => sp.GetRequiredService<MonitorEvaluator>());
        return services;
    }
}

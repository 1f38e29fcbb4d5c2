using Vigil.Server.Observability;

namespace Vigil.Server.Hosting;

/// <summary>
/// The last line behind Vigil's background loops. Each loop catches, logs and counts a failed turn and goes on with the
/// next (<see cref="ControlLoop"/>, the recorder, the refreshers), so nothing a client sends can end one. Should a loop
/// end with an exception anyway, <c>vigil serve</c>'s host keeps serving (<see cref="BackgroundServiceExceptionBehavior.Ignore"/>:
/// a request must never be able to stop the server), and this reports it — a critical log line and
/// <c>vigil_background_failures_total{vigil_loop="stopped:NAME"}</c> — because a loop that stops silently is a failure too.
/// Registered last, so every other hosted service has started (and has its <see cref="BackgroundService.ExecuteTask"/>) first.
/// </summary>
public sealed partial class BackgroundServiceWatch(IServiceProvider services, VigilMetrics metrics, ILogger<BackgroundServiceWatch> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        foreach (var service in services.GetServices<IHostedService>().OfType<BackgroundService>())
        {
            var name = service.GetType().Name;
            service.ExecuteTask?.ContinueWith(
                task =>
                {
                    metrics.LoopFailed("stopped:" + name);
                    LogStopped(logger, name, task.Exception!.GetBaseException());
                },
                CancellationToken.None,
                TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously,
                TaskScheduler.Default);
        }

        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(EventId = 1002, Level = LogLevel.Critical, Message = "Vigil's background service {Service} stopped with an error; Vigil keeps serving, but {Service} does not run again until the server is restarted")]
    private static partial void LogStopped(ILogger logger, string service, Exception exception);
}

using Microsoft.Extensions.Options;
using Vigil.Releases;
using Vigil.Server.Hosting;

namespace Vigil.Server.Releases;

/// <summary>The JSON a release webhook receives.</summary>
/// <param name="Event">release.rolled_back, release.promoted, release.aborted, release.paused …</param>
/// <param name="Release">The release id.</param>
/// <param name="Service">The service.</param>
/// <param name="Challenger">The challenger version.</param>
/// <param name="At">When it happened.</param>
/// <param name="Reason">Why, in words.</param>
/// <param name="FirstBreachAt">For a rollback: when the trigger was first breached.</param>
/// <param name="Triggers">Each trigger's estimate, interval, threshold and verdict at the decision.</param>
/// <param name="Promotion">Each promotion criterion at the decision.</param>
public sealed record ReleaseNotification(
    string Event,
    string Release,
    string Service,
    int Challenger,
    DateTimeOffset At,
    string Reason,
    DateTimeOffset? FirstBreachAt,
    IReadOnlyList<TriggerEvaluation> Triggers,
    IReadOnlyList<PromotionEvaluation> Promotion);

/// <summary>
/// POSTs release notifications to the configured webhooks (<see cref="VigilServerOptions.Webhooks"/>), off the control
/// loop's path, each with a 5 s timeout; a webhook that fails is logged, never retried forever, never blocks a decision.
/// </summary>
public sealed partial class ReleaseNotifier(IHttpClientFactory clients, IOptions<VigilServerOptions> options, ILogger<ReleaseNotifier> logger)
{
    public const string ClientName = "Vigil.Webhooks";

    public void Notify(ReleaseNotification notification)
    {
        foreach (var url in options.Value.Webhooks)
        {
            _ = Task.Run(async () =>
            {
                try
                {
                    using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                    using var response = await clients.CreateClient(ClientName).PostAsJsonAsync(url, notification, VigilJson.Options, timeout.Token);
                    if (!response.IsSuccessStatusCode)
                    {
                        LogFailed(logger, url, $"HTTP {(int)response.StatusCode}");
                    }
                }
                catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException)
                {
                    LogFailed(logger, url, ex.Message);
                }
            });
        }
    }

    [LoggerMessage(EventId = 1410, Level = LogLevel.Warning, Message = "Webhook {Url} did not take a release notification: {Reason}")]
    private static partial void LogFailed(ILogger logger, string url, string reason);
}

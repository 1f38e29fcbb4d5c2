using System.Collections.Concurrent;
using Microsoft.Extensions.Options;
using Vigil.Persistence;
using Vigil.Server.Hosting;

namespace Vigil.Server.Releases;

/// <summary>
/// The control loop: every <see cref="VigilServerOptions.ControllerTick"/> of the server's clock it looks at each active
/// release and, when its analysis interval has passed, analyses it and persists and applies the decision. Ticks only on
/// the leader replica (<see cref="ILeaderElection"/>); optimistic concurrency on the release still lets only one decision
/// through should two replicas tick at once (a manual tick, a lease changing hands).
/// </summary>
public sealed partial class ReleaseController(
    IVigilStore store,
    ReleaseService releases,
    TimeProvider time,
    IOptions<VigilServerOptions> options,
    ILogger<ReleaseController> logger,
    ILeaderElection leader,
    Observability.VigilMetrics? metrics = null) : BackgroundService
{
    private readonly ConcurrentDictionary<string, DateTimeOffset> _lastAnalysis = new(StringComparer.Ordinal);

    /// <summary>One pass over the active releases (the loop calls it; tests call it after advancing a fake clock).</summary>
    public async Task TickAsync(CancellationToken ct)
    {
        var now = time.GetUtcNow();
        foreach (var release in await store.ListReleasesAsync(null, activeOnly: true, ct))
        {
            try
            {
                // Every tick, not only at analysis time: a release flag switched on another replica pauses or resumes
                // the release here within one tick (traffic already followed the flag through the routing snapshot).
                await releases.FollowFlagAsync(release, ct);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                LogTickFailed(logger, release.Id, ex);
            }

            var interval = ReleaseService.ReadPlan(release).EffectiveAnalysisInterval;
            if (_lastAnalysis.TryGetValue(release.Id, out var last) && now - last < interval)
            {
                continue;
            }

            try
            {
                await releases.TickAsync(release, ct);
                _lastAnalysis[release.Id] = now;
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                LogTickFailed(logger, release.Id, ex);
            }
        }
    }

    protected override Task ExecuteAsync(CancellationToken stoppingToken)
    {
        return ControlLoop.RunAsync(TickAsync, options.Value.ControllerTick, time, ex =>
            {
                metrics?.LoopFailed("release-controller");
                LogLoopFailed(logger, ex);
            }, stoppingToken, leader: leader);
    }

    [LoggerMessage(EventId = 1401, Level = LogLevel.Warning, Message = "Release {Release} could not be analysed this tick; it holds")]
    private static partial void LogTickFailed(ILogger logger, string release, Exception exception);

    [LoggerMessage(EventId = 1402, Level = LogLevel.Warning, Message = "The release controller's tick failed; retrying next tick")]
    private static partial void LogLoopFailed(ILogger logger, Exception exception);
}

using System.Collections.Frozen;
using Vigil.Registry;
using Vigil.Releases;

namespace Vigil.Server.Releases;

/// <summary>An active release as the request path needs it.</summary>
/// <param name="Id">The release id: the canary's bucketing salt.</param>
/// <param name="Challenger">The version released.</param>
/// <param name="Traffic">Shadow sample and canary weight now.</param>
/// <param name="FallbackOnError">Serve the champion when the canary fails.</param>
public sealed record ActiveRelease(string Id, ModelVersion Challenger, ReleaseTraffic Traffic, bool FallbackOnError);

/// <summary>
/// The active releases by service, as an immutable map swapped atomically (like the routing snapshot): rebuilt after every
/// release change in this process, on the store's change notifications, and every 30 seconds.
/// </summary>
public sealed class ReleaseRouting(IVigilStore store)
{
    private readonly SemaphoreSlim _rebuild = new(1, 1);
    private FrozenDictionary<string, ActiveRelease> _current = FrozenDictionary<string, ActiveRelease>.Empty;

    public ActiveRelease? Find(string service) => Volatile.Read(ref _current).GetValueOrDefault(service);

    public async Task RebuildAsync(CancellationToken ct)
    {
        await _rebuild.WaitAsync(ct);
        try
        {
            var map = new Dictionary<string, ActiveRelease>(StringComparer.Ordinal);
            foreach (var release in await store.ListReleasesAsync(null, activeOnly: true, ct))
            {
                var version = await store.GetVersionAsync(release.Service, release.Challenger, ct);
                if (version is null)
                {
                    continue;
                }

                var plan = ReleaseService.ReadPlan(release);
                var traffic = ReleaseTraffic.For(ReleaseService.ReadState(release), plan);
                map[release.Service] = new ActiveRelease(release.Id, version, traffic, plan.FallbackOnError);
            }

            Volatile.Write(ref _current, map.ToFrozenDictionary(StringComparer.Ordinal));
        }
        finally
        {
            _rebuild.Release();
        }
    }
}

/// <summary>Keeps <see cref="ReleaseRouting"/> current on other replicas' changes, and as a safety net every 30 s.</summary>
public sealed partial class ReleaseRoutingRefresher(IVigilStore store, ReleaseRouting routing, ILogger<ReleaseRoutingRefresher> logger) : BackgroundService
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
                    await routing.RebuildAsync(stoppingToken);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    LogFailed(logger, ex);
                }

                await _signal.WaitAsync(TimeSpan.FromSeconds(30), stoppingToken);
                while (_signal.CurrentCount > 0)
                {
                    await _signal.WaitAsync(stoppingToken);
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

    private void OnChanged(object? sender, ControlPlaneChange change) => _signal.Release();

    [LoggerMessage(EventId = 1403, Level = LogLevel.Warning, Message = "Could not refresh the active releases; the last ones stay in force")]
    private static partial void LogFailed(ILogger logger, Exception exception);
}

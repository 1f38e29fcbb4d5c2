using Vigil.Routing;
using Vigil.Serving;

namespace Vigil.Server.Routing;

/// <summary>
/// Keeps the backends of every aliased version loaded: after each snapshot swap it loads the champion, the challenger and
/// the previous champion (so a rollback serves its first request as fast as any other) and unloads versions no alias
/// points at any more. Load failures are logged; the request path reports them too.
/// </summary>
public sealed partial class BackendWarmer(RoutingState routing, BackendCache backends, ILogger<BackendWarmer> logger) : BackgroundService
{
    private readonly SemaphoreSlim _signal = new(0, int.MaxValue);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        routing.Swapped += OnSwapped;
        try
        {
            // The first snapshot may have been swapped in before this service started.
            _signal.Release();
            while (!stoppingToken.IsCancellationRequested)
            {
                await _signal.WaitAsync(stoppingToken);
                while (_signal.CurrentCount > 0)
                {
                    await _signal.WaitAsync(stoppingToken);
                }

                try
                {
                    await WarmAsync(routing.Current, stoppingToken);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    // One failed round (an unload that threw) must not end the loop: the next swap warms again.
                    LogRoundFailed(logger, ex);
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
        finally
        {
            routing.Swapped -= OnSwapped;
        }
    }

    /// <summary>Loads every aliased version of <paramref name="snapshot"/> and unloads the rest.</summary>
    public async Task WarmAsync(RoutingSnapshot snapshot, CancellationToken cancellationToken)
    {
        var wanted = new HashSet<(string, int)>();
        foreach (var route in snapshot.Services.Values)
        {
            foreach (var number in new[] { route.Aliases.Champion, route.Aliases.Challenger, route.Aliases.PreviousChampion })
            {
                if (number is { } n)
                {
                    wanted.Add((route.Service.Name, n));
                }
            }

            foreach (var version in new[] { route.Champion, route.Challenger, route.PreviousChampion })
            {
                if (version is null)
                {
                    continue;
                }

                try
                {
                    var loaded = await backends.GetAsync(route.Service, version, cancellationToken);
                    if (!loaded.IsSuccess)
                    {
                        LogLoadFailed(logger, route.Service.Name, version.Number, loaded.Failure!.Message);
                    }
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    LogLoadFailed(logger, route.Service.Name, version.Number, ex.Message);
                }
            }
        }

        foreach (var key in backends.Keys)
        {
            if (!wanted.Contains(key))
            {
                await backends.EvictAsync(key.Service, key.Version);
                LogEvicted(logger, key.Service, key.Version);
            }
        }
    }

    private void OnSwapped(object? sender, RoutingSnapshot snapshot) => _signal.Release();

    [LoggerMessage(EventId = 1110, Level = LogLevel.Warning, Message = "Could not load {Service} version {Version}: {Reason}")]
    private static partial void LogLoadFailed(ILogger logger, string service, int version, string reason);

    [LoggerMessage(EventId = 1112, Level = LogLevel.Warning, Message = "Warming the backends failed; the next routing change warms them again")]
    private static partial void LogRoundFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 1111, Level = LogLevel.Debug, Message = "Unloaded {Service} version {Version}: no alias points at it")]
    private static partial void LogEvicted(ILogger logger, string service, int version);
}

using System.Collections.Frozen;
using Vigil.Routing;

namespace Vigil.Server.Routing;

/// <summary>
/// Holds the current <see cref="RoutingSnapshot"/>. The request path reads <see cref="Current"/> (a volatile read, no lock);
/// <see cref="RebuildAsync"/> builds a whole new snapshot from the store and swaps it in one assignment.
/// </summary>
public sealed partial class RoutingState(IVigilStore store, ILogger<RoutingState> logger)
{
    private readonly SemaphoreSlim _rebuild = new(1, 1);
    private RoutingSnapshot _current = RoutingSnapshot.Empty;

    /// <summary>The snapshot in force.</summary>
    public RoutingSnapshot Current => Volatile.Read(ref _current);

    /// <summary>Raised after a new snapshot is swapped in.</summary>
    public event EventHandler<RoutingSnapshot>? Swapped;

    /// <summary>Builds a snapshot from the store and swaps it in. Concurrent calls are serialized; the last one wins with the freshest data.</summary>
    public async Task<RoutingSnapshot> RebuildAsync(CancellationToken cancellationToken)
    {
        await _rebuild.WaitAsync(cancellationToken);
        try
        {
            var services = await store.ListServicesAsync(cancellationToken);
            var routes = new Dictionary<string, ServiceRoute>(services.Count, StringComparer.Ordinal);
            foreach (var service in services)
            {
                var aliases = await store.GetAliasesAsync(service.Name, cancellationToken);
                var champion = aliases.Champion is { } c ? await store.GetVersionAsync(service.Name, c, cancellationToken) : null;
                var challenger = aliases.Challenger is { } h ? await store.GetVersionAsync(service.Name, h, cancellationToken) : null;
                var previous = aliases.PreviousChampion is { } p ? await store.GetVersionAsync(service.Name, p, cancellationToken) : null;
                routes[service.Name] = new ServiceRoute(service, aliases, champion, challenger, previous);
            }

            var next = new RoutingSnapshot(Current.Revision + 1, routes.ToFrozenDictionary(StringComparer.Ordinal));
            Volatile.Write(ref _current, next);
            LogSwapped(logger, next.Revision, routes.Count);
            Swapped?.Invoke(this, next);
            return next;
        }
        finally
        {
            _rebuild.Release();
        }
    }

    [LoggerMessage(EventId = 1100, Level = LogLevel.Debug, Message = "Routing snapshot {Revision} swapped in with {Services} services")]
    private static partial void LogSwapped(ILogger logger, long revision, int services);
}

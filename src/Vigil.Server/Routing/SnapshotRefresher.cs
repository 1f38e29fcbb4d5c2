using Microsoft.Extensions.Options;
using Vigil.Persistence;
using Vigil.Server.Hosting;

namespace Vigil.Server.Routing;

/// <summary>
/// Rebuilds the routing snapshot on every control-plane change and every <see cref="VigilServerOptions.SnapshotResync"/>
/// (<see cref="StoreChangeRefresher"/>); the first snapshot is built at start, before the server listens.
/// </summary>
public sealed class SnapshotRefresher(IVigilStore store, RoutingState routing, IOptions<VigilServerOptions> options, ILogger<SnapshotRefresher> logger)
    : StoreChangeRefresher(store, options, logger)
{
    protected override string What => "the routing snapshot";

    protected override Task RefreshAsync(CancellationToken cancellationToken) => routing.RebuildAsync(cancellationToken);
}

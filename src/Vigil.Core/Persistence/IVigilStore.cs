using Vigil.Access;
using Vigil.Audit;
using Vigil.Monitoring;
using Vigil.Monitoring.Layers;
using Vigil.Pipelines;
using Vigil.Predictions;
using Vigil.Registry;
using Vigil.Releases;
using Vigil.Retraining;
using Vigil.Routing.Flags;

namespace Vigil.Persistence;

/// <summary>
/// A whole Vigil store, for composition only: its lifecycle (kind, migration, health, change notification) and every
/// area's port. Implemented for SQLite (the default) and PostgreSQL; both pass one conformance suite. Every control-plane
/// change writes its audit event in the same transaction, and raises <see cref="Changed"/> after commit (on PostgreSQL,
/// every replica sharing the store sees it through LISTEN/NOTIFY). Code outside composition depends on the narrow port
/// of its area (<see cref="IRegistryStore"/>, <see cref="IReleaseStore"/> …), each registered as this same instance.
/// </summary>
public interface IVigilStore :
    IAsyncDisposable,
    IRegistryStore,
    IFlagStore,
    ISegmentStore,
    IReleaseStore,
    IPredictionLog,
    ITrafficReadModel,
    IMonitoringStore,
    IMonitoringLayerStore,
    IPipelineStore,
    IRetrainingStore,
    IAuditLog,
    IKeyStore,
    ILeaseStore
{
    /// <summary><c>sqlite</c> or <c>postgres</c>.</summary>
    string Kind { get; }

    /// <summary>A description of where the data lives, with no password in it.</summary>
    string Description { get; }

    /// <summary>Raised after a control-plane change commits, in this process or (PostgreSQL) in another replica.</summary>
    event EventHandler<ControlPlaneChange>? Changed;

    /// <summary>Applies every migration not yet applied. Fails with a clear message when the database is not a Vigil store or is newer than this Vigil.</summary>
    Task MigrateAsync(CancellationToken cancellationToken);

    /// <summary>Reachability and schema state, for /readyz and <c>vigil status</c>.</summary>
    Task<StoreHealth> CheckAsync(CancellationToken cancellationToken);
}

/// <summary>A committed control-plane change; <paramref name="Service"/> is null for changes not tied to one service (keys).</summary>
public sealed record ControlPlaneChange(string? Service, string What);

/// <summary>The store's state as /readyz reports it.</summary>
/// <param name="Reachable">Whether a query went through.</param>
/// <param name="SchemaVersion">The highest migration applied.</param>
/// <param name="LatestSchemaVersion">The highest migration this Vigil knows.</param>
/// <param name="Error">Why it is not ready, when it is not.</param>
public sealed record StoreHealth(bool Reachable, int SchemaVersion, int LatestSchemaVersion, string? Error = null)
{
    public bool Ready => Reachable && SchemaVersion == LatestSchemaVersion;
}

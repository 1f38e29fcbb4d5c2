using Vigil.Access;
using Vigil.Audit;
using Vigil.Predictions;
using Vigil.Registry;
using Vigil.Releases;
using Vigil.Routing;

namespace Vigil;

/// <summary>
/// Vigil's store: the registry, the audit log, predictions and outcomes, API keys.
/// Implemented for SQLite (the default) and PostgreSQL; both pass one conformance suite.
/// Every control-plane change writes its audit event in the same transaction, and raises <see cref="Changed"/> after commit
/// (on PostgreSQL, every replica sharing the store sees it through LISTEN/NOTIFY).
/// </summary>
public partial interface IVigilStore : IAsyncDisposable
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

    // Services

    /// <summary>Creates a service; Conflict when the name is taken.</summary>
    Task<Result<ServiceDefinition>> CreateServiceAsync(ServiceDefinition service, AuditContext who, CancellationToken cancellationToken);

    Task<ServiceDefinition?> GetServiceAsync(string name, CancellationToken cancellationToken);

    Task<IReadOnlyList<ServiceDefinition>> ListServicesAsync(CancellationToken cancellationToken);

    // Versions

    /// <summary>Registers a version and assigns it the next number of its service; NotFound when the service does not exist.</summary>
    Task<Result<ModelVersion>> RegisterVersionAsync(ModelVersionDraft draft, AuditContext who, CancellationToken cancellationToken);

    Task<ModelVersion?> GetVersionAsync(string service, int number, CancellationToken cancellationToken);

    Task<IReadOnlyList<ModelVersion>> ListVersionsAsync(string service, CancellationToken cancellationToken);

    // Aliases

    /// <summary>The service's aliases with their revision; <see cref="AliasSet.Empty"/> for a service with none yet.</summary>
    Task<AliasSet> GetAliasesAsync(string service, CancellationToken cancellationToken);

    /// <summary>
    /// Replaces the aliases of <paramref name="service"/> with <paramref name="next"/> if they are still at
    /// <paramref name="expectedRevision"/> (else Conflict), in one transaction with one history row per moved alias
    /// and one audit event named <paramref name="action"/>. Every version named must exist (else NotFound).
    /// The returned set carries the new revision.
    /// </summary>
    Task<Result<AliasSet>> UpdateAliasesAsync(string service, long expectedRevision, AliasSet next, string action, AuditContext who, CancellationToken cancellationToken);

    /// <summary>Every alias move of the service, oldest first.</summary>
    Task<IReadOnlyList<AliasChange>> GetAliasHistoryAsync(string service, CancellationToken cancellationToken);

    // Audit

    /// <summary>Appends an audit event that is not part of another store change; the id is assigned.</summary>
    Task<AuditEvent> AppendAuditAsync(AuditEvent auditEvent, CancellationToken cancellationToken);

    /// <summary>Newest first.</summary>
    Task<IReadOnlyList<AuditEvent>> QueryAuditAsync(AuditQuery query, CancellationToken cancellationToken);

    // Predictions and outcomes

    /// <summary>Writes a batch of prediction records (PostgreSQL: binary COPY). A request id already stored is skipped, never duplicated.</summary>
    Task WritePredictionsAsync(IReadOnlyList<PredictionRecord> batch, CancellationToken cancellationToken);

    Task<PredictionRecord?> GetPredictionAsync(string requestId, CancellationToken cancellationToken);

    /// <summary>Stores outcomes, idempotent per (request id, name): the first value is kept, repeats are counted as duplicates.</summary>
    Task<FeedbackResult> RecordOutcomesAsync(IReadOnlyList<FeedbackOutcome> outcomes, CancellationToken cancellationToken);

    Task<IReadOnlyList<FeedbackOutcome>> GetOutcomesAsync(string requestId, CancellationToken cancellationToken);

    /// <summary>Per (version, arm) counts of the service's predictions at or after <paramref name="since"/> (all when null), with their joined outcomes.</summary>
    Task<IReadOnlyList<TrafficSummary>> GetTrafficAsync(string service, DateTimeOffset? since, CancellationToken cancellationToken);

    /// <summary>The request ids among <paramref name="requestIds"/> that match no stored prediction.</summary>
    Task<IReadOnlyList<string>> FindUnknownRequestIdsAsync(IReadOnlyCollection<string> requestIds, CancellationToken cancellationToken);

    /// <summary>Outcomes whose request id matches no stored prediction.</summary>
    Task<long> CountOrphanOutcomesAsync(CancellationToken cancellationToken);

    /// <summary>Per (version, arm, segment) counts of a service's predictions in a window, with their matured outcomes (the release controller's input).</summary>
    Task<IReadOnlyList<ArmWindowCounts>> GetArmCountsAsync(ArmCountsQuery query, CancellationToken cancellationToken);

    /// <summary>
    /// Shadow calls of <paramref name="query"/>'s challenger paired with the champion answers they copied (by
    /// <c>shadow_of</c>), the most recent first, at most <see cref="ShadowPairsQuery.Limit"/>.
    /// </summary>
    Task<IReadOnlyList<ShadowPair>> GetShadowPairsAsync(ShadowPairsQuery query, CancellationToken cancellationToken);

    // Flags

    /// <summary>Creates a flag (Conflict when the key exists) with its audit event (<c>flag.created</c>, After = the definition).</summary>
    Task<Result<StoredFlag>> CreateFlagAsync(StoredFlag flag, AuditContext who, CancellationToken cancellationToken);

    /// <summary>Replaces a flag's definition if it is still at <paramref name="expectedRevision"/> (else Conflict; NotFound when absent), with an audit event named <paramref name="action"/> holding before and after.</summary>
    Task<Result<StoredFlag>> UpdateFlagAsync(string key, long expectedRevision, string definition, string action, AuditContext who, CancellationToken cancellationToken);

    Task<StoredFlag?> GetFlagAsync(string key, CancellationToken cancellationToken);

    /// <summary>Every flag, or the flags of one service.</summary>
    Task<IReadOnlyList<StoredFlag>> ListFlagsAsync(string? service, CancellationToken cancellationToken);

    // Releases

    /// <summary>
    /// Stores a new release with its first event and an audit event (<c>release.started</c>). Conflict when the service already
    /// has an active release (also when two start at once: exactly one wins); NotFound for an unknown service or version.
    /// </summary>
    Task<Result<StoredRelease>> CreateReleaseAsync(StoredRelease release, ReleaseEvent first, AuditContext who, CancellationToken cancellationToken);

    /// <summary>
    /// Writes the release's new status, activity and state if it is still at <paramref name="expectedRevision"/> (else Conflict),
    /// appends <paramref name="transition"/> and an audit event named <paramref name="action"/>, all in one transaction, and
    /// returns the release with its new revision. Every decision is persisted this way before it takes effect.
    /// </summary>
    Task<Result<StoredRelease>> UpdateReleaseAsync(string id, long expectedRevision, string status, bool active, string state, ReleaseEvent transition, string action, AuditContext who, CancellationToken cancellationToken);

    /// <summary>
    /// <see cref="UpdateReleaseAsync"/> for a promotion: the release ends with <paramref name="status"/> and, in the same
    /// transaction, its challenger becomes the service's champion (the champion becomes previous champion; audited as
    /// <c>alias.promoted</c>), unless it already is. Nobody, not even a crash, sees a promoted release whose aliases did not move.
    /// </summary>
    Task<Result<StoredRelease>> PromoteReleaseAsync(string id, long expectedRevision, string status, string state, ReleaseEvent transition, string action, AuditContext who, CancellationToken cancellationToken);

    /// <summary>Replaces a running release's plan (an amendment) if still at <paramref name="expectedRevision"/>, auditing before and after with the reason.</summary>
    Task<Result<StoredRelease>> AmendReleaseAsync(string id, long expectedRevision, string plan, ReleaseEvent transition, AuditContext who, CancellationToken cancellationToken);

    Task<StoredRelease?> GetReleaseAsync(string id, CancellationToken cancellationToken);

    /// <summary>Releases newest first; only active ones when <paramref name="activeOnly"/>; of one service when given.</summary>
    Task<IReadOnlyList<StoredRelease>> ListReleasesAsync(string? service, bool activeOnly, CancellationToken cancellationToken);

    /// <summary>A release's transitions, oldest first.</summary>
    Task<IReadOnlyList<ReleaseEvent>> GetReleaseEventsAsync(string id, CancellationToken cancellationToken);

    // API keys

    /// <summary>Stores a key (Conflict when the id exists) with its audit event.</summary>
    Task<Result<ApiKey>> CreateKeyAsync(ApiKey key, AuditContext who, CancellationToken cancellationToken);

    Task<ApiKey?> GetKeyAsync(string id, CancellationToken cancellationToken);

    Task<IReadOnlyList<ApiKey>> ListKeysAsync(CancellationToken cancellationToken);

    /// <summary>Revokes a key; NotFound when there is none with that id.</summary>
    Task<Result<ApiKey>> RevokeKeyAsync(string id, AuditContext who, CancellationToken cancellationToken);
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

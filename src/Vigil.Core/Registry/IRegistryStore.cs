using Vigil.Audit;

namespace Vigil.Registry;

/// <summary>The registry's part of the store: services, their numbered versions and baselines, aliases and their history.</summary>
public interface IRegistryStore
{
    /// <summary>Creates a service; Conflict when the name is taken.</summary>
    Task<Result<ServiceDefinition>> CreateServiceAsync(ServiceDefinition service, AuditContext who, CancellationToken cancellationToken);

    Task<ServiceDefinition?> GetServiceAsync(string name, CancellationToken cancellationToken);

    Task<IReadOnlyList<ServiceDefinition>> ListServicesAsync(CancellationToken cancellationToken);

    /// <summary>Registers a version and assigns it the next number of its service; NotFound when the service does not exist.</summary>
    Task<Result<ModelVersion>> RegisterVersionAsync(ModelVersionDraft draft, AuditContext who, CancellationToken cancellationToken);

    Task<ModelVersion?> GetVersionAsync(string service, int number, CancellationToken cancellationToken);

    Task<IReadOnlyList<ModelVersion>> ListVersionsAsync(string service, CancellationToken cancellationToken);

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

    /// <summary>
    /// Registers a version with what belongs to it, in one transaction: the version (the next number of its service), its
    /// baseline when given (audited as <c>baseline.set</c>) and the alias pointed at it when asked (audited as
    /// <c>alias.set</c>, with a history row). Either all of it is stored or none of it: NotFound for an unknown service,
    /// Invalid for an alias that cannot be set at registration, Conflict when the aliases changed meanwhile.
    /// </summary>
    Task<Result<RegisteredVersion>> RegisterVersionAsync(VersionRegistration registration, AuditContext who, CancellationToken cancellationToken);

    /// <summary>Stores (or replaces) a version's baseline with an audit event (<c>baseline.set</c>); NotFound for an unknown version.</summary>
    Task<Result<StoredBaseline>> SaveBaselineAsync(StoredBaseline baseline, AuditContext who, CancellationToken cancellationToken);

    Task<StoredBaseline?> GetBaselineAsync(string service, int version, CancellationToken cancellationToken);

    /// <summary>Every stored baseline (the server loads them at start).</summary>
    Task<IReadOnlyList<StoredBaseline>> ListBaselinesAsync(CancellationToken cancellationToken);
}

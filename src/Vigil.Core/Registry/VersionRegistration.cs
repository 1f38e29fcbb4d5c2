namespace Vigil.Registry;

/// <summary>A version to register with what belongs to it, stored in one transaction (<see cref="IRegistryStore.RegisterVersionAsync(VersionRegistration, Audit.AuditContext, CancellationToken)"/>).</summary>
/// <param name="Draft">The version; Vigil assigns its number.</param>
/// <param name="Alias">An alias to point at it (<c>champion</c> or <c>challenger</c>), or null.</param>
/// <param name="Baseline">Its baseline (the service, version and creation fields are taken from the version), or null.</param>
public sealed record VersionRegistration(ModelVersionDraft Draft, string? Alias = null, StoredBaseline? Baseline = null);

/// <summary>What a registration stored: the version, the service's aliases after it, and the baseline when one was given.</summary>
public sealed record RegisteredVersion(ModelVersion Version, AliasSet Aliases, StoredBaseline? Baseline);

using System.Data.Common;
using Vigil.Audit;
using Vigil.Monitoring;
using Vigil.Persistence;
using Vigil.Registry;
using Vigil.Storage.Dialects;

namespace Vigil.Storage;

/// <summary>The registry: services, versions and their numbers, aliases and their history.</summary>
public abstract partial class SqlStore
{
    /// <inheritdoc />
    public Task<Result<ServiceDefinition>> CreateServiceAsync(ServiceDefinition service, AuditContext who, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(service);
        ArgumentNullException.ThrowIfNull(who);
        var stored = service with { CreatedAt = Timestamps.Normalize(service.CreatedAt) };
        return ChangeAsync<ServiceDefinition>(
            new ControlPlaneChange(service.Name, AuditActions.ServiceCreated),
            async (connection, transaction) =>
            {
                var inserted = await ExecuteAsync(
                    connection,
                    transaction,
                    $"""
                    INSERT INTO services ({ServiceColumns})
                    VALUES (@name, @description, {Json("@inputs")}, {Json("@output")}, @created_at)
                    ON CONFLICT (name) DO NOTHING
                    """,
                    cancellationToken,
                    ("name", stored.Name),
                    ("description", stored.Description),
                    ("inputs", VigilJson.Serialize(stored.Inputs)),
                    ("output", VigilJson.Serialize(stored.Output)),
                    ("created_at", ToDb(stored.CreatedAt)));
                if (inserted == 0)
                {
                    return Failure.Conflict($"a service named '{service.Name}' already exists");
                }

                await InsertAuditAsync(
                    connection,
                    transaction,
                    Audit(who, AuditActions.ServiceCreated, stored.Name, stored.Name, before: null, after: VigilJson.Serialize(stored)),
                    cancellationToken);
                return Result<ServiceDefinition>.Ok(stored);
            },
            cancellationToken);
    }

    /// <inheritdoc />
    public async Task<ServiceDefinition?> GetServiceAsync(string name, CancellationToken cancellationToken)
    {
        var found = await QueryAsync($"SELECT {ServiceColumns} FROM services WHERE name = @name", ReadService, cancellationToken, ("name", name));
        return found.Count == 0 ? null : found[0];
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<ServiceDefinition>> ListServicesAsync(CancellationToken cancellationToken) =>
        await QueryAsync($"SELECT {ServiceColumns} FROM services ORDER BY name", ReadService, cancellationToken);

    /// <inheritdoc />
    public Task<Result<ModelVersion>> RegisterVersionAsync(ModelVersionDraft draft, AuditContext who, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(draft);
        ArgumentNullException.ThrowIfNull(who);
        return ChangeAsync<ModelVersion>(
            new ControlPlaneChange(draft.Service, AuditActions.VersionRegistered),
            (connection, transaction) => InsertVersionAsync(connection, transaction, draft, who, cancellationToken),
            cancellationToken);
    }

    /// <inheritdoc />
    public Task<Result<RegisteredVersion>> RegisterVersionAsync(VersionRegistration registration, AuditContext who, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(registration);
        ArgumentNullException.ThrowIfNull(who);
        var draft = registration.Draft;
        ArgumentNullException.ThrowIfNull(draft);
        if (registration.Alias is { } alias && alias is not (AliasNames.Champion or AliasNames.Challenger))
        {
            return Task.FromResult<Result<RegisteredVersion>>(Failure.Invalid($"alias: '{alias}' cannot be set at registration; use champion or challenger"));
        }

        return ChangesAsync<RegisteredVersion>(
            async (connection, transaction, changes) =>
            {
                var inserted = await InsertVersionAsync(connection, transaction, draft, who, cancellationToken);
                if (inserted.Failure is { } notRegistered)
                {
                    return notRegistered;
                }

                var version = inserted.Value!;
                changes.Add(new ControlPlaneChange(draft.Service, AuditActions.VersionRegistered));
                Written("version");
                StoredBaseline? baseline = null;
                if (registration.Baseline is { } given)
                {
                    var saved = await WriteBaselineAsync(connection, transaction, given with { Service = version.Service, Version = version.Number }, who, cancellationToken);
                    if (saved.Failure is { } notSaved)
                    {
                        return notSaved;
                    }

                    baseline = saved.Value;
                    changes.Add(new ControlPlaneChange(draft.Service, MonitoringAuditActions.BaselineSet));
                    Written("baseline");
                }

                var aliases = await ReadAliasesAsync(connection, transaction, draft.Service, cancellationToken);
                if (registration.Alias is { } target)
                {
                    var next = aliases.With(target, version.Number);
                    if (next.Failure is { } refused)
                    {
                        return refused;
                    }

                    var moved = await WriteAliasesAsync(connection, transaction, draft.Service, aliases.Revision, next.Value!, AuditActions.AliasSet, who, cancellationToken);
                    if (moved.Failure is { } notMoved)
                    {
                        return notMoved;
                    }

                    aliases = moved.Value!;
                    changes.Add(new ControlPlaneChange(draft.Service, AuditActions.AliasSet));
                    Written("aliases");
                }

                return Result<RegisteredVersion>.Ok(new RegisteredVersion(version, aliases, baseline));
            },
            cancellationToken);
    }

    /// <summary>Inserts a version with the next number of its service and its audit event, inside the caller's transaction.</summary>
    private async Task<Result<ModelVersion>> InsertVersionAsync(
        DbConnection connection, DbTransaction transaction, ModelVersionDraft draft, AuditContext who, CancellationToken cancellationToken)
    {
        // Locking the service row (PostgreSQL) or holding the write lock (SQLite) makes MAX + 1 safe under concurrency.
        if (!await LockServiceAsync(connection, transaction, draft.Service, cancellationToken))
        {
            return ServiceNotFound(draft.Service);
        }

        var metadata = draft.Metadata ?? new Dictionary<string, string>();
        var metrics = draft.Metrics ?? new Dictionary<string, double>();
        var at = Timestamps.Normalize(who.At);
        var number = await ScalarAsync(
            connection,
            transaction,
            $"""
            INSERT INTO model_versions ({VersionColumns})
            SELECT @service, COALESCE(MAX(number), 0) + 1, {Json("@backend")}, {Json("@metadata")}, {Json("@metrics")}, @created_at, @created_by
            FROM model_versions
            WHERE service = @service
            RETURNING number
            """,
            cancellationToken,
            ("service", draft.Service),
            ("backend", VigilJson.Serialize(draft.Backend)),
            ("metadata", VigilJson.Serialize(metadata)),
            ("metrics", VigilJson.Serialize(metrics)),
            ("created_at", ToDb(at)),
            ("created_by", who.Actor));
        var version = new ModelVersion(draft.Service, Convert.ToInt32(number), draft.Backend, metadata, metrics, at, who.Actor);
        await InsertAuditAsync(
            connection,
            transaction,
            Audit(who, AuditActions.VersionRegistered, draft.Service, $"{draft.Service}/{version.Number}", before: null, after: VigilJson.Serialize(version)),
            cancellationToken);
        return Result<ModelVersion>.Ok(version);
    }

    /// <inheritdoc />
    public async Task<ModelVersion?> GetVersionAsync(string service, int number, CancellationToken cancellationToken)
    {
        var found = await QueryAsync(
            $"SELECT {VersionColumns} FROM model_versions WHERE service = @service AND number = @number",
            ReadVersion,
            cancellationToken,
            ("service", service),
            ("number", number));
        return found.Count == 0 ? null : found[0];
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<ModelVersion>> ListVersionsAsync(string service, CancellationToken cancellationToken) =>
        await QueryAsync(
            $"SELECT {VersionColumns} FROM model_versions WHERE service = @service ORDER BY number",
            ReadVersion,
            cancellationToken,
            ("service", service));

    /// <inheritdoc />
    public async Task<AliasSet> GetAliasesAsync(string service, CancellationToken cancellationToken)
    {
        await using var connection = await OpenConnectionAsync(cancellationToken);
        return await ReadAliasesAsync(connection, null, service, cancellationToken);
    }

    /// <inheritdoc />
    public Task<Result<AliasSet>> UpdateAliasesAsync(string service, long expectedRevision, AliasSet next, string action, AuditContext who, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(next);
        ArgumentNullException.ThrowIfNull(who);
        return ChangeAsync<AliasSet>(
            new ControlPlaneChange(service, action),
            (connection, transaction) => WriteAliasesAsync(connection, transaction, service, expectedRevision, next, action, who, cancellationToken),
            cancellationToken);
    }

    /// <summary>Writes a service's aliases inside the caller's transaction if they are still at <paramref name="expectedRevision"/>, with their history and an audit event.</summary>
    private async Task<Result<AliasSet>> WriteAliasesAsync(
        DbConnection connection,
        DbTransaction transaction,
        string service,
        long expectedRevision,
        AliasSet next,
        string action,
        AuditContext who,
        CancellationToken cancellationToken)
    {
        // The service row is the lock: it exists even before the service has an aliases row.
        if (!await LockServiceAsync(connection, transaction, service, cancellationToken))
        {
            return ServiceNotFound(service);
        }

        var current = await ReadAliasesAsync(connection, transaction, service, cancellationToken);
        if (current.Revision != expectedRevision)
        {
            return Failure.Conflict(
                $"the aliases of '{service}' changed meanwhile (now at revision {current.Revision}, expected {expectedRevision}); read them again and retry");
        }

        var missing = new List<string>();
        foreach (var number in new[] { next.Champion, next.Challenger, next.PreviousChampion }.OfType<int>().Distinct())
        {
            var exists = await ScalarAsync(
                connection,
                transaction,
                "SELECT 1 FROM model_versions WHERE service = @service AND number = @number",
                cancellationToken,
                ("service", service),
                ("number", number));
            if (exists is null)
            {
                missing.Add($"service '{service}' has no version {number}");
            }
        }

        if (missing.Count > 0)
        {
            return new Failure(FailureKind.NotFound, string.Join("; ", missing), missing);
        }

        var updated = next with { Revision = expectedRevision + 1 };
        await ExecuteAsync(
            connection,
            transaction,
            """
            INSERT INTO aliases (service, champion, challenger, previous_champion, revision)
            VALUES (@service, @champion, @challenger, @previous_champion, @revision)
            ON CONFLICT (service) DO UPDATE SET
                champion = excluded.champion,
                challenger = excluded.challenger,
                previous_champion = excluded.previous_champion,
                revision = excluded.revision
            """,
            cancellationToken,
            ("service", service),
            ("champion", updated.Champion),
            ("challenger", updated.Challenger),
            ("previous_champion", updated.PreviousChampion),
            ("revision", updated.Revision));

        var at = ToDb(who.At);
        foreach (var (alias, from, to) in updated.ChangesFrom(current))
        {
            await ExecuteAsync(
                connection,
                transaction,
                """
                INSERT INTO alias_history (service, alias, from_version, to_version, at, actor, action, reason)
                VALUES (@service, @alias, @from_version, @to_version, @at, @actor, @action, @reason)
                """,
                cancellationToken,
                ("service", service),
                ("alias", alias),
                ("from_version", from),
                ("to_version", to),
                ("at", at),
                ("actor", who.Actor),
                ("action", action),
                ("reason", who.Reason));
        }

        await InsertAuditAsync(
            connection,
            transaction,
            Audit(who, action, service, $"{service}/aliases", VigilJson.Serialize(current), VigilJson.Serialize(updated)),
            cancellationToken);
        return Result<AliasSet>.Ok(updated);
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<AliasChange>> GetAliasHistoryAsync(string service, CancellationToken cancellationToken) =>
        await QueryAsync(
            """
            SELECT service, alias, from_version, to_version, at, actor, action, reason
            FROM alias_history
            WHERE service = @service
            ORDER BY id
            """,
            reader => new AliasChange(
                reader.GetString(0),
                reader.GetString(1),
                NullableInt(reader, 2),
                NullableInt(reader, 3),
                ReadTime(reader, 4),
                reader.GetString(5),
                reader.GetString(6),
                NullableString(reader, 7)),
            cancellationToken,
            ("service", service));

    private async Task<bool> LockServiceAsync(DbConnection connection, DbTransaction transaction, string service, CancellationToken cancellationToken) =>
        await ScalarAsync(connection, transaction, $"SELECT 1 FROM services WHERE name = @name{ForUpdate}", cancellationToken, ("name", service)) is not null;

    private async Task<AliasSet> ReadAliasesAsync(DbConnection connection, DbTransaction? transaction, string service, CancellationToken cancellationToken)
    {
        var found = await QueryAsync(
            connection,
            "SELECT champion, challenger, previous_champion, revision FROM aliases WHERE service = @service",
            reader => new AliasSet(NullableInt(reader, 0), NullableInt(reader, 1), NullableInt(reader, 2), reader.GetInt64(3)),
            cancellationToken,
            transaction,
            ("service", service));
        return found.Count == 0 ? AliasSet.Empty : found[0];
    }

    private static Failure ServiceNotFound(string service) =>
        Failure.NotFound($"there is no service named '{service}'; create it first");

    private ServiceDefinition ReadService(DbDataReader reader) => new(
        reader.GetString(0),
        reader.GetString(1),
        VigilJson.Deserialize<List<FeatureSpec>>(reader.GetString(2)) ?? [],
        VigilJson.Deserialize<OutputSpec>(reader.GetString(3))!,
        ReadTime(reader, 4));

    private ModelVersion ReadVersion(DbDataReader reader) => new(
        reader.GetString(0),
        reader.GetInt32(1),
        VigilJson.Deserialize<BackendSpec>(reader.GetString(2))!,
        VigilJson.Deserialize<Dictionary<string, string>>(reader.GetString(3)) ?? [],
        VigilJson.Deserialize<Dictionary<string, double>>(reader.GetString(4)) ?? [],
        ReadTime(reader, 5),
        reader.GetString(6));
}

using System.Data.Common;
using Vigil.Access;
using Vigil.Audit;
using Vigil.Predictions;
using Vigil.Registry;
using Vigil.Releases;
using Vigil.Routing;
using Vigil.Storage.Migrations;

namespace Vigil.Storage;

/// <summary>
/// What <see cref="SqliteStore"/> and <see cref="PostgresStore"/> share: the contract of <see cref="IVigilStore"/>
/// written once, in the SQL both databases understand (<c>ON CONFLICT</c>, <c>RETURNING</c>), and the migration runner.
/// Each store supplies its connections, transactions, time and JSON representations, and change notification.
/// </summary>
public abstract partial class SqlStore : IVigilStore
{
    /// <summary>The columns of <c>predictions</c>, in the order every query reads and writes them.</summary>
    private protected const string PredictionColumns =
        "request_id, at, service, version, arm, key, attributes, inputs, outputs, latency_ms, error, flag_key, flag_reason, shadow_of";

    private const string ServiceColumns = "name, description, inputs, output, created_at";
    private const string VersionColumns = "service, number, backend, metadata, metrics, created_at, created_by";
    private const string AuditColumns = "id, at, actor, action, service, target, before, after, reason";
    private const string KeyColumns = "id, name, scopes, secret_hash, created_at, revoked_at";
    private const string FlagColumns = "key, service, definition, revision, updated_at";
    private const string ReleaseColumns = "id, service, challenger, status, active, plan, state, revision, created_at, updated_at";
    private const string ReleaseEventColumns = "id, release_id, at, from_status, to_status, actor, reason, details";

    // The actions the store names itself; the others are chosen by the caller.
    private const string FlagCreated = "flag.created";
    private const string ReleaseStarted = "release.started";
    private const string ReleaseAmended = "release.amended";

    private protected SqlStore()
    {
    }

    /// <inheritdoc />
    public abstract string Kind { get; }

    /// <inheritdoc />
    public abstract string Description { get; }

    /// <inheritdoc />
    public event EventHandler<ControlPlaneChange>? Changed;

    /// <summary>Where the data lives, as error messages name it: <c>'vigil.db'</c>, <c>database 'vigil' at db:5432</c>.</summary>
    private protected abstract string Location { get; }

    /// <summary>The row-lock clause appended to a SELECT that guards a change (PostgreSQL: <c> FOR UPDATE</c>; SQLite needs none, its writes are serialized).</summary>
    private protected abstract string ForUpdate { get; }

    /// <summary>A SQL expression that stores the JSON text in <paramref name="parameter"/> in a JSON column.</summary>
    private protected abstract string Json(string parameter);

    /// <summary>
    /// A SQL expression for the value of the top-level attribute named by the text parameter <paramref name="nameParameter"/>
    /// in the JSON object in <paramref name="jsonColumn"/>, as text: a string as itself, a number or boolean as its JSON text,
    /// null when the attribute is missing or JSON null.
    /// </summary>
    private protected abstract string JsonAttributeText(string jsonColumn, string nameParameter);

    /// <summary>SQL giving the text of a column holding one JSON scalar: a string's contents, else its JSON text (<c>true</c>, <c>1</c>).</summary>
    private protected abstract string JsonScalarText(string jsonColumn);

    /// <summary>Whether <paramref name="exception"/> is a unique (or primary key) constraint violation.</summary>
    private protected abstract bool IsUniqueViolation(DbException exception);

    /// <summary>The value a timestamp parameter takes.</summary>
    private protected abstract object ToDb(DateTimeOffset value);

    /// <summary>Reads a timestamp column.</summary>
    private protected abstract DateTimeOffset ReadTime(DbDataReader reader, int ordinal);

    /// <summary>The statements of a migration step for this database.</summary>
    private protected abstract string MigrationSql(Migration migration);

    /// <summary>Creates <c>vigil_schema</c> when it does not exist.</summary>
    private protected abstract string CreateSchemaTableSql { get; }

    /// <summary>Lists the names of the tables of the store's database (or schema), one per row.</summary>
    private protected abstract string ListTablesSql { get; }

    /// <summary>Opens a connection ready for use.</summary>
    private protected abstract Task<DbConnection> OpenConnectionAsync(CancellationToken cancellationToken);

    /// <summary>Runs <paramref name="work"/> in a write transaction and commits it if <paramref name="work"/> returns.</summary>
    private protected abstract Task<T> InTransactionAsync<T>(Func<DbConnection, DbTransaction, Task<T>> work, CancellationToken cancellationToken);

    /// <summary>Runs on a connection to a database known to be a Vigil store (or empty), before the migration transaction.</summary>
    private protected abstract Task BeforeMigrationAsync(DbConnection connection, CancellationToken cancellationToken);

    /// <summary>Keeps other processes from migrating the same database until the transaction ends.</summary>
    private protected abstract Task LockMigrationsAsync(DbConnection connection, DbTransaction transaction, CancellationToken cancellationToken);

    /// <summary>Runs once the schema is current.</summary>
    private protected abstract Task AfterMigrationAsync(CancellationToken cancellationToken);

    /// <summary>Announces <paramref name="change"/> to other replicas as part of the transaction (nothing to do for a single-process store).</summary>
    private protected abstract Task NotifyAsync(DbConnection connection, DbTransaction transaction, ControlPlaneChange change, CancellationToken cancellationToken);

    /// <summary>Turns a database error met while opening or migrating into a message a person can act on.</summary>
    private protected abstract StoreException Explain(DbException exception);

    /// <summary>A problem of a background part of the store (PostgreSQL's change listener), reported by <see cref="CheckAsync"/>.</summary>
    private protected virtual string? BackgroundError => null;

    /// <inheritdoc />
    public Task MigrateAsync(CancellationToken cancellationToken) => MigrateToAsync(SchemaMigrations.Latest, cancellationToken);

    /// <summary>Applies the migration steps up to <paramref name="targetVersion"/>; tests use it to build a store as an older Vigil left it.</summary>
    internal async Task MigrateToAsync(int targetVersion, CancellationToken cancellationToken)
    {
        try
        {
            await using (var connection = await OpenConnectionAsync(cancellationToken))
            {
                EnsureVigilDatabase(await ListTablesAsync(connection, null, cancellationToken));
                await BeforeMigrationAsync(connection, cancellationToken);
            }

            await InTransactionAsync(
                async (connection, transaction) =>
                {
                    await LockMigrationsAsync(connection, transaction, cancellationToken);
                    EnsureVigilDatabase(await ListTablesAsync(connection, transaction, cancellationToken));
                    await ExecuteAsync(connection, transaction, CreateSchemaTableSql, cancellationToken);
                    var current = await ReadSchemaVersionAsync(connection, transaction, cancellationToken);
                    if (current > SchemaMigrations.Latest)
                    {
                        throw new StoreException(
                            $"{Location} has schema version {current}, but this Vigil knows versions up to {SchemaMigrations.Latest}: " +
                            "it was written by a newer Vigil. Upgrade Vigil, or point --store at another store.");
                    }

                    foreach (var migration in SchemaMigrations.All)
                    {
                        if (migration.Version > current && migration.Version <= targetVersion)
                        {
                            await ExecuteAsync(connection, transaction, MigrationSql(migration), cancellationToken);
                            await ExecuteAsync(
                                connection,
                                transaction,
                                "INSERT INTO vigil_schema (version, description) VALUES (@version, @description)",
                                cancellationToken,
                                ("version", migration.Version),
                                ("description", migration.Description));
                        }
                    }

                    return current;
                },
                cancellationToken);
        }
        catch (DbException ex)
        {
            throw Explain(ex);
        }

        await AfterMigrationAsync(cancellationToken);
    }

    /// <inheritdoc />
    public async Task<StoreHealth> CheckAsync(CancellationToken cancellationToken)
    {
        try
        {
            await using var connection = await OpenConnectionAsync(cancellationToken);
            var tables = await ListTablesAsync(connection, null, cancellationToken);
            var version = tables.Contains("vigil_schema") ? await ReadSchemaVersionAsync(connection, null, cancellationToken) : 0;
            return new StoreHealth(true, version, SchemaMigrations.Latest, BackgroundError);
        }
        catch (DbException ex)
        {
            return new StoreHealth(false, 0, SchemaMigrations.Latest, Explain(ex).Message);
        }
    }

    // Services

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

    // Versions

    /// <inheritdoc />
    public Task<Result<ModelVersion>> RegisterVersionAsync(ModelVersionDraft draft, AuditContext who, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(draft);
        ArgumentNullException.ThrowIfNull(who);
        return ChangeAsync<ModelVersion>(
            new ControlPlaneChange(draft.Service, AuditActions.VersionRegistered),
            async (connection, transaction) =>
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
            },
            cancellationToken);
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

    // Aliases

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

    // Audit

    /// <inheritdoc />
    public Task<AuditEvent> AppendAuditAsync(AuditEvent auditEvent, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(auditEvent);
        return InTransactionAsync(
            (connection, transaction) => InsertAuditAsync(connection, transaction, auditEvent, cancellationToken),
            cancellationToken);
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<AuditEvent>> QueryAuditAsync(AuditQuery query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        var conditions = new List<string>();
        var parameters = new List<(string, object?)>();
        void Where(string condition, string name, object value)
        {
            conditions.Add(condition);
            parameters.Add((name, value));
        }

        if (query.Service is not null)
        {
            Where("service = @service", "service", query.Service);
        }

        if (query.Actor is not null)
        {
            Where("actor = @actor", "actor", query.Actor);
        }

        if (query.Action is not null)
        {
            Where("action = @action", "action", query.Action);
        }

        if (query.Since is { } since)
        {
            Where("at >= @since", "since", ToDb(since));
        }

        if (query.Until is { } until)
        {
            Where("at < @until", "until", ToDb(until));
        }

        if (query.BeforeId is { } beforeId)
        {
            Where("id < @before_id", "before_id", beforeId);
        }

        parameters.Add(("limit", Math.Clamp(query.Limit, 1, AuditQuery.MaxLimit)));
        var where = conditions.Count == 0 ? "" : "WHERE " + string.Join(" AND ", conditions);
        return await QueryAsync(
            $"SELECT {AuditColumns} FROM audit_events {where} ORDER BY id DESC LIMIT @limit",
            ReadAudit,
            cancellationToken,
            [.. parameters]);
    }

    // Predictions and outcomes

    /// <inheritdoc />
    public abstract Task WritePredictionsAsync(IReadOnlyList<PredictionRecord> batch, CancellationToken cancellationToken);

    /// <inheritdoc />
    public async Task<PredictionRecord?> GetPredictionAsync(string requestId, CancellationToken cancellationToken)
    {
        var found = await QueryAsync(
            $"SELECT {PredictionColumns} FROM predictions WHERE request_id = @request_id",
            reader => new PredictionRecord(
                reader.GetString(0),
                ReadTime(reader, 1),
                reader.GetString(2),
                reader.GetInt32(3),
                reader.GetString(4),
                NullableString(reader, 5),
                reader.GetString(6),
                reader.GetString(7),
                NullableString(reader, 8),
                reader.GetDouble(9),
                NullableString(reader, 10),
                NullableString(reader, 11),
                NullableString(reader, 12),
                NullableString(reader, 13)),
            cancellationToken,
            ("request_id", requestId));
        return found.Count == 0 ? null : found[0];
    }

    /// <inheritdoc />
    public Task<FeedbackResult> RecordOutcomesAsync(IReadOnlyList<FeedbackOutcome> outcomes, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(outcomes);
        if (outcomes.Count == 0)
        {
            return Task.FromResult(new FeedbackResult(0, 0));
        }

        return InTransactionAsync(
            async (connection, transaction) =>
            {
                await using var command = Command(
                    connection,
                    transaction,
                    """
                    INSERT INTO outcomes (request_id, name, value, numeric, received_at)
                    VALUES (@request_id, @name, @value, @numeric, @received_at)
                    ON CONFLICT (request_id, name) DO NOTHING
                    """,
                    ("request_id", null),
                    ("name", null),
                    ("value", null),
                    ("numeric", null),
                    ("received_at", null));
                var stored = 0;
                foreach (var outcome in outcomes)
                {
                    Set(command, 0, outcome.RequestId);
                    Set(command, 1, outcome.Name);
                    Set(command, 2, outcome.Value);
                    Set(command, 3, outcome.Numeric);
                    Set(command, 4, ToDb(outcome.ReceivedAt));
                    stored += await command.ExecuteNonQueryAsync(cancellationToken);
                }

                return new FeedbackResult(stored, outcomes.Count - stored);
            },
            cancellationToken);
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<FeedbackOutcome>> GetOutcomesAsync(string requestId, CancellationToken cancellationToken) =>
        await QueryAsync(
            "SELECT request_id, name, value, numeric, received_at FROM outcomes WHERE request_id = @request_id ORDER BY name",
            reader => new FeedbackOutcome(
                reader.GetString(0),
                reader.GetString(1),
                reader.GetString(2),
                reader.IsDBNull(3) ? null : reader.GetDouble(3),
                ReadTime(reader, 4)),
            cancellationToken,
            ("request_id", requestId));

    /// <inheritdoc />
    public async Task<IReadOnlyList<TrafficSummary>> GetTrafficAsync(string service, DateTimeOffset? since, CancellationToken cancellationToken)
    {
        var window = since is null ? "" : "AND p.at >= @since";
        (string, object?)[] parameters = since is { } s ? [("service", service), ("since", ToDb(s))] : [("service", service)];
        await using var connection = await OpenConnectionAsync(cancellationToken);
        var outcomes = await QueryAsync(
            connection,
            $"""
            SELECT p.version, p.arm, o.name, COUNT(*), AVG(o.numeric)
            FROM predictions p
            JOIN outcomes o ON o.request_id = p.request_id
            WHERE p.service = @service {window}
            GROUP BY p.version, p.arm, o.name
            ORDER BY p.version, p.arm, o.name
            """,
            reader => (Version: reader.GetInt32(0), Arm: reader.GetString(1),
                Summary: new OutcomeSummary(reader.GetString(2), reader.GetInt64(3), reader.IsDBNull(4) ? null : reader.GetDouble(4))),
            cancellationToken,
            parameters);
        return await QueryAsync(
            connection,
            $"""
            SELECT p.version, p.arm, COUNT(*), COUNT(p.error), AVG(p.latency_ms), MAX(p.latency_ms)
            FROM predictions p
            WHERE p.service = @service {window}
            GROUP BY p.version, p.arm
            ORDER BY p.version, p.arm
            """,
            reader =>
            {
                var version = reader.GetInt32(0);
                var arm = reader.GetString(1);
                return new TrafficSummary(
                    service,
                    version,
                    arm,
                    reader.GetInt64(2),
                    reader.GetInt64(3),
                    reader.GetDouble(4),
                    reader.GetDouble(5),
                    [.. outcomes.Where(o => o.Version == version && o.Arm == arm).Select(o => o.Summary)]);
            },
            cancellationToken,
            parameters);
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<ArmWindowCounts>> GetArmCountsAsync(ArmCountsQuery query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        var parameters = new List<(string, object?)>
        {
            ("service", query.Service),
            ("from", ToDb(query.From)),
            ("to", ToDb(query.To)),
            ("matured_before", ToDb(query.MaturedBefore)),
        };
        var segment = "NULL";
        if (query.SegmentAttribute is { } attribute)
        {
            // The name travels as a parameter; it is also held to a plain identifier so that no dialect's JSON path syntax can be smuggled in.
            if (!IsAttributeName(attribute))
            {
                throw new ArgumentException(
                    $"'{attribute}' is not a valid segment attribute: use letters, digits, '_' and '-' only",
                    nameof(query));
            }

            segment = JsonAttributeText("p.attributes", "@segment");
            parameters.Add(("segment", attribute));
        }

        var overLatency = "CAST(0 AS BIGINT)";
        if (query.LatencyThresholdMs is { } threshold)
        {
            overLatency = "COUNT(CASE WHEN p.latency_ms > @threshold THEN 1 END)";
            parameters.Add(("threshold", threshold));
        }

        const string Window = "p.service = @service AND p.at >= @from AND p.at < @to";
        await using var connection = await OpenConnectionAsync(cancellationToken);
        var outcomes = await QueryAsync(
            connection,
            $"""
            SELECT p.version, p.arm, {segment}, o.name, COUNT(*), COALESCE(SUM(o.numeric), 0.0)
            FROM predictions p
            JOIN outcomes o ON o.request_id = p.request_id
            WHERE {Window} AND p.at < @matured_before
            GROUP BY 1, 2, 3, 4
            """,
            reader => (Arm: (reader.GetInt32(0), reader.GetString(1), NullableString(reader, 2)),
                Count: new OutcomeCount(reader.GetString(3), reader.GetInt64(4), reader.GetDouble(5))),
            cancellationToken,
            [.. parameters]);

        // accuracy: of the matured predictions with a 'label' outcome, those whose output label is the same value
        // (true/false and 1/0 are the same label). Added to an 'accuracy' outcome the caller may also send as 1/0.
        var labelText = Booleans(JsonAttributeText("p.outputs", "'label'"));
        var outcomeText = Booleans(JsonScalarText("o.value"));
        var labelled = await QueryAsync(
            connection,
            $"""
            SELECT p.version, p.arm, {segment}, COUNT(*), COUNT(CASE WHEN {labelText} = {outcomeText} THEN 1 END)
            FROM predictions p
            JOIN outcomes o ON o.request_id = p.request_id AND o.name = 'label'
            WHERE {Window} AND p.at < @matured_before AND p.outputs IS NOT NULL
            GROUP BY 1, 2, 3
            """,
            reader => (Arm: (reader.GetInt32(0), reader.GetString(1), NullableString(reader, 2)),
                Count: new OutcomeCount(ReleaseMetrics.Accuracy, reader.GetInt64(3), reader.GetInt64(4))),
            cancellationToken,
            [.. parameters]);
        var outcomesByArm = outcomes.Concat(labelled)
            .GroupBy(o => (o.Arm, o.Count.Name))
            .Select(g => (g.Key.Arm, Count: new OutcomeCount(g.Key.Name, g.Sum(o => o.Count.Count), g.Sum(o => o.Count.Sum))))
            .ToLookup(o => o.Arm, o => o.Count);
        var counts = await QueryAsync(
            connection,
            $"""
            SELECT p.version, p.arm, {segment}, COUNT(*), COUNT(p.error), {overLatency},
                   COUNT(CASE WHEN p.at < @matured_before THEN 1 END)
            FROM predictions p
            WHERE {Window}
            GROUP BY 1, 2, 3
            """,
            reader =>
            {
                var arm = (reader.GetInt32(0), reader.GetString(1), NullableString(reader, 2));
                return new ArmWindowCounts(
                    arm.Item1,
                    arm.Item2,
                    arm.Item3,
                    reader.GetInt64(3),
                    reader.GetInt64(4),
                    reader.GetInt64(5),
                    reader.GetInt64(6),
                    [.. outcomesByArm[arm].OrderBy(o => o.Name, StringComparer.Ordinal)]);
            },
            cancellationToken,
            [.. parameters]);

        // Ordered here rather than in SQL, so both databases return the same order whatever their collation and NULL placement.
        return [.. counts.OrderBy(c => c.Version).ThenBy(c => c.Arm, StringComparer.Ordinal).ThenBy(c => c.Segment, StringComparer.Ordinal)];
    }

    /// <summary>
    /// The <c>WHERE</c> clause of a list filtered by an optional service and "active only" (releases, retraining jobs),
    /// adding its parameters to <paramref name="parameters"/>; empty when neither filter applies.
    /// </summary>
    private protected static string ServiceActiveFilter(string? service, bool activeOnly, List<(string, object?)> parameters)
    {
        var conditions = new List<string>(2);
        if (service is not null)
        {
            conditions.Add("service = @service");
            parameters.Add(("service", service));
        }

        if (activeOnly)
        {
            conditions.Add("active = @active");
            parameters.Add(("active", true));
        }

        return conditions.Count == 0 ? "" : "WHERE " + string.Join(" AND ", conditions);
    }

    /// <summary>The same text for JSON's true/false and 1/0, so a label outcome of 1 matches an output label of true.</summary>
    private static string Booleans(string text) => $"(CASE {text} WHEN 'true' THEN '1' WHEN 'false' THEN '0' ELSE {text} END)";

    /// <inheritdoc />
    public async Task<IReadOnlyList<string>> FindUnknownRequestIdsAsync(IReadOnlyCollection<string> requestIds, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(requestIds);
        const int Chunk = 500;
        var distinct = requestIds.Distinct(StringComparer.Ordinal).ToList();
        var known = new HashSet<string>(StringComparer.Ordinal);
        for (var start = 0; start < distinct.Count; start += Chunk)
        {
            var chunk = distinct.Skip(start).Take(Chunk).ToList();
            var parameters = chunk.Select((id, i) => ("id" + i.ToString(System.Globalization.CultureInfo.InvariantCulture), (object?)id)).ToArray();
            var found = await QueryAsync(
                $"SELECT request_id FROM predictions WHERE request_id IN ({string.Join(", ", parameters.Select(p => "@" + p.Item1))})",
                reader => reader.GetString(0),
                cancellationToken,
                parameters);
            known.UnionWith(found);
        }

        return distinct.Where(id => !known.Contains(id)).ToList();
    }

    /// <inheritdoc />
    public async Task<long> CountOrphanOutcomesAsync(CancellationToken cancellationToken)
    {
        var counts = await QueryAsync(
            """
            SELECT COUNT(*)
            FROM outcomes o
            WHERE NOT EXISTS (SELECT 1 FROM predictions p WHERE p.request_id = o.request_id)
            """,
            reader => reader.GetInt64(0),
            cancellationToken);
        return counts[0];
    }

    // API keys

    /// <inheritdoc />
    public Task<Result<ApiKey>> CreateKeyAsync(ApiKey key, AuditContext who, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(who);
        var stored = key with
        {
            CreatedAt = Timestamps.Normalize(key.CreatedAt),
            RevokedAt = key.RevokedAt is { } revokedAt ? Timestamps.Normalize(revokedAt) : null,
        };
        return ChangeAsync<ApiKey>(
            new ControlPlaneChange(null, AuditActions.KeyCreated),
            async (connection, transaction) =>
            {
                var inserted = await ExecuteAsync(
                    connection,
                    transaction,
                    $"""
                    INSERT INTO api_keys ({KeyColumns})
                    VALUES (@id, @name, @scopes, @secret_hash, @created_at, @revoked_at)
                    ON CONFLICT (id) DO NOTHING
                    """,
                    cancellationToken,
                    ("id", stored.Id),
                    ("name", stored.Name),
                    ("scopes", (int)stored.Scopes),
                    ("secret_hash", stored.SecretHash),
                    ("created_at", ToDb(stored.CreatedAt)),
                    ("revoked_at", stored.RevokedAt is { } r ? ToDb(r) : null));
                if (inserted == 0)
                {
                    return Failure.Conflict($"a key with id '{key.Id}' already exists");
                }

                await InsertAuditAsync(
                    connection,
                    transaction,
                    Audit(who, AuditActions.KeyCreated, null, $"key/{stored.Id}", before: null, after: KeyAuditJson(stored)),
                    cancellationToken);
                return Result<ApiKey>.Ok(stored);
            },
            cancellationToken);
    }

    /// <inheritdoc />
    public async Task<ApiKey?> GetKeyAsync(string id, CancellationToken cancellationToken)
    {
        var found = await QueryAsync($"SELECT {KeyColumns} FROM api_keys WHERE id = @id", ReadKey, cancellationToken, ("id", id));
        return found.Count == 0 ? null : found[0];
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<ApiKey>> ListKeysAsync(CancellationToken cancellationToken) =>
        await QueryAsync($"SELECT {KeyColumns} FROM api_keys ORDER BY created_at, id", ReadKey, cancellationToken);

    /// <summary>Revokes a key; NotFound when there is none with that id, Conflict when it is already revoked (the first revocation stands).</summary>
    public Task<Result<ApiKey>> RevokeKeyAsync(string id, AuditContext who, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(who);
        return ChangeAsync<ApiKey>(
            new ControlPlaneChange(null, AuditActions.KeyRevoked),
            async (connection, transaction) =>
            {
                var found = await QueryAsync(
                    connection,
                    $"SELECT {KeyColumns} FROM api_keys WHERE id = @id{ForUpdate}",
                    ReadKey,
                    cancellationToken,
                    transaction,
                    ("id", id));
                if (found.Count == 0)
                {
                    return Failure.NotFound($"there is no key with id '{id}'");
                }

                var before = found[0];
                if (before.RevokedAt is { } revokedAt)
                {
                    return Failure.Conflict($"key '{id}' was already revoked at {revokedAt:O}");
                }

                var revoked = before with { RevokedAt = Timestamps.Normalize(who.At) };
                await ExecuteAsync(
                    connection,
                    transaction,
                    "UPDATE api_keys SET revoked_at = @revoked_at WHERE id = @id",
                    cancellationToken,
                    ("revoked_at", ToDb(who.At)),
                    ("id", id));
                await InsertAuditAsync(
                    connection,
                    transaction,
                    Audit(who, AuditActions.KeyRevoked, null, $"key/{id}", KeyAuditJson(before), KeyAuditJson(revoked)),
                    cancellationToken);
                return Result<ApiKey>.Ok(revoked);
            },
            cancellationToken);
    }

    // Flags

    /// <inheritdoc />
    public Task<Result<StoredFlag>> CreateFlagAsync(StoredFlag flag, AuditContext who, CancellationToken cancellationToken) =>
        CreateDefinitionAsync(DefinitionTable.Flags, flag, FlagCreated, who, cancellationToken);

    /// <inheritdoc />
    public Task<Result<StoredFlag>> UpdateFlagAsync(string key, long expectedRevision, string definition, string action, AuditContext who, CancellationToken cancellationToken) =>
        UpdateDefinitionAsync(DefinitionTable.Flags, key, expectedRevision, definition, action, who, cancellationToken);

    /// <summary>A table of versioned JSON definitions keyed by a DNS label: flags, and flag segments.</summary>
    private sealed record DefinitionTable(string Name, string Noun, string TargetPrefix)
    {
        public static DefinitionTable Flags { get; } = new("flags", "flag", "flags");

        public static DefinitionTable Segments { get; } = new("flag_segments", "segment", "segments");

        public string Target(StoredFlag row) => row.Service is null ? $"{TargetPrefix}/{row.Key}" : $"{row.Service}/{TargetPrefix}/{row.Key}";
    }

    /// <summary>Inserts a definition at revision 1 with its audit event; Conflict when the key is taken.</summary>
    private Task<Result<StoredFlag>> CreateDefinitionAsync(DefinitionTable table, StoredFlag row, string action, AuditContext who, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(row);
        ArgumentNullException.ThrowIfNull(who);
        var stored = row with { Revision = 1, UpdatedAt = Timestamps.Normalize(row.UpdatedAt) };
        return ChangeAsync<StoredFlag>(
            new ControlPlaneChange(row.Service, action),
            async (connection, transaction) =>
            {
                var inserted = await ExecuteAsync(
                    connection,
                    transaction,
                    $"""
                    INSERT INTO {table.Name} ({FlagColumns})
                    VALUES (@key, @service, @definition, @revision, @updated_at)
                    ON CONFLICT (key) DO NOTHING
                    """,
                    cancellationToken,
                    ("key", stored.Key),
                    ("service", stored.Service),
                    ("definition", stored.Definition),
                    ("revision", stored.Revision),
                    ("updated_at", ToDb(stored.UpdatedAt)));
                if (inserted == 0)
                {
                    return Failure.Conflict($"a {table.Noun} with key '{row.Key}' already exists");
                }

                await InsertAuditAsync(
                    connection,
                    transaction,
                    Audit(who, action, stored.Service, table.Target(stored), before: null, after: stored.Definition),
                    cancellationToken);
                return Result<StoredFlag>.Ok(stored);
            },
            cancellationToken);
    }

    /// <summary>Replaces a definition at the expected revision with its audit event (before and after).</summary>
    private Task<Result<StoredFlag>> UpdateDefinitionAsync(
        DefinitionTable table, string key, long expectedRevision, string definition, string action, AuditContext who, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(definition);
        ArgumentNullException.ThrowIfNull(who);
        return ChangeAsync<StoredFlag>(
            updated => new ControlPlaneChange(updated.Service, action),
            async (connection, transaction) =>
            {
                var found = await QueryAsync(
                    connection,
                    $"SELECT {FlagColumns} FROM {table.Name} WHERE key = @key{ForUpdate}",
                    ReadFlag,
                    cancellationToken,
                    transaction,
                    ("key", key));
                if (found.Count == 0)
                {
                    return Failure.NotFound($"there is no {table.Noun} with key '{key}'");
                }

                var current = found[0];
                if (current.Revision != expectedRevision)
                {
                    return Failure.Conflict(
                        $"{table.Noun} '{key}' changed meanwhile (now at revision {current.Revision}, expected {expectedRevision}); read it again and retry");
                }

                var updated = current with { Definition = definition, Revision = expectedRevision + 1, UpdatedAt = Timestamps.Normalize(who.At) };
                await ExecuteAsync(
                    connection,
                    transaction,
                    $"UPDATE {table.Name} SET definition = @definition, revision = @revision, updated_at = @updated_at WHERE key = @key",
                    cancellationToken,
                    ("definition", updated.Definition),
                    ("revision", updated.Revision),
                    ("updated_at", ToDb(updated.UpdatedAt)),
                    ("key", key));
                await InsertAuditAsync(
                    connection,
                    transaction,
                    Audit(who, action, current.Service, table.Target(current), current.Definition, updated.Definition),
                    cancellationToken);
                return Result<StoredFlag>.Ok(updated);
            },
            cancellationToken);
    }

    /// <inheritdoc />
    public async Task<StoredFlag?> GetFlagAsync(string key, CancellationToken cancellationToken)
    {
        var found = await QueryAsync($"SELECT {FlagColumns} FROM flags WHERE key = @key", ReadFlag, cancellationToken, ("key", key));
        return found.Count == 0 ? null : found[0];
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<StoredFlag>> ListFlagsAsync(string? service, CancellationToken cancellationToken) =>
        service is null
            ? await QueryAsync($"SELECT {FlagColumns} FROM flags ORDER BY key", ReadFlag, cancellationToken)
            : await QueryAsync($"SELECT {FlagColumns} FROM flags WHERE service = @service ORDER BY key", ReadFlag, cancellationToken, ("service", service));

    // Releases

    /// <inheritdoc />
    public async Task<Result<StoredRelease>> CreateReleaseAsync(StoredRelease release, ReleaseEvent first, AuditContext who, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(release);
        ArgumentNullException.ThrowIfNull(first);
        ArgumentNullException.ThrowIfNull(who);
        var stored = release with
        {
            Revision = 1,
            CreatedAt = Timestamps.Normalize(release.CreatedAt),
            UpdatedAt = Timestamps.Normalize(release.UpdatedAt),
        };
        try
        {
            return await ChangeAsync<StoredRelease>(
                new ControlPlaneChange(release.Service, ReleaseStarted),
                async (connection, transaction) =>
                {
                    if (await ScalarAsync(connection, transaction, "SELECT 1 FROM services WHERE name = @name", cancellationToken, ("name", release.Service)) is null)
                    {
                        return ServiceNotFound(release.Service);
                    }

                    var version = await ScalarAsync(
                        connection,
                        transaction,
                        "SELECT 1 FROM model_versions WHERE service = @service AND number = @number",
                        cancellationToken,
                        ("service", release.Service),
                        ("number", release.Challenger));
                    if (version is null)
                    {
                        return Failure.NotFound($"service '{release.Service}' has no version {release.Challenger}");
                    }

                    if (await ReleaseConflictAsync(connection, transaction, stored, cancellationToken) is { } conflict)
                    {
                        return conflict;
                    }

                    // The check above gives a clear message; the partial unique index on active releases is what decides a race (see the catch).
                    await ExecuteAsync(
                        connection,
                        transaction,
                        $"""
                        INSERT INTO releases ({ReleaseColumns})
                        VALUES (@id, @service, @challenger, @status, @active, @plan, @state, @revision, @created_at, @updated_at)
                        """,
                        cancellationToken,
                        ("id", stored.Id),
                        ("service", stored.Service),
                        ("challenger", stored.Challenger),
                        ("status", stored.Status),
                        ("active", stored.Active),
                        ("plan", stored.Plan),
                        ("state", stored.State),
                        ("revision", stored.Revision),
                        ("created_at", ToDb(stored.CreatedAt)),
                        ("updated_at", ToDb(stored.UpdatedAt)));
                    await InsertReleaseEventAsync(connection, transaction, first with { ReleaseId = stored.Id }, cancellationToken);
                    await InsertAuditAsync(
                        connection,
                        transaction,
                        Audit(who, ReleaseStarted, stored.Service, ReleaseTarget(stored), before: null, after: stored.Plan),
                        cancellationToken);
                    return Result<StoredRelease>.Ok(stored);
                },
                cancellationToken);
        }
        catch (DbException ex) when (IsUniqueViolation(ex))
        {
            // Another start for the service committed between the check and the insert: the database let only one win.
            await using var connection = await OpenConnectionAsync(cancellationToken);
            return await ReleaseConflictAsync(connection, null, stored, cancellationToken)
                ?? Failure.Conflict($"release '{release.Id}' conflicts with a release started at the same time; read the releases of '{release.Service}' again");
        }
    }

    /// <inheritdoc />
    public Task<Result<StoredRelease>> UpdateReleaseAsync(string id, long expectedRevision, string status, bool active, string state, ReleaseEvent transition, string action, AuditContext who, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(status);
        ArgumentNullException.ThrowIfNull(state);
        return ChangeReleaseAsync(
            id,
            expectedRevision,
            transition,
            action,
            who,
            current => Result<ReleaseEdit>.Ok(new ReleaseEdit(current with { Status = status, Active = active, State = state }, current.State, state)),
            cancellationToken);
    }

    /// <inheritdoc />
    public Task<Result<StoredRelease>> PromoteReleaseAsync(string id, long expectedRevision, string status, string state, ReleaseEvent transition, string action, AuditContext who, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(status);
        ArgumentNullException.ThrowIfNull(state);
        return ChangeReleaseAsync(
            id,
            expectedRevision,
            transition,
            action,
            who,
            current => Result<ReleaseEdit>.Ok(new ReleaseEdit(current with { Status = status, Active = false, State = state }, current.State, state)),
            cancellationToken,
            async (connection, transaction, release) =>
            {
                var aliases = await ReadAliasesAsync(connection, transaction, release.Service, cancellationToken);
                if (aliases.Champion == release.Challenger)
                {
                    return null;
                }

                var next = (aliases with { Challenger = release.Challenger }).Promote();
                var moved = await WriteAliasesAsync(
                    connection, transaction, release.Service, aliases.Revision, next.Value!, AuditActions.AliasPromoted, who with { Reason = $"release {id} promoted: {who.Reason}" }, cancellationToken);
                return moved.Failure;
            });
    }

    /// <inheritdoc />
    public Task<Result<StoredRelease>> AmendReleaseAsync(string id, long expectedRevision, string plan, ReleaseEvent transition, AuditContext who, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(plan);
        return ChangeReleaseAsync(
            id,
            expectedRevision,
            transition,
            ReleaseAmended,
            who,
            current => current.Active
                ? Result<ReleaseEdit>.Ok(new ReleaseEdit(current with { Plan = plan }, current.Plan, plan))
                : Failure.Conflict($"release '{id}' has ended ({current.Status}); only a running release's plan can be amended"),
            cancellationToken);
    }

    /// <inheritdoc />
    public async Task<StoredRelease?> GetReleaseAsync(string id, CancellationToken cancellationToken)
    {
        var found = await QueryAsync($"SELECT {ReleaseColumns} FROM releases WHERE id = @id", ReadRelease, cancellationToken, ("id", id));
        return found.Count == 0 ? null : found[0];
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<StoredRelease>> ListReleasesAsync(string? service, bool activeOnly, CancellationToken cancellationToken)
    {
        var parameters = new List<(string, object?)>();
        var where = ServiceActiveFilter(service, activeOnly, parameters);
        return await QueryAsync(
            $"SELECT {ReleaseColumns} FROM releases {where} ORDER BY created_at DESC, id DESC",
            ReadRelease,
            cancellationToken,
            [.. parameters]);
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<ReleaseEvent>> GetReleaseEventsAsync(string id, CancellationToken cancellationToken) =>
        await QueryAsync(
            $"SELECT {ReleaseEventColumns} FROM release_events WHERE release_id = @release_id ORDER BY id",
            reader => new ReleaseEvent(
                reader.GetInt64(0),
                reader.GetString(1),
                ReadTime(reader, 2),
                reader.GetString(3),
                reader.GetString(4),
                reader.GetString(5),
                reader.GetString(6),
                NullableString(reader, 7)),
            cancellationToken,
            ("release_id", id));

    /// <inheritdoc />
    public abstract ValueTask DisposeAsync();

    /// <summary>Raises <see cref="Changed"/>.</summary>
    private protected void RaiseChanged(ControlPlaneChange change) => Changed?.Invoke(this, change);

    /// <summary>A command with named parameters (<c>@name</c> in the SQL); a null value is sent as SQL NULL.</summary>
    private protected static DbCommand Command(DbConnection connection, DbTransaction? transaction, string sql, params (string Name, object? Value)[] parameters)
    {
        var command = connection.CreateCommand();
#pragma warning disable CA2100 // Every statement is a constant of this assembly; values always travel as parameters.
        command.CommandText = sql;
#pragma warning restore CA2100
        command.Transaction = transaction;
        foreach (var (name, value) in parameters)
        {
            var parameter = command.CreateParameter();
            parameter.ParameterName = name;
            parameter.Value = value ?? DBNull.Value;
            command.Parameters.Add(parameter);
        }

        return command;
    }

    /// <summary>Sets the value of a command's parameter by position, for a command run once per row.</summary>
    private protected static void Set(DbCommand command, int index, object? value) => command.Parameters[index].Value = value ?? DBNull.Value;

    /// <summary>Runs a statement and returns the number of rows it changed.</summary>
    private protected static async Task<int> ExecuteAsync(DbConnection connection, DbTransaction? transaction, string sql, CancellationToken cancellationToken, params (string Name, object? Value)[] parameters)
    {
        await using var command = Command(connection, transaction, sql, parameters);
        return await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static async Task<object?> ScalarAsync(DbConnection connection, DbTransaction? transaction, string sql, CancellationToken cancellationToken, params (string Name, object? Value)[] parameters)
    {
        await using var command = Command(connection, transaction, sql, parameters);
        var value = await command.ExecuteScalarAsync(cancellationToken);
        return value is DBNull ? null : value;
    }

    private static async Task<List<T>> QueryAsync<T>(DbConnection connection, string sql, Func<DbDataReader, T> read, CancellationToken cancellationToken, DbTransaction? transaction, params (string Name, object? Value)[] parameters)
    {
        await using var command = Command(connection, transaction, sql, parameters);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var rows = new List<T>();
        while (await reader.ReadAsync(cancellationToken))
        {
            rows.Add(read(reader));
        }

        return rows;
    }

    private static Task<List<T>> QueryAsync<T>(DbConnection connection, string sql, Func<DbDataReader, T> read, CancellationToken cancellationToken, params (string Name, object? Value)[] parameters) =>
        QueryAsync(connection, sql, read, cancellationToken, null, parameters);

    private async Task<List<T>> QueryAsync<T>(string sql, Func<DbDataReader, T> read, CancellationToken cancellationToken, params (string Name, object? Value)[] parameters)
    {
        await using var connection = await OpenConnectionAsync(cancellationToken);
        return await QueryAsync(connection, sql, read, cancellationToken, null, parameters);
    }

    /// <summary>Runs a control-plane change: on success it is announced in the transaction and raised locally after commit.</summary>
    private Task<Result<T>> ChangeAsync<T>(ControlPlaneChange change, Func<DbConnection, DbTransaction, Task<Result<T>>> work, CancellationToken cancellationToken) =>
        ChangeAsync(_ => change, work, cancellationToken);

    /// <summary>Runs a control-plane change whose announcement depends on what it changed (the service of a flag or release read in the transaction).</summary>
    private async Task<Result<T>> ChangeAsync<T>(Func<T, ControlPlaneChange> changeOf, Func<DbConnection, DbTransaction, Task<Result<T>>> work, CancellationToken cancellationToken)
    {
        ControlPlaneChange? change = null;
        var result = await InTransactionAsync(
            async (connection, transaction) =>
            {
                var result = await work(connection, transaction);
                if (result.IsSuccess)
                {
                    change = changeOf(result.Value!);
                    await NotifyAsync(connection, transaction, change, cancellationToken);
                }

                return result;
            },
            cancellationToken);
        if (change is not null)
        {
            RaiseChanged(change);
        }

        return result;
    }

    /// <summary>
    /// Changes a release if it is still at <paramref name="expectedRevision"/>: <paramref name="edit"/> says what becomes of it and
    /// what the audit event shows before and after; the transition and the audit event are written in the same transaction.
    /// </summary>
    private async Task<Result<StoredRelease>> ChangeReleaseAsync(
        string id,
        long expectedRevision,
        ReleaseEvent transition,
        string action,
        AuditContext who,
        Func<StoredRelease, Result<ReleaseEdit>> edit,
        CancellationToken cancellationToken,
        Func<DbConnection, DbTransaction, StoredRelease, Task<Failure?>>? alongside = null)
    {
        ArgumentNullException.ThrowIfNull(transition);
        ArgumentNullException.ThrowIfNull(who);
        try
        {
            return await ChangeAsync<StoredRelease>(
                updated => new ControlPlaneChange(updated.Service, action),
                async (connection, transaction) =>
                {
                    var found = await QueryAsync(
                        connection,
                        $"SELECT {ReleaseColumns} FROM releases WHERE id = @id{ForUpdate}",
                        ReadRelease,
                        cancellationToken,
                        transaction,
                        ("id", id));
                    if (found.Count == 0)
                    {
                        return Failure.NotFound($"there is no release with id '{id}'");
                    }

                    var current = found[0];
                    if (current.Revision != expectedRevision)
                    {
                        return Failure.Conflict(
                            $"release '{id}' changed meanwhile (now at revision {current.Revision}, expected {expectedRevision}); read it again and retry");
                    }

                    var edited = edit(current);
                    if (edited.Failure is { } failure)
                    {
                        return failure;
                    }

                    var (next, before, after) = edited.Value!;
                    if (alongside is not null && await alongside(connection, transaction, current) is { } refused)
                    {
                        return refused;
                    }

                    var updated = next with { Revision = expectedRevision + 1, UpdatedAt = Timestamps.Normalize(who.At) };
                    await ExecuteAsync(
                        connection,
                        transaction,
                        """
                        UPDATE releases
                        SET status = @status, active = @active, plan = @plan, state = @state, revision = @revision, updated_at = @updated_at
                        WHERE id = @id
                        """,
                        cancellationToken,
                        ("status", updated.Status),
                        ("active", updated.Active),
                        ("plan", updated.Plan),
                        ("state", updated.State),
                        ("revision", updated.Revision),
                        ("updated_at", ToDb(updated.UpdatedAt)),
                        ("id", id));
                    await InsertReleaseEventAsync(connection, transaction, transition with { ReleaseId = id }, cancellationToken);
                    await InsertAuditAsync(connection, transaction, Audit(who, action, updated.Service, ReleaseTarget(updated), before, after), cancellationToken);
                    return Result<StoredRelease>.Ok(updated);
                },
                cancellationToken);
        }
        catch (DbException ex) when (IsUniqueViolation(ex))
        {
            // Only reactivating an ended release can break the one-active-release rule.
            return Failure.Conflict($"release '{id}' cannot become active again: its service has another active release");
        }
    }

    /// <summary>Why <paramref name="release"/> cannot be stored: its service has an active release already, or its id is taken; null when neither.</summary>
    private async Task<Failure?> ReleaseConflictAsync(DbConnection connection, DbTransaction? transaction, StoredRelease release, CancellationToken cancellationToken)
    {
        if (release.Active)
        {
            var active = await ScalarAsync(
                connection,
                transaction,
                "SELECT id FROM releases WHERE service = @service AND active = @active",
                cancellationToken,
                ("service", release.Service),
                ("active", true));
            if (active is string activeId)
            {
                return Failure.Conflict(
                    $"service '{release.Service}' already has an active release ('{activeId}'); wait for it to end, or abort it, before starting another");
            }
        }

        return await ScalarAsync(connection, transaction, "SELECT 1 FROM releases WHERE id = @id", cancellationToken, ("id", release.Id)) is null
            ? null
            : Failure.Conflict($"a release with id '{release.Id}' already exists");
    }

    private async Task InsertReleaseEventAsync(DbConnection connection, DbTransaction transaction, ReleaseEvent releaseEvent, CancellationToken cancellationToken) =>
        await ExecuteAsync(
            connection,
            transaction,
            """
            INSERT INTO release_events (release_id, at, from_status, to_status, actor, reason, details)
            VALUES (@release_id, @at, @from_status, @to_status, @actor, @reason, @details)
            """,
            cancellationToken,
            ("release_id", releaseEvent.ReleaseId),
            ("at", ToDb(releaseEvent.At)),
            ("from_status", releaseEvent.From),
            ("to_status", releaseEvent.To),
            ("actor", releaseEvent.Actor),
            ("reason", releaseEvent.Reason),
            ("details", releaseEvent.Details));

    private void EnsureVigilDatabase(IReadOnlyCollection<string> tables)
    {
        if (tables.Count > 0 && !tables.Contains("vigil_schema"))
        {
            throw new StoreException(
                $"{Location} is not a Vigil database (it has tables but no vigil_schema); point --store at a new file or an existing Vigil store");
        }
    }

    private async Task<IReadOnlyCollection<string>> ListTablesAsync(DbConnection connection, DbTransaction? transaction, CancellationToken cancellationToken) =>
        (await QueryAsync(connection, ListTablesSql, reader => reader.GetString(0), cancellationToken, transaction)).ToHashSet(StringComparer.Ordinal);

    private static async Task<int> ReadSchemaVersionAsync(DbConnection connection, DbTransaction? transaction, CancellationToken cancellationToken) =>
        Convert.ToInt32(await ScalarAsync(connection, transaction, "SELECT COALESCE(MAX(version), 0) FROM vigil_schema", cancellationToken));

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

    private async Task<AuditEvent> InsertAuditAsync(DbConnection connection, DbTransaction transaction, AuditEvent auditEvent, CancellationToken cancellationToken)
    {
        var stored = auditEvent with { At = Timestamps.Normalize(auditEvent.At) };
        var id = await ScalarAsync(
            connection,
            transaction,
            """
            INSERT INTO audit_events (at, actor, action, service, target, before, after, reason)
            VALUES (@at, @actor, @action, @service, @target, @before, @after, @reason)
            RETURNING id
            """,
            cancellationToken,
            ("at", ToDb(stored.At)),
            ("actor", stored.Actor),
            ("action", stored.Action),
            ("service", stored.Service),
            ("target", stored.Target),
            ("before", stored.Before),
            ("after", stored.After),
            ("reason", stored.Reason));
        return stored with { Id = Convert.ToInt64(id) };
    }

    private static AuditEvent Audit(AuditContext who, string action, string? service, string target, string? before, string? after) =>
        new(0, who.At, who.Actor, action, service, target, before, after, who.Reason);

    /// <summary>A key as the audit log shows it: everything but the secret's hash.</summary>
    private static string KeyAuditJson(ApiKey key) =>
        VigilJson.Serialize(new KeyAuditView(key.Id, key.Name, key.Scopes, key.CreatedAt, key.RevokedAt));


    private static string ReleaseTarget(StoredRelease release) => $"{release.Service}/releases/{release.Id}";

    /// <summary>Whether <paramref name="name"/> is a request attribute's name: letters, digits, <c>_</c> and <c>-</c>.</summary>
    private static bool IsAttributeName(string name) =>
        name.Length is > 0 and <= 128 && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-');

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

    private AuditEvent ReadAudit(DbDataReader reader) => new(
        reader.GetInt64(0),
        ReadTime(reader, 1),
        reader.GetString(2),
        reader.GetString(3),
        NullableString(reader, 4),
        reader.GetString(5),
        NullableString(reader, 6),
        NullableString(reader, 7),
        NullableString(reader, 8));

    private ApiKey ReadKey(DbDataReader reader) => new(
        reader.GetString(0),
        reader.GetString(1),
        (ApiScopes)reader.GetInt32(2),
        reader.GetString(3),
        ReadTime(reader, 4),
        reader.IsDBNull(5) ? null : ReadTime(reader, 5));

    private StoredFlag ReadFlag(DbDataReader reader) => new(
        reader.GetString(0),
        NullableString(reader, 1),
        reader.GetString(2),
        reader.GetInt64(3),
        ReadTime(reader, 4));

    private StoredRelease ReadRelease(DbDataReader reader) => new(
        reader.GetString(0),
        reader.GetString(1),
        reader.GetInt32(2),
        reader.GetString(3),
        reader.GetBoolean(4),
        reader.GetString(5),
        reader.GetString(6),
        reader.GetInt64(7),
        ReadTime(reader, 8),
        ReadTime(reader, 9));

    private static int? NullableInt(DbDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetInt32(ordinal);

    private static string? NullableString(DbDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetString(ordinal);

    /// <summary>What a change makes of a release, and what its audit event shows before and after.</summary>
    private sealed record ReleaseEdit(StoredRelease Next, string Before, string After);

    private sealed record KeyAuditView(string Id, string Name, ApiScopes Scopes, DateTimeOffset CreatedAt, DateTimeOffset? RevokedAt);
}

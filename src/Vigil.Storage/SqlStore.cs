using System.Data.Common;
using Vigil.Persistence;
using Vigil.Storage.Dialects;
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

    private readonly SqlDialect _dialect;

    private protected SqlStore(SqlDialect dialect)
    {
        _dialect = dialect;
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
    private protected string ForUpdate => _dialect.ForUpdate;

    /// <summary>A SQL expression that stores the JSON text in <paramref name="parameter"/> in a JSON column.</summary>
    private protected string Json(string parameter) => _dialect.Json(parameter);

    /// <summary>
    /// A SQL expression for the value of the top-level attribute named by the text parameter <paramref name="nameParameter"/>
    /// in the JSON object in <paramref name="jsonColumn"/>, as text: a string as itself, a number or boolean as its JSON text,
    /// null when the attribute is missing or JSON null.
    /// </summary>
    private protected string JsonAttributeText(string jsonColumn, string nameParameter) => _dialect.JsonAttributeText(jsonColumn, nameParameter);

    /// <summary>SQL giving the text of a column holding one JSON scalar: a string's contents, else its JSON text (<c>true</c>, <c>1</c>).</summary>
    private protected string JsonScalarText(string jsonColumn) => _dialect.JsonScalarText(jsonColumn);

    /// <summary>Whether <paramref name="exception"/> is a unique (or primary key) constraint violation.</summary>
    private protected bool IsUniqueViolation(DbException exception) => _dialect.IsUniqueViolation(exception);

    /// <summary>The value a timestamp parameter takes.</summary>
    private protected object ToDb(DateTimeOffset value) => _dialect.ToDb(value);

    /// <summary>Reads a timestamp column.</summary>
    private protected DateTimeOffset ReadTime(DbDataReader reader, int ordinal) => _dialect.ReadTime(reader, ordinal);

    /// <summary>The statements of a migration step for this database.</summary>
    private protected string MigrationSql(Migration migration) => _dialect.MigrationSql(migration);

    /// <summary>Creates <c>vigil_schema</c> when it does not exist.</summary>
    private protected string CreateSchemaTableSql => _dialect.CreateSchemaTableSql;

    /// <summary>Lists the names of the tables of the store's database (or schema), one per row.</summary>
    private protected string ListTablesSql => _dialect.ListTablesSql;

    /// <summary>Opens a connection ready for use.</summary>
    private protected abstract Task<DbConnection> OpenConnectionAsync(CancellationToken cancellationToken);

    /// <summary>Runs <paramref name="work"/> in a write transaction and commits it if <paramref name="work"/> returns.</summary>
    private protected Task<T> InTransactionAsync<T>(Func<DbConnection, DbTransaction, Task<T>> work, CancellationToken cancellationToken) =>
        InTransactionAsync(work, static _ => true, cancellationToken);

    /// <summary>
    /// Runs <paramref name="work"/> in a write transaction and commits it if <paramref name="work"/> returns a value
    /// <paramref name="commit"/> accepts; otherwise the transaction is rolled back and nothing it wrote stays.
    /// </summary>
    private protected abstract Task<T> InTransactionAsync<T>(Func<DbConnection, DbTransaction, Task<T>> work, Func<T, bool> commit, CancellationToken cancellationToken);

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
    private Task<Result<T>> ChangeAsync<T>(Func<T, ControlPlaneChange> changeOf, Func<DbConnection, DbTransaction, Task<Result<T>>> work, CancellationToken cancellationToken) =>
        ChangesAsync<T>(
            async (connection, transaction, changes) =>
            {
                var result = await work(connection, transaction);
                if (result.IsSuccess)
                {
                    changes.Add(changeOf(result.Value!));
                }

                return result;
            },
            cancellationToken);

    /// <summary>
    /// Runs a control-plane change of one or more parts in one transaction. <paramref name="work"/> adds the changes it made
    /// to the list it is given; on success each is announced in the transaction and raised locally after commit. A failure
    /// rolls the whole transaction back, so a change whose later part fails leaves nothing of its earlier parts behind.
    /// </summary>
    private async Task<Result<T>> ChangesAsync<T>(Func<DbConnection, DbTransaction, List<ControlPlaneChange>, Task<Result<T>>> work, CancellationToken cancellationToken)
    {
        var changes = new List<ControlPlaneChange>(1);
        var result = await InTransactionAsync(
            async (connection, transaction) =>
            {
                var result = await work(connection, transaction, changes);
                if (result.IsSuccess)
                {
                    foreach (var change in changes)
                    {
                        await NotifyAsync(connection, transaction, change, cancellationToken);
                    }
                }

                return result;
            },
            result => result.IsSuccess,
            cancellationToken);
        if (!result.IsSuccess)
        {
            return result;
        }

        foreach (var change in changes)
        {
            RaiseChanged(change);
        }

        return result;
    }

    /// <summary>
    /// A test seam: called with the name of each part of a multi-part command once that part is written, inside the
    /// transaction (<c>release</c>, <c>flag</c>, <c>aliases</c>, <c>version</c>, <c>baseline</c>). A test throws from it to
    /// show that a failure between the parts leaves nothing half-written.
    /// </summary>
    internal Action<string>? PartWritten { get; set; }

    private void Written(string part) => PartWritten?.Invoke(part);

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

    private static int? NullableInt(DbDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetInt32(ordinal);

    private static string? NullableString(DbDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetString(ordinal);
}

using System.Data.Common;
using System.Text;
using Microsoft.Data.Sqlite;
using SQLitePCL;
using Vigil.Predictions;
using Vigil.Storage.Migrations;

namespace Vigil.Storage;

/// <summary>
/// Vigil's default store: one SQLite file in WAL mode, with foreign keys on and a busy timeout. Writes are
/// serialized within the process (and across processes by <c>BEGIN IMMEDIATE</c>); reads use their own pooled
/// connections and never wait for a writer. Timestamps are stored as unix microseconds.
/// </summary>
public sealed class SqliteStore : SqlStore
{
    /// <summary>How long a statement waits for another process's write lock before failing.</summary>
    public static readonly TimeSpan BusyTimeout = TimeSpan.FromSeconds(5);

    private const int NotADatabase = 26;
    private const int CannotOpen = 14;
    private const int ConstraintViolation = 19;
    private const int UniqueViolation = 2067;
    private const int PrimaryKeyViolation = 1555;

    private readonly string _connectionString;
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private int _disposed;

    /// <summary>A store in the file at <paramref name="path"/>; the file is created by <see cref="SqlStore.MigrateAsync"/> when missing.</summary>
    public SqliteStore(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        Path = System.IO.Path.GetFullPath(path);
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = Path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            ForeignKeys = true,
            Pooling = true,
            DefaultTimeout = (int)BusyTimeout.TotalSeconds,
        }.ToString();
    }

    /// <summary>The full path of the database file.</summary>
    public string Path { get; }

    /// <inheritdoc />
    public override string Kind => "sqlite";

    /// <inheritdoc />
    public override string Description => "sqlite:" + Path;

    private protected override string Location => $"'{Path}'";

    private protected override string ForUpdate => "";

    private protected override string CreateSchemaTableSql => """
        CREATE TABLE IF NOT EXISTS vigil_schema (
            version     INTEGER NOT NULL PRIMARY KEY,
            applied_at  INTEGER NOT NULL DEFAULT (CAST((julianday('now') - 2440587.5) * 86400000000 AS INTEGER)),
            description TEXT    NOT NULL
        )
        """;

    private protected override string ListTablesSql =>
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'";

    private protected override string Json(string parameter) => parameter;

    /// <summary>
    /// <c>json_extract</c> gives a string without its quotes; <c>-&gt;</c> gives the JSON text of a number or boolean
    /// (<c>true</c>, not SQLite's 1), as PostgreSQL's <c>-&gt;&gt;</c> does.
    /// </summary>
    private protected override string JsonAttributeText(string jsonColumn, string nameParameter) => $"""
        CASE json_type({jsonColumn}, '$."' || {nameParameter} || '"')
            WHEN 'text' THEN json_extract({jsonColumn}, '$."' || {nameParameter} || '"')
            WHEN 'null' THEN NULL
            ELSE {jsonColumn} -> ('$."' || {nameParameter} || '"')
        END
        """;

    private protected override string JsonScalarText(string jsonColumn) =>
        $"(CASE json_type({jsonColumn}) WHEN 'text' THEN json_extract({jsonColumn}, '$') ELSE json({jsonColumn}) END)";

    private protected override bool IsUniqueViolation(DbException exception) =>
        exception is SqliteException { SqliteErrorCode: ConstraintViolation, SqliteExtendedErrorCode: UniqueViolation or PrimaryKeyViolation };

    private protected override object ToDb(DateTimeOffset value) => Timestamps.ToUnixMicroseconds(value);

    private protected override DateTimeOffset ReadTime(DbDataReader reader, int ordinal) => Timestamps.FromUnixMicroseconds(reader.GetInt64(ordinal));

    private protected override string MigrationSql(Migration migration) => migration.Sqlite;

    private protected override async Task<DbConnection> OpenConnectionAsync(CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(_connectionString);
        try
        {
            await connection.OpenAsync(cancellationToken);
            await ExecuteAsync(connection, null, $"PRAGMA busy_timeout = {(int)BusyTimeout.TotalMilliseconds}", cancellationToken);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    private protected override Task<T> InTransactionAsync<T>(Func<DbConnection, DbTransaction, Task<T>> work, CancellationToken cancellationToken) =>
        WriteAsync(work, synchronousNormal: false, cancellationToken);

    /// <summary>
    /// A write transaction for prediction records with <c>synchronous = NORMAL</c>: in WAL mode a commit then survives a
    /// crash of Vigil but not a power loss, and costs no fsync. Prediction rows are the one high-volume write; control-plane
    /// changes keep the default (FULL).
    /// </summary>
    private Task<T> InPredictionTransactionAsync<T>(Func<DbConnection, DbTransaction, Task<T>> work, CancellationToken cancellationToken) =>
        WriteAsync(work, synchronousNormal: true, cancellationToken);

    private async Task<T> WriteAsync<T>(Func<DbConnection, DbTransaction, Task<T>> work, bool synchronousNormal, CancellationToken cancellationToken)
    {
        await _writeLock.WaitAsync(cancellationToken);
        try
        {
            await using var connection = await OpenConnectionAsync(cancellationToken);
            if (synchronousNormal)
            {
                await ExecuteAsync(connection, null, "PRAGMA synchronous = NORMAL", cancellationToken);
            }

            // Deferred: false starts with BEGIN IMMEDIATE, so a transaction that reads before it writes cannot deadlock with another process's.
            await using var transaction = (DbTransaction)((SqliteConnection)connection).BeginTransaction(deferred: false);
            var result = await work(connection, transaction);
            await transaction.CommitAsync(cancellationToken);
            return result;
        }
        finally
        {
            _writeLock.Release();
        }
    }

    private protected override Task BeforeMigrationAsync(DbConnection connection, CancellationToken cancellationToken) =>
        ExecuteAsync(connection, null, "PRAGMA journal_mode = WAL", cancellationToken);

    private protected override Task LockMigrationsAsync(DbConnection connection, DbTransaction transaction, CancellationToken cancellationToken) =>
        Task.CompletedTask; // BEGIN IMMEDIATE already holds the file's write lock.

    private protected override Task AfterMigrationAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    private protected override Task NotifyAsync(DbConnection connection, DbTransaction transaction, ControlPlaneChange change, CancellationToken cancellationToken) =>
        Task.CompletedTask; // One process owns a SQLite store; Changed is raised after commit.

    private protected override StoreException Explain(DbException exception) => exception switch
    {
        SqliteException { SqliteErrorCode: NotADatabase } => new StoreException(
            $"{Location} is not a SQLite database, so not a Vigil store either; point --store at a new file or an existing Vigil store",
            exception),
        SqliteException { SqliteErrorCode: CannotOpen } => new StoreException(
            $"cannot open {Location}: check that its directory exists and is writable",
            exception),
        _ => new StoreException($"{Location}: {exception.Message}", exception),
    };

    /// <inheritdoc />
    public override Task WritePredictionsAsync(IReadOnlyList<PredictionRecord> batch, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batch);
        if (batch.Count == 0)
        {
            return Task.CompletedTask;
        }

        return InPredictionTransactionAsync(
            (connection, _) => Task.FromResult(InsertPredictions(((SqliteConnection)connection).Handle!, batch)),
            cancellationToken);
    }

    private const string InsertPredictionSql =
        $"INSERT INTO predictions ({PredictionColumns}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14) ON CONFLICT (request_id) DO NOTHING";

    /// <summary>
    /// The recorder's hot write: one prepared statement per batch, values bound by position straight from the record
    /// (strings transcoded into one reused UTF-8 buffer, which SQLite copies), in the transaction the caller opened.
    /// Microsoft.Data.Sqlite's command would look every parameter up by name and allocate a UTF-8 copy of each string on
    /// every row, which cost about as much CPU as the rest of a request (docs/benchmarks.md, "Where Vigil's cost goes").
    /// </summary>
    private static int InsertPredictions(sqlite3 db, IReadOnlyList<PredictionRecord> batch)
    {
        Check(raw.sqlite3_prepare_v2(db, InsertPredictionSql, out var statement), db);
        using (statement)
        {
            var buffer = new byte[1024];
            foreach (var record in batch)
            {
                BindText(statement, 1, record.RequestId, ref buffer);
                raw.sqlite3_bind_int64(statement, 2, Timestamps.ToUnixMicroseconds(record.At));
                BindText(statement, 3, record.Service, ref buffer);
                raw.sqlite3_bind_int(statement, 4, record.Version);
                BindText(statement, 5, record.Arm, ref buffer);
                BindText(statement, 6, record.Key, ref buffer);
                BindText(statement, 7, record.Attributes, ref buffer);
                BindText(statement, 8, record.Inputs, ref buffer);
                BindText(statement, 9, record.Outputs, ref buffer);
                raw.sqlite3_bind_double(statement, 10, record.LatencyMs);
                BindText(statement, 11, record.Error, ref buffer);
                BindText(statement, 12, record.FlagKey, ref buffer);
                BindText(statement, 13, record.FlagReason, ref buffer);
                BindText(statement, 14, record.ShadowOf, ref buffer);
                var rc = raw.sqlite3_step(statement);
                if (rc != raw.SQLITE_DONE)
                {
                    Check(rc, db);
                }

                raw.sqlite3_reset(statement);
            }
        }

        return batch.Count;
    }

    private static void BindText(sqlite3_stmt statement, int index, string? value, ref byte[] buffer)
    {
        if (value is null)
        {
            raw.sqlite3_bind_null(statement, index);
            return;
        }

        if (value.Length == 0)
        {
            raw.sqlite3_bind_text(statement, index, string.Empty); // an empty span would bind NULL
            return;
        }

        var max = Encoding.UTF8.GetMaxByteCount(value.Length);
        if (buffer.Length < max)
        {
            buffer = new byte[Math.Max(max, buffer.Length * 2)];
        }

        var length = Encoding.UTF8.GetBytes(value, buffer);
        raw.sqlite3_bind_text(statement, index, buffer.AsSpan(0, length));
    }

    private static void Check(int rc, sqlite3 db)
    {
        if (rc != raw.SQLITE_OK)
        {
            SqliteException.ThrowExceptionForRC(rc, db);
        }
    }

    /// <summary>Waits for a write in progress, then releases the file: pooled connections are closed, so the file can be moved or deleted.</summary>
    public override async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        await _writeLock.WaitAsync();
        using (var connection = new SqliteConnection(_connectionString))
        {
            SqliteConnection.ClearPool(connection);
        }

        _writeLock.Release();
        _writeLock.Dispose();
    }
}

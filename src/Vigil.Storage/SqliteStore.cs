using System.Data.Common;
using System.Text;
using Microsoft.Data.Sqlite;
using SQLitePCL;
using Vigil.Persistence;
using Vigil.Predictions;
using Vigil.Storage.Dialects;

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

    private readonly string _connectionString;
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private RecorderConnection? _recorder;
    private int _disposed;

    /// <summary>A store in the file at <paramref name="path"/>; the file is created by <see cref="SqlStore.MigrateAsync"/> when missing.</summary>
    public SqliteStore(string path)
        : base(SqliteDialect.Instance)
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

    private protected override async Task<T> InTransactionAsync<T>(Func<DbConnection, DbTransaction, Task<T>> work, Func<T, bool> commit, CancellationToken cancellationToken)
    {
        await _writeLock.WaitAsync(cancellationToken);
        try
        {
            await using var connection = await OpenConnectionAsync(cancellationToken);
            // Deferred: false starts with BEGIN IMMEDIATE, so a transaction that reads before it writes cannot deadlock with another process's.
            await using var transaction = (DbTransaction)((SqliteConnection)connection).BeginTransaction(deferred: false);
            var result = await work(connection, transaction);
            if (commit(result))
            {
                await transaction.CommitAsync(cancellationToken);
            }
            else
            {
                await transaction.RollbackAsync(cancellationToken);
            }

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

        return WritePredictionsLockedAsync(batch, cancellationToken);
    }

    private async Task WritePredictionsLockedAsync(IReadOnlyList<PredictionRecord> batch, CancellationToken cancellationToken)
    {
        await _writeLock.WaitAsync(cancellationToken);
        try
        {
            ObjectDisposedException.ThrowIf(_disposed == 1, this);
            _recorder ??= await RecorderConnection.OpenAsync(_connectionString, cancellationToken);
            try
            {
                _recorder.Insert(batch);
            }
            catch
            {
                // Start the next batch on a fresh connection: this one may be in any state.
                _recorder.Dispose();
                _recorder = null;
                throw;
            }
        }
        finally
        {
            _writeLock.Release();
        }
    }

    /// <summary>
    /// The recorder's own connection, kept open for the store's life, with <c>synchronous = NORMAL</c> (in WAL mode a
    /// commit then survives a crash of Vigil but not a power loss, and costs no fsync) and the insert prepared once.
    /// Prediction rows are the one high-volume write; control-plane changes go through pooled connections at the default
    /// (FULL), which this connection never returns to. Each batch is one <c>BEGIN IMMEDIATE</c> transaction, values bound
    /// by position straight from the record (strings transcoded into one reused UTF-8 buffer, which SQLite copies).
    /// Microsoft.Data.Sqlite's command looked every parameter up by name and allocated a UTF-8 copy of every string on
    /// every row, about as much CPU as the rest of a request (docs/benchmarks.md, "Where Vigil's cost goes").
    /// </summary>
    private sealed class RecorderConnection : IDisposable
    {
        private const string InsertSql =
            $"INSERT INTO predictions ({PredictionColumns}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14) ON CONFLICT (request_id) DO NOTHING";

        private readonly SqliteConnection _connection;
        private readonly sqlite3 _db;
        private readonly sqlite3_stmt _insert;
        private byte[] _buffer = new byte[1024];

        private RecorderConnection(SqliteConnection connection)
        {
            _connection = connection;
            _db = connection.Handle!;
            Check(raw.sqlite3_prepare_v2(_db, InsertSql, out _insert), _db);
        }

        public static async Task<RecorderConnection> OpenAsync(string connectionString, CancellationToken cancellationToken)
        {
            // Not pooled: the connection is held until the store is disposed, and its synchronous setting must never
            // reach a connection the control plane writes with.
            var connection = new SqliteConnection(new SqliteConnectionStringBuilder(connectionString) { Pooling = false }.ToString());
            try
            {
                await connection.OpenAsync(cancellationToken);
                Exec(connection.Handle!, $"PRAGMA busy_timeout = {(int)BusyTimeout.TotalMilliseconds}");
                Exec(connection.Handle!, "PRAGMA synchronous = NORMAL");
                return new RecorderConnection(connection);
            }
            catch
            {
                await connection.DisposeAsync();
                throw;
            }
        }

        public void Insert(IReadOnlyList<PredictionRecord> batch)
        {
            // IMMEDIATE takes the write lock first, so a writer in another process cannot deadlock with this one.
            Exec(_db, "BEGIN IMMEDIATE");
            try
            {
                foreach (var record in batch)
                {
                    BindText(_insert, 1, record.RequestId, ref _buffer);
                    raw.sqlite3_bind_int64(_insert, 2, Timestamps.ToUnixMicroseconds(record.At));
                    BindText(_insert, 3, record.Service, ref _buffer);
                    raw.sqlite3_bind_int(_insert, 4, record.Version);
                    BindText(_insert, 5, record.Arm, ref _buffer);
                    BindText(_insert, 6, record.Key, ref _buffer);
                    BindText(_insert, 7, record.Attributes, ref _buffer);
                    BindText(_insert, 8, record.Inputs, ref _buffer);
                    BindText(_insert, 9, record.Outputs, ref _buffer);
                    raw.sqlite3_bind_double(_insert, 10, record.LatencyMs);
                    BindText(_insert, 11, record.Error, ref _buffer);
                    BindText(_insert, 12, record.FlagKey, ref _buffer);
                    BindText(_insert, 13, record.FlagReason, ref _buffer);
                    BindText(_insert, 14, record.ShadowOf, ref _buffer);
                    var rc = raw.sqlite3_step(_insert);
                    if (rc != raw.SQLITE_DONE)
                    {
                        try
                        {
                            Check(rc, _db); // reads the message before the reset below
                        }
                        finally
                        {
                            raw.sqlite3_reset(_insert);
                        }
                    }

                    raw.sqlite3_reset(_insert);
                }

                Exec(_db, "COMMIT");
            }
            catch
            {
                if (raw.sqlite3_get_autocommit(_db) == 0)
                {
                    raw.sqlite3_exec(_db, "ROLLBACK");
                }

                throw;
            }
        }

        public SqliteConnection Connection => _connection;

        public void Dispose()
        {
            _insert.Dispose();
            _connection.Dispose();
        }

        private static void Exec(sqlite3 db, string sql) => Check(raw.sqlite3_exec(db, sql), db);
    }

    /// <summary>
    /// The <c>synchronous</c> levels (0 OFF, 1 NORMAL, 2 FULL) of the connection a control-plane write would use now and
    /// of the recorder's connection (null before the first prediction write): tests check they never mix.
    /// </summary>
    internal async Task<(long ControlPlane, long? Recorder)> SynchronousLevelsAsync(CancellationToken cancellationToken)
    {
        var controlPlane = await InTransactionAsync(
            async (connection, transaction) =>
            {
                await using var command = Command(connection, transaction, "PRAGMA synchronous");
                return (long)(await command.ExecuteScalarAsync(cancellationToken))!;
            },
            cancellationToken);
        await _writeLock.WaitAsync(cancellationToken);
        try
        {
            if (_recorder is null)
            {
                return (controlPlane, null);
            }

            await using var command = _recorder.Connection.CreateCommand();
            command.CommandText = "PRAGMA synchronous";
            return (controlPlane, (long)(await command.ExecuteScalarAsync(cancellationToken))!);
        }
        finally
        {
            _writeLock.Release();
        }
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
        _recorder?.Dispose();
        _recorder = null;
        using (var connection = new SqliteConnection(_connectionString))
        {
            SqliteConnection.ClearPool(connection);
        }

        _writeLock.Release();
        _writeLock.Dispose();
    }
}

using System.Data.Common;
using System.Net.Sockets;
using System.Text.Json;
using Npgsql;
using NpgsqlTypes;
using Vigil.Persistence;
using Vigil.Predictions;
using Vigil.Storage.Dialects;

namespace Vigil.Storage;

/// <summary>
/// The store for several replicas: PostgreSQL through one <see cref="NpgsqlDataSource"/>. Prediction batches go in by
/// binary COPY. Every control-plane change sends <c>NOTIFY vigil_changes</c> in its transaction; a background
/// <c>LISTEN</c> connection (reconnecting with backoff) raises <see cref="SqlStore.Changed"/> for the changes of other
/// replicas, while this replica's own changes are raised once, locally, after commit.
/// </summary>
public sealed class PostgresStore : SqlStore
{
    /// <summary>The channel control-plane changes are announced on.</summary>
    public const string Channel = "vigil_changes";

    /// <summary>
    /// The <see cref="ControlPlaneChange.What"/> raised after the change listener reconnects: changes may have been
    /// missed while it was away, so a subscriber should reload everything it caches.
    /// </summary>
    public const string Reconnected = "store.reconnected";

    /// <summary>The advisory lock (<c>pg_advisory_xact_lock</c>) held while migrating, so replicas starting together do not race.</summary>
    public const long MigrationLockKey = 0x5669_6769_6C00_0001;

    private static readonly TimeSpan FirstRetryDelay = TimeSpan.FromMilliseconds(250);
    private static readonly TimeSpan LastRetryDelay = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan ListenerKeepAlive = TimeSpan.FromSeconds(30);

    private readonly NpgsqlDataSource _dataSource;
    private readonly string _host;
    private readonly int _port;
    private readonly string _database;
    private readonly string _instanceId = Guid.NewGuid().ToString("N");
    private readonly CancellationTokenSource _stopping = new();
    private readonly TaskCompletionSource _listening = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Lock _listenerGate = new();
    private Task? _listener;
    private volatile string? _listenerError;
    private int _disposed;

    /// <summary>A store in the database named by an Npgsql connection string (see <see cref="StoreFactory"/> for URLs).</summary>
    public PostgresStore(string connectionString)
        : base(PostgresDialect.Instance)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        var builder = new NpgsqlDataSourceBuilder(connectionString);
        var settings = builder.ConnectionStringBuilder;
        _host = settings.Host ?? "localhost";
        _port = settings.Port;
        _database = settings.Database ?? settings.Username ?? "postgres";
        Description = PostgresUrl.Describe(settings);
        _dataSource = builder.Build();
    }

    /// <inheritdoc />
    public override string Kind => "postgres";

    /// <inheritdoc />
    public override string Description { get; }

    private protected override string Location => $"database '{_database}' at {_host}:{_port}";

    private protected override string? BackgroundError => _listenerError;

    private protected override async Task<DbConnection> OpenConnectionAsync(CancellationToken cancellationToken) =>
        await _dataSource.OpenConnectionAsync(cancellationToken);

    private protected override async Task<T> InTransactionAsync<T>(Func<DbConnection, DbTransaction, Task<T>> work, Func<T, bool> commit, CancellationToken cancellationToken)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
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

    private protected override Task BeforeMigrationAsync(DbConnection connection, CancellationToken cancellationToken) => Task.CompletedTask;

    private protected override Task LockMigrationsAsync(DbConnection connection, DbTransaction transaction, CancellationToken cancellationToken) =>
        ExecuteAsync(connection, transaction, "SELECT pg_advisory_xact_lock(@key)", cancellationToken, ("key", MigrationLockKey));

    /// <summary>Starts the change listener and waits (briefly) until it listens, so no change committed after migration is missed.</summary>
    private protected override async Task AfterMigrationAsync(CancellationToken cancellationToken)
    {
        lock (_listenerGate)
        {
            _listener ??= Task.Run(() => ListenAsync(_stopping.Token), CancellationToken.None);
        }

        try
        {
            await _listening.Task.WaitAsync(TimeSpan.FromSeconds(10), cancellationToken);
        }
        catch (TimeoutException)
        {
            // The listener keeps retrying in the background; CheckAsync reports why it does not listen.
        }
    }

    private protected override Task NotifyAsync(DbConnection connection, DbTransaction transaction, ControlPlaneChange change, CancellationToken cancellationToken) =>
        ExecuteAsync(
            connection,
            transaction,
            "SELECT pg_notify(@channel, @payload)",
            cancellationToken,
            ("channel", Channel),
            ("payload", VigilJson.Serialize(new ChangeNotice(_instanceId, change.What, change.Service))));

    private protected override StoreException Explain(DbException exception) => exception switch
    {
        PostgresException { SqlState: PostgresErrorCodes.InvalidCatalogName } => new StoreException(
            $"{Location} does not exist; create it (createdb {_database}) or point --store at an existing database",
            exception),
        PostgresException { SqlState: PostgresErrorCodes.InvalidPassword or PostgresErrorCodes.InvalidAuthorizationSpecification } e => new StoreException(
            $"PostgreSQL at {_host}:{_port} refused the login: {e.MessageText}; check the user and password of --store (or VIGIL_STORE)",
            exception),
        PostgresException e => new StoreException($"{Location}: {e.MessageText}", exception),
        _ when exception.InnerException is SocketException or TimeoutException or IOException => new StoreException(
            $"cannot reach PostgreSQL at {_host}:{_port} ({exception.InnerException.Message}); check that the server runs and that --store (or VIGIL_STORE) names the right host and port",
            exception),
        _ => new StoreException($"{Location}: {exception.Message}", exception),
    };

    /// <summary>Binary COPY into a temporary staging table, then one INSERT … ON CONFLICT DO NOTHING: a request id already stored is skipped.</summary>
    public override Task WritePredictionsAsync(IReadOnlyList<PredictionRecord> batch, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batch);
        if (batch.Count == 0)
        {
            return Task.CompletedTask;
        }

        return InTransactionAsync(
            async (connection, transaction) =>
            {
                await ExecuteAsync(connection, transaction, "CREATE TEMPORARY TABLE predictions_staging (LIKE predictions) ON COMMIT DROP", cancellationToken);
                await using (var importer = await ((NpgsqlConnection)connection).BeginBinaryImportAsync(
                    $"COPY predictions_staging ({PredictionColumns}) FROM STDIN (FORMAT BINARY)", cancellationToken))
                {
                    foreach (var record in batch)
                    {
                        await importer.StartRowAsync(cancellationToken);
                        await importer.WriteAsync(record.RequestId, NpgsqlDbType.Text, cancellationToken);
                        await importer.WriteAsync(Timestamps.Normalize(record.At), NpgsqlDbType.TimestampTz, cancellationToken);
                        await importer.WriteAsync(record.Service, NpgsqlDbType.Text, cancellationToken);
                        await importer.WriteAsync(record.Version, NpgsqlDbType.Integer, cancellationToken);
                        await importer.WriteAsync(record.Arm, NpgsqlDbType.Text, cancellationToken);
                        await WriteTextAsync(importer, record.Key, cancellationToken);
                        await importer.WriteAsync(record.Attributes, NpgsqlDbType.Text, cancellationToken);
                        await importer.WriteAsync(record.Inputs, NpgsqlDbType.Text, cancellationToken);
                        await WriteTextAsync(importer, record.Outputs, cancellationToken);
                        await importer.WriteAsync(record.LatencyMs, NpgsqlDbType.Double, cancellationToken);
                        await WriteTextAsync(importer, record.Error, cancellationToken);
                        await WriteTextAsync(importer, record.FlagKey, cancellationToken);
                        await WriteTextAsync(importer, record.FlagReason, cancellationToken);
                        await WriteTextAsync(importer, record.ShadowOf, cancellationToken);
                    }

                    await importer.CompleteAsync(cancellationToken);
                }

                return await ExecuteAsync(
                    connection,
                    transaction,
                    $"""
                    INSERT INTO predictions ({PredictionColumns})
                    SELECT {PredictionColumns} FROM predictions_staging
                    ON CONFLICT (request_id) DO NOTHING
                    """,
                    cancellationToken);
            },
            cancellationToken);
    }

    /// <summary>Stops the change listener and closes every connection.</summary>
    public override async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        await _stopping.CancelAsync();
        if (_listener is { } listener)
        {
            await listener;
        }

        await _dataSource.DisposeAsync();
        _stopping.Dispose();
    }

    private static Task WriteTextAsync(NpgsqlBinaryImporter importer, string? value, CancellationToken cancellationToken) =>
        value is null ? importer.WriteNullAsync(cancellationToken) : importer.WriteAsync(value, NpgsqlDbType.Text, cancellationToken);

    /// <summary>Holds a LISTEN connection until disposal, reconnecting with exponential backoff when it drops.</summary>
    private async Task ListenAsync(CancellationToken stopping)
    {
        var retryDelay = FirstRetryDelay;
        var listenedBefore = false;
        while (!stopping.IsCancellationRequested)
        {
            try
            {
                await using var connection = await _dataSource.OpenConnectionAsync(stopping);
                connection.Notification += OnNotification;
                await using (var listen = new NpgsqlCommand($"LISTEN {Channel}", connection))
                {
                    await listen.ExecuteNonQueryAsync(stopping);
                }

                _listenerError = null;
                retryDelay = FirstRetryDelay;
                if (listenedBefore)
                {
                    Raise(new ControlPlaneChange(null, Reconnected));
                }

                listenedBefore = true;
                _listening.TrySetResult();
                while (true)
                {
                    // A quiet connection is probed now and then, so a server that went away is noticed and reconnected to.
                    if (!await connection.WaitAsync(ListenerKeepAlive, stopping))
                    {
                        await using var probe = new NpgsqlCommand("SELECT 1", connection);
                        await probe.ExecuteNonQueryAsync(stopping);
                    }
                }
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is NpgsqlException or IOException or TimeoutException or InvalidOperationException)
            {
                _listenerError = $"not receiving changes from other replicas ({ex.Message}); reconnecting";
            }

            try
            {
                await Task.Delay(retryDelay, stopping);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            retryDelay = TimeSpan.FromTicks(Math.Min(retryDelay.Ticks * 2, LastRetryDelay.Ticks));
        }
    }

    private void OnNotification(object sender, NpgsqlNotificationEventArgs e)
    {
        ChangeNotice? notice;
        try
        {
            notice = VigilJson.Deserialize<ChangeNotice>(e.Payload);
        }
        catch (JsonException)
        {
            return; // Not a notice of a Vigil store: nothing to raise.
        }

        // This replica's own changes were raised after their commit already.
        if (notice is not null && notice.Origin != _instanceId)
        {
            Raise(new ControlPlaneChange(notice.Service, notice.What));
        }
    }

    /// <summary>Raises a change on the listener's connection; a failing subscriber must not stop the listener, so its error is reported by CheckAsync instead.</summary>
    private void Raise(ControlPlaneChange change)
    {
        try
        {
            RaiseChanged(change);
        }
#pragma warning disable CA1031 // Subscribers are the host's code; whatever they throw is reported, not allowed to end the listener.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            _listenerError = $"a subscriber of store changes failed on '{change.What}': {ex.Message}";
        }
    }

    /// <summary>The NOTIFY payload: the change and the store instance that made it (a null service is omitted from the JSON).</summary>
    private sealed record ChangeNotice(string Origin, string What, string? Service = null);
}

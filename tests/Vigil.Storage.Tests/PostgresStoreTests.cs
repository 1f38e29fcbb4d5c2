using System.Collections.Concurrent;
using System.Diagnostics;
using Npgsql;
using Vigil.Audit;
using Vigil.Persistence;
using Vigil.Testing;

namespace Vigil.Storage.Tests;

/// <summary>
/// The conformance suite on PostgreSQL (a new database per test on the assembly's throwaway server), and what only
/// several replicas sharing one database go through. Skipped, with the reason, where PostgreSQL is not installed.
/// </summary>
public sealed class PostgresStoreTests(PostgresFixture postgres) : StoreConformanceTests
{
    private static readonly TimeSpan ReplicaBudget = TimeSpan.FromSeconds(1);

    private readonly List<IVigilStore> _replicas = [];
    private string _connectionString = "";

    protected override async Task<IVigilStore> CreateStoreAsync()
    {
        _connectionString = await postgres.CreateDatabaseAsync("conformance", Ct);
        return new PostgresStore(_connectionString);
    }

    protected override async Task<IVigilStore> CreateEmptyStoreAsync() => new PostgresStore(await postgres.CreateDatabaseAsync("upgrade", Ct));

    public override async ValueTask DisposeAsync()
    {
        foreach (var replica in _replicas)
        {
            await replica.DisposeAsync();
        }

        await base.DisposeAsync();
    }

    [Fact]
    public async Task Changed_ChangeMadeThroughAnotherReplica_IsRaisedWithinOneSecond()
    {
        var other = await ReplicaAsync();
        var seen = new TaskCompletionSource<ControlPlaneChange>(TaskCreationOptions.RunContinuationsAsynchronously);
        Store.Changed += (_, change) => seen.TrySetResult(change);
        var clock = Stopwatch.StartNew();

        await other.CreateServiceAsync(Service("shop"), Alice, Ct);
        var change = await seen.Task.WaitAsync(ReplicaBudget * 5, Ct);

        Assert.True(clock.Elapsed < ReplicaBudget, $"the change took {clock.Elapsed.TotalMilliseconds:F0} ms to reach the other replica");
        Assert.Equal(new ControlPlaneChange("shop", AuditActions.ServiceCreated), change);
    }

    [Fact]
    public async Task Changed_OwnChange_IsRaisedOnceNotAgainWhenItsNotificationComesBack()
    {
        var other = await ReplicaAsync();
        var changes = new ConcurrentQueue<ControlPlaneChange>();
        Store.Changed += (_, change) => changes.Enqueue(change);

        await Store.CreateServiceAsync(Service("shop"), Alice, Ct);
        await other.CreateKeyAsync(Key("k1"), Alice, Ct);
        await WaitUntilAsync(() => changes.Count >= 2);
        await SettleAsync();

        Assert.Equal(
            [new ControlPlaneChange("shop", AuditActions.ServiceCreated), new ControlPlaneChange(null, AuditActions.KeyCreated)],
            changes.Where(c => c.What != SettleMarker));
    }

    [Fact]
    public async Task Changed_ListenerConnectionLost_ReconnectsRaisesReconnectedAndReceivesLaterChanges()
    {
        var other = await ReplicaAsync();
        var changes = new ConcurrentQueue<ControlPlaneChange>();
        Store.Changed += (_, change) => changes.Enqueue(change);

        var terminated = await ScalarAsync<long>(
            _connectionString,
            $"""
            SELECT COUNT(pg_terminate_backend(pid)) FROM pg_stat_activity
            WHERE datname = current_database() AND query = 'LISTEN {PostgresStore.Channel}'
            """);
        await WaitUntilAsync(() => changes.Count(c => c.What == PostgresStore.Reconnected) >= 1);
        await other.CreateServiceAsync(Service("shop"), Alice, Ct);
        await WaitUntilAsync(() => changes.Any(c => c.What == AuditActions.ServiceCreated));

        Assert.Equal(2, terminated); // both replicas' listeners
        Assert.True((await Store.CheckAsync(Ct)).Ready);
        Assert.Null((await Store.CheckAsync(Ct)).Error);
    }

    [Fact]
    public async Task Migrate_TwoReplicasStartingTogether_BothSucceedAndApplyEachStepOnce()
    {
        var connectionString = await postgres.CreateDatabaseAsync("together", Ct);
        await using var first = new PostgresStore(connectionString);
        await using var second = new PostgresStore(connectionString);

        await Task.WhenAll(first.MigrateAsync(Ct), second.MigrateAsync(Ct));

        Assert.True((await first.CheckAsync(Ct)).Ready);
        Assert.Equal(Migrations.SchemaMigrations.All.Count, await ScalarAsync<long>(connectionString, "SELECT COUNT(*) FROM vigil_schema"));
    }

    [Fact]
    public async Task Migrate_DatabaseWithOtherTablesButNoVigilSchema_ThrowsNotAVigilDatabase()
    {
        var connectionString = await postgres.CreateDatabaseAsync("foreign", Ct);
        await ExecuteAsync(connectionString, "CREATE TABLE customers (id integer PRIMARY KEY)");
        await using var store = new PostgresStore(connectionString);

        var error = await Assert.ThrowsAsync<StoreException>(() => store.MigrateAsync(Ct));

        Assert.Contains("is not a Vigil database (it has tables but no vigil_schema)", error.Message, StringComparison.Ordinal);
        Assert.Contains($"127.0.0.1:{postgres.Server.Port}", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Migrate_DatabaseThatDoesNotExist_SaysSo()
    {
        var connectionString = postgres.Server.ConnectionString("nowhere");
        await using var store = new PostgresStore(connectionString);

        var error = await Assert.ThrowsAsync<StoreException>(() => store.MigrateAsync(Ct));

        Assert.Contains("database 'nowhere'", error.Message, StringComparison.Ordinal);
        Assert.Contains("does not exist", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Description_NamesHostPortAndDatabaseWithoutThePassword()
    {
        var settings = new NpgsqlConnectionStringBuilder(postgres.Server.ConnectionString("x")) { Password = "hunter2" };
        await using var store = new PostgresStore(settings.ConnectionString);

        Assert.Equal($"postgres://vigil@127.0.0.1:{postgres.Server.Port}/x", store.Description);
        Assert.Equal("postgres", store.Kind);
    }

    /// <summary>
    /// Sends a marker notification and waits for it: notifications arrive in commit order, so by then the notification
    /// of every change this store committed earlier has come back (and must have been skipped).
    /// </summary>
    protected override async Task SettleAsync()
    {
        var arrived = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        void OnChanged(object? sender, ControlPlaneChange change)
        {
            if (change.What == SettleMarker)
            {
                arrived.TrySetResult();
            }
        }

        Store.Changed += OnChanged;
        try
        {
            await ExecuteAsync(_connectionString, $$"""SELECT pg_notify('{{PostgresStore.Channel}}', '{"origin":"test","what":"{{SettleMarker}}"}')""");
            await arrived.Task.WaitAsync(TimeSpan.FromSeconds(5), Ct);
        }
        finally
        {
            Store.Changed -= OnChanged;
        }
    }

    private async Task<IVigilStore> ReplicaAsync()
    {
        var replica = new PostgresStore(_connectionString);
        _replicas.Add(replica);
        await replica.MigrateAsync(Ct);
        return replica;
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), "the expected changes did not arrive within 5 s");
            await Task.Delay(10, Ct);
        }
    }

    private static async Task ExecuteAsync(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(Ct);
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(Ct);
    }

    private static async Task<T> ScalarAsync<T>(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(Ct);
        await using var command = new NpgsqlCommand(sql, connection);
        return (T)(await command.ExecuteScalarAsync(Ct))!;
    }
}

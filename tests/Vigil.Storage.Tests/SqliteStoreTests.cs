using Microsoft.Data.Sqlite;
using Vigil.Persistence;
using Vigil.Registry;
using Vigil.Storage.Migrations;

namespace Vigil.Storage.Tests;

/// <summary>The conformance suite on SQLite (a new file per test), and what only a SQLite file can go through.</summary>
public sealed class SqliteStoreTests : StoreConformanceTests
{
    private readonly DirectoryInfo _directory = Directory.CreateTempSubdirectory("vigil-sqlite-");

    private string DatabasePath => Path.Combine(_directory.FullName, "vigil.db");

    protected override Task<IVigilStore> CreateStoreAsync() => Task.FromResult<IVigilStore>(new SqliteStore(DatabasePath));

    protected override Task<IVigilStore> CreateEmptyStoreAsync() =>
        Task.FromResult<IVigilStore>(new SqliteStore(Path.Combine(_directory.FullName, $"empty-{Guid.NewGuid():N}.db")));

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        _directory.Delete(recursive: true);
    }

    [Fact]
    public async Task PredictionWrites_SkipTheFsync_ControlPlaneWritesKeepFull_EvenAfterManyBatches()
    {
        await using var store = new SqliteStore(DatabasePath);
        await store.MigrateAsync(Ct);
        for (var batch = 0; batch < 5; batch++)
        {
            var at = DateTimeOffset.FromUnixTimeSeconds(1_790_000_000 + batch);
            await store.WritePredictionsAsync(
                [new Vigil.Predictions.PredictionRecord($"r{batch}", at, "shop", 1, "champion", null, "{}", "{\"price\": 1}", "{\"p\": 0.5}", 1.5, null)],
                Ct);
            // A control-plane write between prediction batches, as a running server has: it must not get the recorder's setting.
            Assert.True((await store.CreateServiceAsync(Service($"s{batch}"), Alice, Ct)).IsSuccess);
        }

        var (controlPlane, recorder) = await store.SynchronousLevelsAsync(Ct);

        Assert.Equal(2, controlPlane); // FULL: an alias move or a key survives a power loss
        Assert.Equal(1, recorder); // NORMAL: prediction rows survive a crash of Vigil, not of the machine
        for (var batch = 0; batch < 5; batch++)
        {
            Assert.Equal("{\"p\": 0.5}", (await store.GetPredictionAsync($"r{batch}", Ct))!.Outputs);
        }
    }

    [Fact]
    public async Task Migrate_FileWithOtherTablesButNoVigilSchema_ThrowsNotAVigilDatabase_AndLeavesTheFileAlone()
    {
        var path = Path.Combine(_directory.FullName, "other.db");
        await ExecuteAsync(path, "CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT)");
        await using var store = new SqliteStore(path);

        var error = await Assert.ThrowsAsync<StoreException>(() => store.MigrateAsync(Ct));

        Assert.Contains("other.db' is not a Vigil database (it has tables but no vigil_schema)", error.Message, StringComparison.Ordinal);
        Assert.Contains("point --store at a new file or an existing Vigil store", error.Message, StringComparison.Ordinal);
        Assert.Equal(["customers"], await TablesAsync(path));
        Assert.False((await store.CheckAsync(Ct)).Ready);
    }

    [Fact]
    public async Task Migrate_TextFile_ThrowsNotASqliteDatabase_AndLeavesTheFileAlone()
    {
        var path = Path.Combine(_directory.FullName, "notes.db");
        var text = string.Concat(Enumerable.Repeat("these are my notes, not a database\n", 200));
        await File.WriteAllTextAsync(path, text, Ct);
        await using var store = new SqliteStore(path);

        var error = await Assert.ThrowsAsync<StoreException>(() => store.MigrateAsync(Ct));

        Assert.Contains("notes.db' is not a SQLite database", error.Message, StringComparison.Ordinal);
        Assert.Equal(text, await File.ReadAllTextAsync(path, Ct));
        var health = await store.CheckAsync(Ct);
        Assert.False(health.Reachable);
        Assert.Contains("not a SQLite database", health.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Migrate_EmptyFile_CreatesAFreshStore()
    {
        var path = Path.Combine(_directory.FullName, "empty.db");
        await File.WriteAllBytesAsync(path, [], Ct);
        await using var store = new SqliteStore(path);

        await store.MigrateAsync(Ct);

        Assert.True((await store.CheckAsync(Ct)).Ready);
        Assert.Contains("vigil_schema", await TablesAsync(path));
    }

    [Fact]
    public async Task Migrate_FileInAMissingDirectory_ThrowsCannotOpen()
    {
        await using var store = new SqliteStore(Path.Combine(_directory.FullName, "missing", "vigil.db"));

        var error = await Assert.ThrowsAsync<StoreException>(() => store.MigrateAsync(Ct));

        Assert.Contains("cannot open", error.Message, StringComparison.Ordinal);
        Assert.Contains("directory exists", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Migrate_StoreFromAnOlderVigil_AppliesTheMissingStepsAndKeepsItsData()
    {
        var path = Path.Combine(_directory.FullName, "old.db");
        await using (var old = new SqliteStore(path))
        {
            await old.MigrateToAsync(1, Ct);
            await old.CreateServiceAsync(Service("shop"), Alice, Ct);
            await old.RegisterVersionAsync(Draft("shop"), Alice, Ct);
            await old.UpdateAliasesAsync("shop", 0, AliasSet.Empty with { Champion = 1 }, "alias.set", Alice, Ct);
            Assert.Equal(1, (await old.CheckAsync(Ct)).SchemaVersion);
            Assert.DoesNotContain("api_keys", await TablesAsync(path));
        }

        await using var current = new SqliteStore(path);
        await current.MigrateAsync(Ct);

        Assert.True((await current.CheckAsync(Ct)).Ready);
        Assert.Equal("shop", (await current.GetServiceAsync("shop", Ct))?.Name);
        Assert.Equal(new AliasSet(1, null, null, 1), await current.GetAliasesAsync("shop", Ct));
        Assert.Equal(3, (await current.QueryAuditAsync(new Audit.AuditQuery(), Ct)).Count);
        Assert.True((await current.CreateKeyAsync(Key("k1"), Alice, Ct)).IsSuccess);
        Assert.Equal(
            SchemaMigrations.All.Select(m => (long)m.Version),
            await QueryAsync(path, "SELECT version FROM vigil_schema ORDER BY version", r => r.GetInt64(0)));
    }

    [Fact]
    public async Task Migrate_SchemaNewerThanThisVigil_ThrowsAClearMessage()
    {
        await Store.CreateServiceAsync(Service("shop"), Alice, Ct);
        await ExecuteAsync(DatabasePath, "INSERT INTO vigil_schema (version, description) VALUES (999, 'from the future')");

        var error = await Assert.ThrowsAsync<StoreException>(() => Store.MigrateAsync(Ct));

        Assert.Contains("schema version 999", error.Message, StringComparison.Ordinal);
        Assert.Contains("newer Vigil", error.Message, StringComparison.Ordinal);
        Assert.False((await Store.CheckAsync(Ct)).Ready);
        Assert.NotNull(await Store.GetServiceAsync("shop", Ct));
    }

    [Fact]
    public async Task Reopen_KeepsEverything()
    {
        await CreateServiceWithVersionsAsync("shop", 2);
        await Store.DisposeAsync();

        await using var reopened = new SqliteStore(DatabasePath);
        await reopened.MigrateAsync(Ct);

        Assert.Equal([1, 2], (await reopened.ListVersionsAsync("shop", Ct)).Select(v => v.Number));
        Assert.Equal(3, (await reopened.QueryAuditAsync(new Audit.AuditQuery(), Ct)).Count);
    }

    [Fact]
    public async Task Migrate_PutsTheFileInWalMode_AndDescribesItByPath()
    {
        Assert.Equal(["wal"], await QueryAsync(DatabasePath, "PRAGMA journal_mode", r => r.GetString(0)));
        Assert.Equal("sqlite:" + DatabasePath, Store.Description);
        Assert.Equal("sqlite", Store.Kind);
    }

    private static async Task ExecuteAsync(string path, string sql)
    {
        await using var connection = new SqliteConnection($"Data Source={path};Pooling=False");
        await connection.OpenAsync(Ct);
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync(Ct);
    }

    private static Task<List<string>> TablesAsync(string path) =>
        QueryAsync(path, "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name", r => r.GetString(0));

    private static async Task<List<T>> QueryAsync<T>(string path, string sql, Func<SqliteDataReader, T> read)
    {
        await using var connection = new SqliteConnection($"Data Source={path};Pooling=False");
        await connection.OpenAsync(Ct);
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await using var reader = await command.ExecuteReaderAsync(Ct);
        var rows = new List<T>();
        while (await reader.ReadAsync(Ct))
        {
            rows.Add(read(reader));
        }

        return rows;
    }
}

using System.Diagnostics;
using Npgsql;
using Vigil.Testing;

namespace Vigil.Storage.Tests;

public sealed class StoreFactoryTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData(null, "vigil.db")]
    [InlineData("", "vigil.db")]
    [InlineData("sqlite:data/vigil.db", "data/vigil.db")]
    [InlineData("SQLITE:/var/lib/vigil/store", "/var/lib/vigil/store")]
    [InlineData("stores/prod.db", "stores/prod.db")]
    [InlineData("prod.sqlite3", "prod.sqlite3")]
    public async Task Open_SqliteSpecs_OpenTheFileTheyName(string? spec, string path)
    {
        await using var store = StoreFactory.Open(spec);

        var sqlite = Assert.IsType<SqliteStore>(store);
        Assert.Equal(Path.GetFullPath(path), sqlite.Path);
    }

    [Theory]
    [InlineData("postgres://vigil:s3cr%40t@db.internal:6543/registry?sslmode=disable&application_name=vigil-a")]
    [InlineData("postgresql://vigil:s3cr%40t@db.internal:6543/registry?sslmode=disable&application_name=vigil-a")]
    public void PostgresUrl_BecomesAnNpgsqlConnectionString(string url)
    {
        var settings = PostgresUrl.Parse(url);

        Assert.Equal(("db.internal", 6543, "registry", "vigil", "s3cr@t"), (settings.Host, settings.Port, settings.Database, settings.Username, settings.Password));
        Assert.Equal((SslMode.Disable, "vigil-a"), (settings.SslMode, settings.ApplicationName));
        Assert.Equal((int)StoreFactory.ConnectTimeout.TotalSeconds, settings.Timeout);
    }

    [Fact]
    public void PostgresUrl_WithoutPortOrUser_UsesDefaultPortAndHonoursConnectTimeout()
    {
        var settings = PostgresUrl.Parse("postgres://localhost/vigil?connect_timeout=2");

        Assert.Equal(("localhost", 5432, "vigil", (string?)null, 2), (settings.Host, settings.Port, settings.Database, settings.Username, settings.Timeout));
    }

    [Theory]
    [InlineData("postgres://vigil:hunter2@db:5432/vigil?nonsense=1")]
    [InlineData("postgres://vigil:hunter2@db:5432/vigil?sslmode=sometimes")]
    [InlineData("Host=db;Password=hunter2;Colour=blue")]
    [InlineData("mysql://vigil:hunter2@db/vigil")]
    [InlineData("sqlite:")]
    public void Open_MalformedSpec_ThrowsStoreExceptionWithoutThePassword(string spec)
    {
        var error = Assert.Throws<StoreException>(() => StoreFactory.Open(spec));

        Assert.DoesNotContain("hunter2", error.Message, StringComparison.Ordinal);
        Assert.False(string.IsNullOrWhiteSpace(error.Message));
    }

    [Theory]
    [InlineData("postgres://vigil:hunter2@db.internal:6543/registry", "postgres://vigil@db.internal:6543/registry")]
    [InlineData("Host=db.internal;Port=6543;Database=registry;Username=vigil;Password=hunter2", "postgres://vigil@db.internal:6543/registry")]
    public async Task Open_Postgres_DescriptionHasNoPassword(string spec, string description)
    {
        await using var store = StoreFactory.Open(spec);

        Assert.IsType<PostgresStore>(store);
        Assert.Equal(description, store.Description);
    }

    [Theory]
    [InlineData("postgres://vigil:hunter2@db:5432/vigil", "postgres://vigil@db:5432/vigil")]
    [InlineData("Host=db;Username=vigil;Password=hunter2", "Host=db;Username=vigil")]
    [InlineData("sqlite:vigil.db", "sqlite:vigil.db")]
    [InlineData("postgres://vigil:hunter2@db:5432/vigil?nonsense=1", "(an unrecognized store spec)")]
    public void Redact_LeavesThePasswordOut(string spec, string redacted)
    {
        Assert.Equal(redacted, StoreFactory.Redact(spec));
    }

    [Fact]
    public async Task Migrate_PostgresWhereNothingListens_FailsWithinSecondsNamingHostAndPort()
    {
        var port = Ports.Free();
        await using var store = StoreFactory.Open($"postgres://vigil:hunter2@127.0.0.1:{port}/vigil");
        var clock = Stopwatch.StartNew();

        var error = await Assert.ThrowsAsync<StoreException>(() => store.MigrateAsync(Ct));

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(8), $"failing took {clock.Elapsed.TotalSeconds:F1} s");
        Assert.Contains($"cannot reach PostgreSQL at 127.0.0.1:{port}", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2", error.Message, StringComparison.Ordinal);
        var health = await store.CheckAsync(Ct);
        Assert.False(health.Reachable);
        Assert.Contains($"127.0.0.1:{port}", health.Error, StringComparison.Ordinal);
    }
}

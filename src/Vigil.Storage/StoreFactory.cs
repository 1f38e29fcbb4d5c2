using Vigil.Persistence;

namespace Vigil.Storage;

/// <summary>
/// Opens the store a spec names (<c>--store</c> or <c>VIGIL_STORE</c>):
/// <list type="bullet">
/// <item><c>sqlite:path/vigil.db</c>, or a bare path ending in <c>.db</c>, <c>.sqlite</c> or <c>.sqlite3</c>: a <see cref="SqliteStore"/>;</item>
/// <item><c>postgres://user:password@host:port/database?sslmode=require</c> (or <c>postgresql://</c>): a <see cref="PostgresStore"/>;</item>
/// <item>an Npgsql connection string (<c>Host=db;Database=vigil;Username=vigil;Password=…</c>): a <see cref="PostgresStore"/>.</item>
/// </list>
/// Opening does no I/O: <see cref="IVigilStore.MigrateAsync"/> connects, creates or upgrades the schema, and throws a
/// <see cref="StoreException"/> with a clear message when the store cannot be used.
/// </summary>
public static class StoreFactory
{
    /// <summary>The store used when none is given: <c>vigil.db</c> in the working directory.</summary>
    public const string DefaultSpec = "sqlite:vigil.db";

    /// <summary>How long connecting to PostgreSQL may take, unless the spec says otherwise (<c>connect_timeout</c>, <c>Timeout</c>).</summary>
    public static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(5);

    private const string Usage =
        "use sqlite:PATH, a path ending in .db, a postgres://user:password@host:port/database URL, or an Npgsql connection string (Host=…;Database=…)";

    /// <summary>The store <paramref name="spec"/> names (<see cref="DefaultSpec"/> when null or blank); throws <see cref="StoreException"/> when the spec is malformed.</summary>
    public static IVigilStore Open(string? spec)
    {
        spec = string.IsNullOrWhiteSpace(spec) ? DefaultSpec : spec.Trim();
        if (SqlitePath(spec) is { } path)
        {
            return new SqliteStore(path);
        }

        if (PostgresUrl.IsUrl(spec))
        {
            return new PostgresStore(PostgresUrl.Parse(spec).ConnectionString);
        }

        if (spec.Contains('=', StringComparison.Ordinal))
        {
            return new PostgresStore(PostgresUrl.ParseConnectionString(spec).ConnectionString);
        }

        throw new StoreException($"the store spec is not recognized: {Usage}");
    }

    /// <summary><paramref name="spec"/> without its password, fit to show in messages and logs.</summary>
    public static string Redact(string? spec)
    {
        spec = string.IsNullOrWhiteSpace(spec) ? DefaultSpec : spec.Trim();
        if (SqlitePath(spec) is not null)
        {
            return spec;
        }

        // A spec that does not parse is not shown, since it may hold a password.
        const string unrecognized = "(an unrecognized store spec)";
        if (PostgresUrl.IsUrl(spec))
        {
            try
            {
                return PostgresUrl.Describe(PostgresUrl.Parse(spec));
            }
            catch (StoreException)
            {
                return unrecognized;
            }
        }

        return spec.Contains('=', StringComparison.Ordinal) ? PostgresUrl.RedactConnectionString(spec) ?? unrecognized : unrecognized;
    }

    private static string? SqlitePath(string spec)
    {
        if (spec.StartsWith("sqlite:", StringComparison.OrdinalIgnoreCase))
        {
            var path = spec["sqlite:".Length..];
            return path.Length > 0 ? path : throw new StoreException("the store spec 'sqlite:' names no file: use sqlite:PATH, e.g. sqlite:vigil.db");
        }

        return !spec.Contains('=', StringComparison.Ordinal) && !PostgresUrl.IsUrl(spec)
            && (spec.EndsWith(".db", StringComparison.OrdinalIgnoreCase)
                || spec.EndsWith(".sqlite", StringComparison.OrdinalIgnoreCase)
                || spec.EndsWith(".sqlite3", StringComparison.OrdinalIgnoreCase))
            ? spec
            : null;
    }
}

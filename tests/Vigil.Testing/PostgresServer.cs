using System.Diagnostics;
using Npgsql;

namespace Vigil.Testing;

/// <summary>
/// A throwaway PostgreSQL server for tests: a fresh cluster in a temporary directory, started with <c>pg_ctl</c> on a free
/// loopback port, trusting the local user <c>vigil</c>, tuned for speed over durability. Disposing stops it and deletes
/// its directory. As root (CI), <c>initdb</c> and <c>pg_ctl</c> run as the <c>postgres</c> system user, since initdb refuses root.
/// </summary>
public sealed class PostgresServer : IAsyncDisposable
{
    /// <summary>What the skip message of a PostgreSQL test says when the server binaries are missing.</summary>
    public const string HowToEnable =
        "PostgreSQL's initdb and pg_ctl were not found in /usr/lib/postgresql/*/bin (or in $VIGIL_POSTGRES_BIN); 'apt-get install postgresql' enables these tests";

    /// <summary>The superuser of the throwaway cluster; connections need no password.</summary>
    public const string User = "vigil";

    private const string SystemUser = "postgres";

    private readonly string _binDirectory;
    private readonly string _directory;
    private readonly bool _asSystemUser;
    private int _databases;

    private PostgresServer(string binDirectory, string directory, bool asSystemUser, int port)
    {
        _binDirectory = binDirectory;
        _directory = directory;
        _asSystemUser = asSystemUser;
        Port = port;
    }

    /// <summary>The loopback port the server listens on.</summary>
    public int Port { get; }

    /// <summary>Names a directory holding <c>initdb</c> and <c>pg_ctl</c> elsewhere than Debian's place (a directory without them disables PostgreSQL tests).</summary>
    public const string BinDirectoryVariable = "VIGIL_POSTGRES_BIN";

    /// <summary>
    /// The directory holding PostgreSQL's <c>initdb</c> and <c>pg_ctl</c>: <see cref="BinDirectoryVariable"/> when set, else
    /// the newest of Debian's <c>/usr/lib/postgresql/*/bin</c>; null when there is none.
    /// </summary>
    public static string? FindBinDirectory()
    {
        if (Environment.GetEnvironmentVariable(BinDirectoryVariable) is { Length: > 0 } configured)
        {
            return HasTools(configured) ? configured : null;
        }

        const string root = "/usr/lib/postgresql";
        if (!Directory.Exists(root))
        {
            return null;
        }

        return Directory.GetDirectories(root)
            .Select(version => Path.Combine(version, "bin"))
            .Where(HasTools)
            .OrderByDescending(bin => int.TryParse(Path.GetFileName(Path.GetDirectoryName(bin)), out var major) ? major : 0)
            .FirstOrDefault();
    }

    /// <summary>Creates and starts a cluster; throws <see cref="InvalidOperationException"/> with PostgreSQL's output when it cannot.</summary>
    public static async Task<PostgresServer> StartAsync(CancellationToken cancellationToken = default)
    {
        var bin = FindBinDirectory() ?? throw new InvalidOperationException(HowToEnable);
        var asSystemUser = Environment.UserName == "root";
        var directory = Directory.CreateTempSubdirectory("vigil-pg-").FullName;
        var server = new PostgresServer(bin, directory, asSystemUser, Ports.Free());
        try
        {
            if (asSystemUser)
            {
                await RunAsync("chown", [SystemUser + ":", directory], cancellationToken);
            }

            var data = Path.Combine(directory, "data");
            await server.RunPostgresToolAsync("initdb", ["-D", data, "-A", "trust", "-U", User, "-E", "UTF8", "--no-sync"], cancellationToken);
            var options = $"-p {server.Port} -c listen_addresses=127.0.0.1 -c unix_socket_directories={directory} " +
                "-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200";
            await server.RunPostgresToolAsync("pg_ctl", ["-D", data, "-l", Path.Combine(directory, "server.log"), "-o", options, "-w", "-t", "60", "start"], cancellationToken);
            return server;
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    /// <summary>The connection string of <paramref name="database"/> on this server.</summary>
    public string ConnectionString(string database) =>
        new NpgsqlConnectionStringBuilder { Host = "127.0.0.1", Port = Port, Username = User, Database = database, Timeout = 5 }.ConnectionString;

    /// <summary>Creates an empty database (named <paramref name="prefix"/> and a sequence number) and returns its connection string.</summary>
    public async Task<string> CreateDatabaseAsync(string prefix = "test", CancellationToken cancellationToken = default)
    {
        var name = $"{prefix}_{Interlocked.Increment(ref _databases)}".ToLowerInvariant();
        await using var connection = new NpgsqlConnection(ConnectionString("postgres"));
        await connection.OpenAsync(cancellationToken);
        await using var command = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", connection);
        await command.ExecuteNonQueryAsync(cancellationToken);
        return ConnectionString(name);
    }

    /// <summary>Stops the server at once and deletes its directory.</summary>
    public async ValueTask DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        var data = Path.Combine(_directory, "data");
        if (File.Exists(Path.Combine(data, "postmaster.pid")))
        {
            await RunPostgresToolAsync("pg_ctl", ["-D", data, "-m", "immediate", "-w", "stop"], CancellationToken.None);
        }

        Directory.Delete(_directory, recursive: true);
    }

    private Task RunPostgresToolAsync(string tool, IReadOnlyList<string> arguments, CancellationToken cancellationToken)
    {
        var path = Path.Combine(_binDirectory, tool);
        return _asSystemUser
            ? RunAsync("runuser", ["-u", SystemUser, "--", path, .. arguments], cancellationToken)
            : RunAsync(path, arguments, cancellationToken);
    }

    private static async Task RunAsync(string fileName, IReadOnlyList<string> arguments, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {fileName}");
        var output = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var error = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException(
                $"{Path.GetFileName(fileName)} {string.Join(' ', arguments)} failed with exit code {process.ExitCode}:\n{await output}\n{await error}");
        }
    }

    private static bool HasTools(string bin) => File.Exists(Path.Combine(bin, "initdb")) && File.Exists(Path.Combine(bin, "pg_ctl"));
}

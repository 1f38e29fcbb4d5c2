using System.Data.Common;
using System.Globalization;
using Vigil.Persistence;

namespace Vigil.Storage;

public abstract partial class SqlStore
{
    /// <summary>
    /// The session-level advisory lock (<c>pg_try_advisory_lock</c>) the leader holds on PostgreSQL; the migration lock
    /// is <c>…0001</c>. Advisory locks belong to a database, so replicas of different stores never contend.
    /// </summary>
    public const long LeaderLockKey = 0x5669_6769_6C00_0002;

    private const string LeaderApplicationPrefix = "vigil-leader/";

    /// <summary>How long a check of the leader's connection may take before the lease counts as lost.</summary>
    private const int LeaseCheckTimeoutSeconds = 5;

    private static readonly string LockHeldSql = $"""
        SELECT a.application_name
        FROM pg_locks l
        JOIN pg_stat_activity a ON a.pid = l.pid
        WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1
          AND l.classid::bigint = {LeaderLockKey >> 32} AND l.objid::bigint = {LeaderLockKey & 0xFFFF_FFFF}
          AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
        """;

    /// <inheritdoc />
    public async Task<ILeadershipLease?> TryAcquireLeadershipAsync(string replicaId, DateTimeOffset now, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(replicaId);
        var holder = new LeaderInfo(replicaId, DateTimeOffset.FromUnixTimeMilliseconds(now.ToUnixTimeMilliseconds())); // as read back
        if (Kind != "postgres")
        {
            return new ProcessLease(holder);
        }

        // A connection of its own, kept open while leading: the lock lives and dies with its session.
        var connection = await OpenConnectionAsync(cancellationToken);
        try
        {
            var acquired = await ScalarAsync(connection, null, "SELECT pg_try_advisory_lock(@key)", cancellationToken, ("key", LeaderLockKey));
            if (acquired is not true)
            {
                await connection.DisposeAsync();
                return null;
            }

            // Who leads and since when travel with the session (application_name, at most 63 bytes), so any replica can
            // read them from pg_stat_activity and they vanish with the lock: no row to go stale.
            var name = LeaderApplicationPrefix + holder.Since.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture) + "/" + replicaId;
            await ScalarAsync(connection, null, "SELECT set_config('application_name', @name, false)", cancellationToken, ("name", Truncate(name, 63)));
            return new AdvisoryLease(connection, holder);
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    /// <inheritdoc />
    public async Task<LeaderInfo?> GetLeaderAsync(CancellationToken cancellationToken)
    {
        if (Kind != "postgres")
        {
            return null;
        }

        var names = await QueryAsync(LockHeldSql, r => r.IsDBNull(0) ? "" : r.GetString(0), cancellationToken);
        return names.Count == 0 ? null : ParseLeader(names[0]);
    }

    /// <summary>Reads <c>vigil-leader/{since unix ms}/{replica id}</c>; null for anything else.</summary>
    internal static LeaderInfo? ParseLeader(string applicationName)
    {
        if (!applicationName.StartsWith(LeaderApplicationPrefix, StringComparison.Ordinal))
        {
            return null;
        }

        var rest = applicationName[LeaderApplicationPrefix.Length..];
        var slash = rest.IndexOf('/', StringComparison.Ordinal);
        return slash > 0 && long.TryParse(rest[..slash], NumberStyles.None, CultureInfo.InvariantCulture, out var ms)
            ? new LeaderInfo(rest[(slash + 1)..], DateTimeOffset.FromUnixTimeMilliseconds(ms))
            : null;
    }

    private static string Truncate(string text, int maxBytes)
    {
        while (System.Text.Encoding.UTF8.GetByteCount(text) > maxBytes)
        {
            text = text[..^1];
        }

        return text;
    }

    /// <summary>SQLite: one file, one server; the process leads for as long as it runs.</summary>
    private sealed class ProcessLease(LeaderInfo holder) : ILeadershipLease
    {
        public LeaderInfo Holder { get; } = holder;

        public Task<bool> IsHeldAsync(CancellationToken cancellationToken) => Task.FromResult(true);

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }

    /// <summary>PostgreSQL: the advisory lock on a dedicated connection.</summary>
    private sealed class AdvisoryLease(DbConnection connection, LeaderInfo holder) : ILeadershipLease
    {
        private readonly SemaphoreSlim _gate = new(1, 1);
        private bool _lost;

        public LeaderInfo Holder { get; } = holder;

        public async Task<bool> IsHeldAsync(CancellationToken cancellationToken)
        {
            await _gate.WaitAsync(cancellationToken);
            try
            {
                if (_lost)
                {
                    return false;
                }

                await using var command = Command(
                    connection,
                    null,
                    "SELECT count(*) FROM pg_locks WHERE pid = pg_backend_pid() AND locktype = 'advisory' AND granted AND objsubid = 1 " +
                    $"AND classid::bigint = {LeaderLockKey >> 32} AND objid::bigint = {LeaderLockKey & 0xFFFF_FFFF}");
                command.CommandTimeout = LeaseCheckTimeoutSeconds;
                _lost = Convert.ToInt64(await command.ExecuteScalarAsync(cancellationToken), CultureInfo.InvariantCulture) == 0;
            }
            catch (Exception ex) when (ex is DbException or InvalidOperationException or TimeoutException or IOException)
            {
                // The session is gone (killed, network, database restart): so is the lock, on the server's side too.
                _lost = true;
            }
            finally
            {
                _gate.Release();
            }

            return !_lost;
        }

        public async ValueTask DisposeAsync()
        {
            await _gate.WaitAsync();
            try
            {
                if (!_lost)
                {
                    try
                    {
                        // Explicitly: a pooled connection is reset only when next used, and would keep the lock until then.
                        await using var command = Command(connection, null, "SELECT pg_advisory_unlock_all()");
                        command.CommandTimeout = LeaseCheckTimeoutSeconds;
                        await command.ExecuteNonQueryAsync();
                    }
                    catch (Exception ex) when (ex is DbException or InvalidOperationException or TimeoutException or IOException)
                    {
                        // Lost anyway.
                    }
                }

                _lost = true;
                await connection.DisposeAsync();
            }
            finally
            {
                _gate.Release();
            }
        }
    }
}

namespace Vigil.Persistence;

/// <summary>Leadership (docs/operations.md, "Leader election"): one replica of those sharing a store runs the control loops.</summary>
public interface ILeaseStore
{
    /// <summary>
    /// Tries to make <paramref name="replicaId"/> the leader from <paramref name="now"/>: returns the lease it then holds
    /// until the lease is disposed or lost, or null when another replica holds it. On PostgreSQL the lease is a
    /// session-level advisory lock held on a connection of its own (a lost connection is a lost lease); on SQLite (one
    /// file, one server) the process always gets it.
    /// </summary>
    Task<ILeadershipLease?> TryAcquireLeadershipAsync(string replicaId, DateTimeOffset now, CancellationToken cancellationToken);

    /// <summary>The replica that holds the lease now, as the store sees it; null when none does (or when only the process knows: SQLite).</summary>
    Task<LeaderInfo?> GetLeaderAsync(CancellationToken cancellationToken);
}

/// <summary>Leadership held by this process; disposing it gives leadership up so another replica can take it at once.</summary>
public interface ILeadershipLease : IAsyncDisposable
{
    /// <summary>Who holds it and since when.</summary>
    LeaderInfo Holder { get; }

    /// <summary>True while the lease is still held (PostgreSQL: its connection answers and the lock is still granted to it).</summary>
    Task<bool> IsHeldAsync(CancellationToken cancellationToken);
}

/// <summary>The replica that runs the control loops, and since when it does.</summary>
public sealed record LeaderInfo(string ReplicaId, DateTimeOffset Since);

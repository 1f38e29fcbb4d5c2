using Microsoft.Extensions.Options;
using Vigil.Persistence;

namespace Vigil.Server.Hosting;

/// <summary>Whether this replica runs the control loops (docs/operations.md, "Leader election").</summary>
public interface ILeaderElection
{
    /// <summary>This replica's id (<c>VIGIL_REPLICA_ID</c>, else host name, process id and a random suffix).</summary>
    string ReplicaId { get; }

    /// <summary>True while this replica holds the lease; the control loops tick only then.</summary>
    bool IsLeader { get; }

    /// <summary>Counts the times this replica became leader: work tied to one term (recovering jobs a stopped leader left running) is redone in the next.</summary>
    int Term { get; }

    /// <summary>Who leads now: this replica when it holds the lease, else what the store says (null when no replica holds it).</summary>
    Task<LeaderInfo?> GetLeaderAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Whether this replica still leads, checked against the store now (the lease's connection still holds the lock):
    /// false at once when it lost the lease since the last round. Control loops call it before each tick, so a replica
    /// that lost the lease never runs a tick on the strength of a stale flag.
    /// </summary>
    Task<bool> ConfirmAsync(CancellationToken cancellationToken);
}

/// <summary>
/// Keeps or seeks the leader lease every <see cref="VigilServerOptions.ControllerTick"/> of the server's clock: the
/// leader checks that its lease is still held (PostgreSQL: the lock's connection answers), a follower tries to take it.
/// The first attempt is made while the server starts, before the control loops' first tick; a stopping server gives the
/// lease up so another replica takes over at its next tick.
/// </summary>
public sealed partial class LeaderElection(
    IVigilStore store,
    TimeProvider time,
    IOptions<VigilServerOptions> options,
    ILogger<LeaderElection> logger,
    Observability.VigilMetrics? metrics = null) : BackgroundService, ILeaderElection
{
    // Not disposed: it has no wait handle, and a host stopped twice must still be able to resign.
    private readonly SemaphoreSlim _gate = new(1, 1);
    private ILeadershipLease? _lease;
    private int _term;

    /// <inheritdoc />
    public string ReplicaId { get; } = NewReplicaId();

    /// <inheritdoc />
    public bool IsLeader => Volatile.Read(ref _lease) is not null;

    /// <inheritdoc />
    public int Term => Volatile.Read(ref _term);

    /// <inheritdoc />
    public async Task<LeaderInfo?> GetLeaderAsync(CancellationToken cancellationToken) =>
        Volatile.Read(ref _lease)?.Holder ?? await store.GetLeaderAsync(cancellationToken);

    /// <inheritdoc />
    public Task<bool> ConfirmAsync(CancellationToken cancellationToken) =>
        IsLeader ? RenewAsync(cancellationToken) : Task.FromResult(false);

    /// <summary>One round: keep the lease if still held, else try to take it. Returns whether this replica leads afterwards.</summary>
    public async Task<bool> RenewAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            if (_lease is { } held)
            {
                if (await held.IsHeldAsync(cancellationToken))
                {
                    return true;
                }

                LogLost(logger, ReplicaId, held.Holder.Since);
                Volatile.Write(ref _lease, null);
                await held.DisposeAsync();
                return false; // seek it again next round, giving the other replicas their chance first
            }

            try
            {
                if (await store.TryAcquireLeadershipAsync(ReplicaId, time.GetUtcNow(), cancellationToken) is { } lease)
                {
                    Interlocked.Increment(ref _term);
                    Volatile.Write(ref _lease, lease);
                    LogAcquired(logger, ReplicaId);
                    return true;
                }
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                LogAcquireFailed(logger, ex.Message);
            }

            return false;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Gives the lease up (another replica may take it at once); this replica seeks it again at its next round.</summary>
    public async Task ResignAsync()
    {
        await _gate.WaitAsync();
        try
        {
            if (Interlocked.Exchange(ref _lease, null) is { } lease)
            {
                await lease.DisposeAsync();
                LogResigned(logger, ReplicaId);
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        await RenewAsync(cancellationToken);
        await base.StartAsync(cancellationToken);
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        await ResignAsync();
    }

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        ControlLoop.RunAsync(ct => RenewAsync(ct), options.Value.ControllerTick, time, ex =>
            {
                metrics?.LoopFailed("leader-election");
                LogAcquireFailed(logger, ex.Message);
            }, stoppingToken);

    private static string NewReplicaId()
    {
        var configured = Environment.GetEnvironmentVariable(VigilEnvironment.ReplicaId);
        if (!string.IsNullOrWhiteSpace(configured))
        {
            return configured.Trim();
        }

        var host = Environment.MachineName;
        return $"{(host.Length > 24 ? host[..24] : host)}-{Environment.ProcessId}-{Guid.NewGuid().ToString("N")[..4]}";
    }

    [LoggerMessage(EventId = 1901, Level = LogLevel.Information, Message = "Replica {Replica} is the leader: it runs the control loops")]
    private static partial void LogAcquired(ILogger logger, string replica);

    [LoggerMessage(EventId = 1902, Level = LogLevel.Warning, Message = "Replica {Replica} lost the leader lease it held since {Since}; another replica takes over")]
    private static partial void LogLost(ILogger logger, string replica, DateTimeOffset since);

    [LoggerMessage(EventId = 1903, Level = LogLevel.Warning, Message = "Could not seek the leader lease: {Reason}; retrying next tick")]
    private static partial void LogAcquireFailed(ILogger logger, string reason);

    [LoggerMessage(EventId = 1904, Level = LogLevel.Information, Message = "Replica {Replica} gave the leader lease up")]
    private static partial void LogResigned(ILogger logger, string replica);
}

/// <summary>Registers the leader election (before the control loops, so its first round runs before their first tick).</summary>
public static class LeaderElectionServiceCollectionExtensions
{
    public static IServiceCollection AddVigilLeaderElection(this IServiceCollection services)
    {
        services.AddSingleton<LeaderElection>();
        services.AddSingleton<ILeaderElection>(sp => sp.GetRequiredService<LeaderElection>());
        services.AddHostedService(sp => sp.GetRequiredService<LeaderElection>());
        return services;
    }
}

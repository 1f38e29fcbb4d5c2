using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Vigil.Persistence;
using Vigil.Server.Api;
using Vigil.Server.Hosting;
using Vigil.Testing;

namespace Vigil.Server.Tests;

/// <summary>
/// Leader election (docs/operations.md): on PostgreSQL two replicas of one store elect one leader through a session
/// advisory lock; stopping the leader or killing its lock's connection hands the loops over within a tick or two.
/// </summary>
public sealed class LeaderElectionTests(PostgresFixture postgres)
{
    private static readonly TimeSpan Tick = TimeSpan.FromMilliseconds(200);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task TwoReplicas_OnlyOneLeads_AndStoppingItHandsOver()
    {
        var store = await postgres.CreateDatabaseAsync("leader", Ct);
        var first = await StartAsync(store);
        await using var second = await StartAsync(store);
        try
        {
            var firstElection = Election(first);
            var secondElection = Election(second);
            Assert.True(firstElection.IsLeader, "the replica that started first should hold the free lease");
            Assert.False(secondElection.IsLeader);

            // A few rounds later nothing has changed hands, and both replicas say who leads.
            await Task.Delay(Tick * 3, Ct);
            Assert.True(firstElection.IsLeader);
            Assert.False(secondElection.IsLeader);
            var seenBySecond = (await second.GetAsync<StatusView>("/v1/status")).Leader!;
            var seenByFirst = (await first.GetAsync<StatusView>("/v1/status")).Leader!;
            Assert.Equal(firstElection.ReplicaId, seenBySecond.ReplicaId);
            Assert.Equal(firstElection.ReplicaId, seenByFirst.ReplicaId);
            Assert.Equal(seenByFirst.Since, seenBySecond.Since);
            Assert.True(seenByFirst.ThisReplicaLeads);
            Assert.False(seenBySecond.ThisReplicaLeads);
            Assert.Equal(secondElection.ReplicaId, seenBySecond.ThisReplica);

            var stopped = Stopwatch.StartNew();
            await first.DisposeAsync();
            var handover = await WaitAsync(() => secondElection.IsLeader, TimeSpan.FromSeconds(5));
            Assert.True(handover, "the second replica never took the lease over");
            Assert.True(stopped.Elapsed < Tick * 3 + TimeSpan.FromSeconds(1), $"hand-over took {stopped.Elapsed.TotalMilliseconds:F0} ms");
            var now = (await second.GetAsync<StatusView>("/v1/status")).Leader!;
            Assert.Equal(secondElection.ReplicaId, now.ReplicaId);
            Assert.True(now.Since >= seenByFirst.Since);
        }
        finally
        {
            await first.DisposeAsync();
        }
    }

    [Fact]
    public async Task LeaderLosesItsConnection_LosesLeadership_AndOneReplicaLeadsAgain()
    {
        var store = await postgres.CreateDatabaseAsync("leader_kill", Ct);
        await using var first = await StartAsync(store);
        await using var second = await StartAsync(store);
        var firstElection = Election(first);
        var secondElection = Election(second);
        Assert.True(firstElection.IsLeader);

        // What a network cut or a database failover does to the leader's session.
        await using (var admin = new NpgsqlConnection(store))
        {
            await admin.OpenAsync(Ct);
            await using var kill = new NpgsqlCommand(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name LIKE 'vigil-leader/%' AND datname = current_database()", admin);
            Assert.Equal(1L, await kill.ExecuteScalarAsync(Ct));
        }

        // Within a couple of ticks the first replica notices, and a leader exists again: the second, or the first in a new term.
        // Until the old leader's next round its flag may still say it leads while the second already holds the lock; no
        // loop runs on the flag alone (ControlLoop confirms the lock on the lease's connection before each tick), and the
        // flags converge at the old leader's next round.
        Assert.True(await WaitAsync(() => firstElection.Term > 1 || secondElection.IsLeader, TimeSpan.FromSeconds(5)), "no replica took the lease after the leader's connection died");
        Assert.True(await WaitAsync(() => !(firstElection.IsLeader && secondElection.IsLeader), TimeSpan.FromSeconds(5)), "two leaders for longer than a tick");
        var leader = (await second.GetAsync<StatusView>("/v1/status")).Leader!;
        Assert.Equal(secondElection.IsLeader ? secondElection.ReplicaId : firstElection.ReplicaId, leader.ReplicaId);
    }

    [Fact]
    public async Task Sqlite_TheProcessLeads()
    {
        await using var server = await VigilTestServer.StartAsync();
        var leader = (await server.GetAsync<StatusView>("/v1/status")).Leader!;

        Assert.True(leader.ThisReplicaLeads);
        Assert.Equal(Election(server).ReplicaId, leader.ReplicaId);
        Assert.Equal(leader.ThisReplica, leader.ReplicaId);
        Assert.NotNull(leader.Since);
    }

    private static ILeaderElection Election(VigilTestServer server) => server.App.Services.GetRequiredService<ILeaderElection>();

    private static Task<VigilTestServer> StartAsync(string store) => VigilTestServer.StartAsync(store, o => o.ControllerTick = Tick);

    private static async Task<bool> WaitAsync(Func<bool> condition, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < timeout)
        {
            if (condition())
            {
                return true;
            }

            await Task.Delay(20, Ct);
        }

        return condition();
    }
}

/// <summary><see cref="ControlLoop.RunAsync"/> ticks only while its replica leads.</summary>
public sealed class ControlLoopLeaderTests
{
    [Fact]
    public async Task RunAsync_TicksOnlyWhileLeader()
    {
        var leader = new SwitchedLeader();
        var ticks = 0;
        using var stop = new CancellationTokenSource();
        var loop = ControlLoop.RunAsync(
            _ =>
            {
                Interlocked.Increment(ref ticks);
                return Task.CompletedTask;
            },
            TimeSpan.FromMilliseconds(10),
            TimeProvider.System,
            _ => { },
            stop.Token,
            tickFirst: true,
            leader: leader);

        await Task.Delay(200, TestContext.Current.CancellationToken);
        Assert.Equal(0, Volatile.Read(ref ticks));

        leader.IsLeader = true;
        var deadline = Stopwatch.StartNew();
        while (Volatile.Read(ref ticks) < 3 && deadline.Elapsed < TimeSpan.FromSeconds(5))
        {
            await Task.Delay(10, TestContext.Current.CancellationToken);
        }

        Assert.True(Volatile.Read(ref ticks) >= 3);

        leader.IsLeader = false;
        await Task.Delay(50, TestContext.Current.CancellationToken); // a tick in flight finishes
        var after = Volatile.Read(ref ticks);
        await Task.Delay(200, TestContext.Current.CancellationToken);
        Assert.Equal(after, Volatile.Read(ref ticks));

        await stop.CancelAsync();
        await loop;
    }

    /// <summary>A leadership switched by the test (the real election runs in <see cref="LeaderElectionTests"/>).</summary>
    private sealed class SwitchedLeader : ILeaderElection
    {
        private volatile bool _isLeader;

        public string ReplicaId => "test";

        public bool IsLeader
        {
            get => _isLeader;
            set => _isLeader = value;
        }

        public int Term => 1;

        public Task<LeaderInfo?> GetLeaderAsync(CancellationToken cancellationToken) => Task.FromResult<LeaderInfo?>(null);

        public Task<bool> ConfirmAsync(CancellationToken cancellationToken) => Task.FromResult(_isLeader);
    }
}

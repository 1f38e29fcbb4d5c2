using System.Collections.Concurrent;
using System.Text.Json;
using Vigil.Access;
using Vigil.Audit;
using Vigil.Persistence;
using Vigil.Predictions;
using Vigil.Registry;
using Vigil.Releases;
using Vigil.Routing.Flags;
using Vigil.Storage.Migrations;

namespace Vigil.Storage.Tests;

/// <summary>
/// The contract of <see cref="IVigilStore"/>, run against every store: each store's test class inherits these facts
/// and supplies a fresh, empty store per test.
/// </summary>
public abstract partial class StoreConformanceTests : IAsyncLifetime
{
    /// <summary>A time with microseconds, as both stores keep it.</summary>
    protected static readonly DateTimeOffset T0 = new DateTimeOffset(2025, 3, 1, 12, 0, 0, TimeSpan.Zero).AddTicks(1_234_560);

    protected static readonly AuditContext Alice = new("alice", T0, "because");

    /// <summary>The <see cref="ControlPlaneChange.What"/> of the marker <see cref="SettleAsync"/> may raise; facts about changes leave it out.</summary>
    protected const string SettleMarker = "test.settled";

    private IVigilStore? _store;

    protected IVigilStore Store => _store ?? throw new InvalidOperationException("the store is created in InitializeAsync");

    protected static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>A new store on an empty database, not yet migrated.</summary>
    protected abstract Task<IVigilStore> CreateStoreAsync();

    public async ValueTask InitializeAsync()
    {
        _store = await CreateStoreAsync();
        await _store.MigrateAsync(Ct);
    }

    public virtual async ValueTask DisposeAsync()
    {
        if (_store is not null)
        {
            await _store.DisposeAsync();
        }
    }

    // Schema

    [Fact]
    public async Task Migrate_Twice_IsIdempotentAndReportsTheLatestSchema()
    {
        await Store.MigrateAsync(Ct);

        var health = await Store.CheckAsync(Ct);

        Assert.True(health.Ready, health.Error);
        Assert.Equal(SchemaMigrations.Latest, health.SchemaVersion);
        Assert.Equal(SchemaMigrations.Latest, health.LatestSchemaVersion);
    }

    // Services

    [Fact]
    public async Task CreateService_ThenGet_RoundTripsEveryField()
    {
        var service = Service("shop") with { CreatedAt = new DateTimeOffset(2025, 3, 1, 14, 0, 0, TimeSpan.FromHours(2)) };

        var created = (await Store.CreateServiceAsync(service, Alice, Ct)).Unwrap();
        var read = await Store.GetServiceAsync("shop", Ct);

        Assert.NotNull(read);
        AssertSameService(service, created);
        AssertSameService(service, read);
        Assert.Equal(TimeSpan.Zero, read.CreatedAt.Offset);
    }

    [Fact]
    public async Task CreateService_DuplicateName_ReturnsConflictAndKeepsFirst()
    {
        await Store.CreateServiceAsync(Service("shop"), Alice, Ct);

        var second = await Store.CreateServiceAsync(Service("shop") with { Description = "second" }, Alice, Ct);

        Assert.Equal(FailureKind.Conflict, second.Failure?.Kind);
        Assert.Equal("the shop's model", (await Store.GetServiceAsync("shop", Ct))?.Description);
        Assert.Single(await Store.QueryAuditAsync(new AuditQuery(Action: AuditActions.ServiceCreated), Ct));
    }

    [Fact]
    public async Task CreateService_WritesServiceCreatedAuditEventWithTheServiceAsJson()
    {
        var service = Service("shop");
        await Store.CreateServiceAsync(service, Alice, Ct);

        var audit = Assert.Single(await Store.QueryAuditAsync(new AuditQuery(), Ct));

        Assert.Equal(AuditActions.ServiceCreated, audit.Action);
        Assert.Equal("alice", audit.Actor);
        Assert.Equal("shop", audit.Service);
        Assert.Equal("shop", audit.Target);
        Assert.Equal("because", audit.Reason);
        Assert.Equal(T0, audit.At);
        Assert.Null(audit.Before);
        AssertSameService(service, VigilJson.Deserialize<ServiceDefinition>(audit.After!)!);
    }

    [Fact]
    public async Task ListServices_ReturnsEveryServiceByName_AndGetOfUnknownIsNull()
    {
        await Store.CreateServiceAsync(Service("zeta"), Alice, Ct);
        await Store.CreateServiceAsync(Service("alpha"), Alice, Ct);

        Assert.Equal(["alpha", "zeta"], (await Store.ListServicesAsync(Ct)).Select(s => s.Name));
        Assert.Null(await Store.GetServiceAsync("nope", Ct));
    }

    // Versions

    [Fact]
    public async Task RegisterVersion_UnknownService_ReturnsNotFound()
    {
        var result = await Store.RegisterVersionAsync(Draft("nope"), Alice, Ct);

        Assert.Equal(FailureKind.NotFound, result.Failure?.Kind);
        Assert.Empty(await Store.QueryAuditAsync(new AuditQuery(), Ct));
    }

    [Fact]
    public async Task RegisterVersion_NumbersOneTwoThreePerService()
    {
        await Store.CreateServiceAsync(Service("shop"), Alice, Ct);
        await Store.CreateServiceAsync(Service("search"), Alice, Ct);

        var numbers = new List<(string, int)>();
        foreach (var service in new[] { "shop", "shop", "search", "shop", "search" })
        {
            numbers.Add((service, (await Store.RegisterVersionAsync(Draft(service), Alice, Ct)).Unwrap().Number));
        }

        Assert.Equal([("shop", 1), ("shop", 2), ("search", 1), ("shop", 3), ("search", 2)], numbers);
        Assert.Equal([1, 2, 3], (await Store.ListVersionsAsync("shop", Ct)).Select(v => v.Number));
    }

    [Fact]
    public async Task RegisterVersion_Concurrent_AssignsDistinctNumbersWithoutGaps()
    {
        await Store.CreateServiceAsync(Service("shop"), Alice, Ct);

        var results = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => Task.Run(() => Store.RegisterVersionAsync(Draft("shop"), Alice, Ct))));

        Assert.Equal(Enumerable.Range(1, 20), results.Select(r => r.Unwrap().Number).Order());
        Assert.Equal(Enumerable.Range(1, 20), (await Store.ListVersionsAsync("shop", Ct)).Select(v => v.Number));
    }

    [Fact]
    public async Task RegisterVersion_RoundTripsBackendMetadataMetrics_AndWritesVersionRegisteredAudit()
    {
        await Store.CreateServiceAsync(Service("shop"), Alice, Ct);
        var draft = new ModelVersionDraft(
            "shop",
            new BackendSpec(BackendKind.Http, "http://models:8080", HttpProtocol.Json, "m", 1_500),
            new Dictionary<string, string> { ["git_sha"] = "abc123", ["data"] = "2025-01" },
            new Dictionary<string, double> { ["auc"] = 0.91, ["accuracy"] = 0.875 });

        var registered = (await Store.RegisterVersionAsync(draft, Alice, Ct)).Unwrap();
        var read = await Store.GetVersionAsync("shop", 1, Ct);

        Assert.NotNull(read);
        foreach (var version in new[] { registered, read })
        {
            Assert.Equal(("shop", 1, draft.Backend, "alice", T0), (version.Service, version.Number, version.Backend, version.CreatedBy, version.CreatedAt));
            Assert.Equal(draft.Metadata!.OrderBy(p => p.Key), version.Metadata.OrderBy(p => p.Key));
            Assert.Equal(draft.Metrics!.OrderBy(p => p.Key), version.Metrics.OrderBy(p => p.Key));
        }

        Assert.Null(await Store.GetVersionAsync("shop", 2, Ct));
        var audit = (await Store.QueryAuditAsync(new AuditQuery(Action: AuditActions.VersionRegistered), Ct)).Single();
        Assert.Equal(("shop", "shop/1"), (audit.Service, audit.Target));
        Assert.Equal(1, JsonDocument.Parse(audit.After!).RootElement.GetProperty("number").GetInt32());
    }

    // Aliases

    [Fact]
    public async Task GetAliases_ServiceWithNoAliasesYet_ReturnsEmpty()
    {
        await Store.CreateServiceAsync(Service("shop"), Alice, Ct);

        Assert.Equal(AliasSet.Empty, await Store.GetAliasesAsync("shop", Ct));
    }

    [Fact]
    public async Task UpdateAliases_FromCurrentRevision_IncrementsRevisionWritesHistoryAndOneAuditEvent()
    {
        await CreateServiceWithVersionsAsync("shop", 2);
        var first = (await Store.UpdateAliasesAsync("shop", 0, AliasSet.Empty with { Champion = 1 }, AuditActions.AliasSet, Alice, Ct)).Unwrap();

        var next = first with { Champion = 2, PreviousChampion = 1 };
        var second = (await Store.UpdateAliasesAsync("shop", 1, next, AuditActions.AliasPromoted, Alice, Ct)).Unwrap();

        Assert.Equal(new AliasSet(1, null, null, 1), first);
        Assert.Equal(new AliasSet(2, null, 1, 2), second);
        Assert.Equal(second, await Store.GetAliasesAsync("shop", Ct));
        var history = await Store.GetAliasHistoryAsync("shop", Ct);
        Assert.Equal(
            [
                new AliasChange("shop", AliasNames.Champion, null, 1, T0, "alice", AuditActions.AliasSet, "because"),
                new AliasChange("shop", AliasNames.Champion, 1, 2, T0, "alice", AuditActions.AliasPromoted, "because"),
                new AliasChange("shop", AliasNames.PreviousChampion, null, 1, T0, "alice", AuditActions.AliasPromoted, "because"),
            ],
            history);
        var audit = Assert.Single(await Store.QueryAuditAsync(new AuditQuery(Action: AuditActions.AliasPromoted), Ct));
        Assert.Equal(VigilJson.Serialize(first), audit.Before);
        Assert.Equal(VigilJson.Serialize(second), audit.After);
        Assert.Equal("shop", audit.Service);
    }

    [Fact]
    public async Task UpdateAliases_StaleRevision_ReturnsConflictAndChangesNothing()
    {
        await CreateServiceWithVersionsAsync("shop", 2);
        await Store.UpdateAliasesAsync("shop", 0, AliasSet.Empty with { Champion = 1 }, AuditActions.AliasSet, Alice, Ct);

        var stale = await Store.UpdateAliasesAsync("shop", 0, AliasSet.Empty with { Champion = 2 }, AuditActions.AliasSet, Alice, Ct);

        Assert.Equal(FailureKind.Conflict, stale.Failure?.Kind);
        Assert.Equal(new AliasSet(1, null, null, 1), await Store.GetAliasesAsync("shop", Ct));
        Assert.Single(await Store.GetAliasHistoryAsync("shop", Ct));
        Assert.Single(await Store.QueryAuditAsync(new AuditQuery(Action: AuditActions.AliasSet), Ct));
    }

    [Fact]
    public async Task UpdateAliases_UnknownServiceOrVersion_ReturnsNotFound()
    {
        await CreateServiceWithVersionsAsync("shop", 1);

        var unknownService = await Store.UpdateAliasesAsync("nope", 0, AliasSet.Empty with { Champion = 1 }, AuditActions.AliasSet, Alice, Ct);
        var unknownVersion = await Store.UpdateAliasesAsync("shop", 0, AliasSet.Empty with { Champion = 1, Challenger = 7 }, AuditActions.AliasSet, Alice, Ct);

        Assert.Equal(FailureKind.NotFound, unknownService.Failure?.Kind);
        Assert.Equal(FailureKind.NotFound, unknownVersion.Failure?.Kind);
        Assert.Contains("7", unknownVersion.Failure!.Message, StringComparison.Ordinal);
        Assert.Equal(AliasSet.Empty, await Store.GetAliasesAsync("shop", Ct));
        Assert.Empty(await Store.GetAliasHistoryAsync("shop", Ct));
    }

    [Fact]
    public async Task UpdateAliases_TwoConcurrentFromTheSameRevision_ExactlyOneSucceeds()
    {
        await CreateServiceWithVersionsAsync("shop", 2);

        var results = await Task.WhenAll(
            Task.Run(() => Store.UpdateAliasesAsync("shop", 0, AliasSet.Empty with { Champion = 1 }, AuditActions.AliasSet, Alice, Ct)),
            Task.Run(() => Store.UpdateAliasesAsync("shop", 0, AliasSet.Empty with { Champion = 2 }, AuditActions.AliasSet, Alice, Ct)));

        var winner = Assert.Single(results, r => r.IsSuccess);
        Assert.Equal(FailureKind.Conflict, Assert.Single(results, r => !r.IsSuccess).Failure?.Kind);
        Assert.Equal(winner.Value, await Store.GetAliasesAsync("shop", Ct));
        Assert.Single(await Store.GetAliasHistoryAsync("shop", Ct));
    }

    // Audit

    [Fact]
    public async Task AppendAudit_AssignsIncreasingIds_AndKeepsEveryField()
    {
        var first = await Store.AppendAuditAsync(new AuditEvent(0, T0, "bob", "flag.changed", "shop", "shop/flags/x", "{\"on\":false}", "{\"on\":true}", "why"), Ct);
        var second = await Store.AppendAuditAsync(new AuditEvent(0, T0, "bob", "flag.changed", null, "x", null, null, null), Ct);

        Assert.True(second.Id > first.Id);
        Assert.Equal([second, first], await Store.QueryAuditAsync(new AuditQuery(), Ct));
    }

    [Fact]
    public async Task QueryAudit_ReturnsNewestFirst_WithServiceActorActionTimeLimitAndPagingFilters()
    {
        var events = new List<AuditEvent>();
        for (var i = 0; i < 6; i++)
        {
            events.Add(await Store.AppendAuditAsync(
                new AuditEvent(0, T0.AddMinutes(i), i % 2 == 0 ? "alice" : "bob", i < 3 ? "a.one" : "a.two", i % 3 == 0 ? "shop" : "search", "t", null, null, null),
                Ct));
        }

        async Task<long[]> Ids(AuditQuery query) => [.. (await Store.QueryAuditAsync(query, Ct)).Select(e => e.Id)];
        long[] Expected(params int[] indexes) => [.. indexes.Select(i => events[i].Id)];

        Assert.Equal(Expected(5, 4, 3, 2, 1, 0), await Ids(new AuditQuery()));
        Assert.Equal(Expected(3, 0), await Ids(new AuditQuery(Service: "shop")));
        Assert.Equal(Expected(5, 3, 1), await Ids(new AuditQuery(Actor: "bob")));
        Assert.Equal(Expected(2, 1, 0), await Ids(new AuditQuery(Action: "a.one")));
        Assert.Equal(Expected(3, 2), await Ids(new AuditQuery(Since: T0.AddMinutes(2), Until: T0.AddMinutes(4))));
        Assert.Equal(Expected(5, 4), await Ids(new AuditQuery(Limit: 2)));
        Assert.Equal(Expected(3, 2), await Ids(new AuditQuery(Limit: 2, BeforeId: events[4].Id)));
        Assert.Equal(Expected(4, 2), await Ids(new AuditQuery(Service: "search", Actor: "alice")));
    }

    // Predictions and outcomes

    [Fact]
    public async Task WritePredictions_ThenGet_RoundTripsEveryField()
    {
        var full = Prediction("r1", 1, Arms.Canary) with
        {
            Key = "user-1",
            Outputs = "{\"probability\":0.7}",
            Error = null,
            FlagKey = "rel-0123456789abcdef",
            FlagReason = "SPLIT",
            ShadowOf = "r0",
        };
        var failed = Prediction("r2", 1, Arms.Champion) with { Key = null, Outputs = null, Error = "timeout" };

        await Store.WritePredictionsAsync([full, failed], Ct);

        Assert.Equal(full, await Store.GetPredictionAsync("r1", Ct));
        Assert.Equal(failed, await Store.GetPredictionAsync("r2", Ct));
        Assert.Null(await Store.GetPredictionAsync("r3", Ct));
    }

    [Fact]
    public async Task WritePredictions_RequestIdAlreadyStored_IsSkippedNeverDuplicated()
    {
        var first = Prediction("r1", 1, Arms.Champion);
        await Store.WritePredictionsAsync([first], Ct);

        await Store.WritePredictionsAsync([first with { Version = 9 }, Prediction("r2", 1, Arms.Champion), Prediction("r2", 8, Arms.Champion)], Ct);

        Assert.Equal(first, await Store.GetPredictionAsync("r1", Ct));
        Assert.Equal(1, (await Store.GetPredictionAsync("r2", Ct))?.Version);
        Assert.Equal(2, (await Store.GetTrafficAsync("shop", null, Ct)).Sum(t => t.Requests));
    }

    [Fact]
    public async Task RecordOutcomes_RepeatedRequestIdAndName_KeepsTheFirstAndCountsDuplicates()
    {
        var first = await Store.RecordOutcomesAsync([Outcome("r1", "accepted", "true", 1), Outcome("r1", "label", "\"spam\"", null)], Ct);
        var second = await Store.RecordOutcomesAsync(
            [Outcome("r1", "accepted", "false", 0), Outcome("r2", "accepted", "true", 1), Outcome("r2", "accepted", "false", 0)],
            Ct);

        Assert.Equal(new FeedbackResult(2, 0), first);
        Assert.Equal(new FeedbackResult(1, 2), second);
        Assert.Equal([Outcome("r1", "accepted", "true", 1), Outcome("r1", "label", "\"spam\"", null)], await Store.GetOutcomesAsync("r1", Ct));
        Assert.Equal([Outcome("r2", "accepted", "true", 1)], await Store.GetOutcomesAsync("r2", Ct));
    }

    [Fact]
    public async Task GetTraffic_CountsRequestsErrorsLatencyAndJoinedOutcomesPerVersionAndArm()
    {
        await Store.WritePredictionsAsync(
            [
                Prediction("a", 1, Arms.Champion) with { LatencyMs = 10 },
                Prediction("b", 1, Arms.Champion) with { LatencyMs = 30, Error = "boom", Outputs = null },
                Prediction("c", 2, Arms.Canary) with { LatencyMs = 5 },
                Prediction("d", 2, Arms.Shadow) with { LatencyMs = 7 },
                Prediction("other", 1, Arms.Champion) with { Service = "search" },
            ],
            Ct);
        await Store.RecordOutcomesAsync(
            [
                Outcome("a", "accepted", "true", 1),
                Outcome("b", "accepted", "false", 0),
                Outcome("b", "label", "\"x\"", null),
                Outcome("c", "accepted", "true", 1),
                Outcome("orphan", "accepted", "true", 1),
            ],
            Ct);

        var traffic = await Store.GetTrafficAsync("shop", null, Ct);

        Assert.Equal(3, traffic.Count);
        var champion = traffic.Single(t => t is { Version: 1, Arm: Arms.Champion });
        Assert.Equal(("shop", 2L, 1L, 20.0, 30.0), (champion.Service, champion.Requests, champion.Errors, champion.MeanLatencyMs, champion.MaxLatencyMs));
        Assert.Equal([new OutcomeSummary("accepted", 2, 0.5), new OutcomeSummary("label", 1, null)], champion.Outcomes);
        var canary = traffic.Single(t => t is { Version: 2, Arm: Arms.Canary });
        Assert.Equal((1L, 0L, 5.0, 5.0), (canary.Requests, canary.Errors, canary.MeanLatencyMs, canary.MaxLatencyMs));
        Assert.Equal([new OutcomeSummary("accepted", 1, 1.0)], canary.Outcomes);
        Assert.Empty(traffic.Single(t => t is { Version: 2, Arm: Arms.Shadow }).Outcomes);
    }

    [Fact]
    public async Task GetTraffic_Since_CountsOnlyPredictionsAtOrAfterIt()
    {
        await Store.WritePredictionsAsync(
            [
                Prediction("early", 1, Arms.Champion) with { At = T0.AddMinutes(-1) },
                Prediction("on-time", 1, Arms.Champion) with { At = T0 },
                Prediction("late", 1, Arms.Champion) with { At = T0.AddMinutes(1) },
            ],
            Ct);

        Assert.Equal(2, Assert.Single(await Store.GetTrafficAsync("shop", T0, Ct)).Requests);
        Assert.Equal(3, Assert.Single(await Store.GetTrafficAsync("shop", null, Ct)).Requests);
        Assert.Empty(await Store.GetTrafficAsync("shop", T0.AddHours(1), Ct));
    }

    [Fact]
    public async Task CountOrphanOutcomes_CountsOutcomesWhosePredictionIsNotStored()
    {
        await Store.WritePredictionsAsync([Prediction("known", 1, Arms.Champion)], Ct);
        await Store.RecordOutcomesAsync(
            [Outcome("known", "accepted", "true", 1), Outcome("lost", "accepted", "true", 1), Outcome("lost", "label", "1", 1), Outcome("later", "accepted", "true", 1)],
            Ct);
        Assert.Equal(3, await Store.CountOrphanOutcomesAsync(Ct));

        await Store.WritePredictionsAsync([Prediction("later", 1, Arms.Champion)], Ct);

        Assert.Equal(2, await Store.CountOrphanOutcomesAsync(Ct));
    }

    [Fact]
    public async Task FindUnknownRequestIds_ReturnsOnlyIdsWithNoPrediction_AcrossChunks()
    {
        var stored = Enumerable.Range(0, 1_200).Select(i => Prediction("r" + i, 1, Arms.Champion)).ToList();
        await Store.WritePredictionsAsync(stored, Ct);
        var asked = Enumerable.Range(0, 1_300).Select(i => "r" + i).Append("r5").ToList();

        var unknown = await Store.FindUnknownRequestIdsAsync(asked, Ct);

        Assert.Equal(Enumerable.Range(1_200, 100).Select(i => "r" + i), unknown);
        Assert.Empty(await Store.FindUnknownRequestIdsAsync([], Ct));
    }

    // Flags

    [Fact]
    public async Task CreateFlag_ThenGetAndList_RoundTripsWithRevisionOne_ByServiceOrAll()
    {
        var flag = Flag("shop-new-ranker", "shop");
        var created = (await Store.CreateFlagAsync(flag with { Revision = 7 }, Alice, Ct)).Unwrap();
        await Store.CreateFlagAsync(Flag("a-global", null), Alice, Ct);
        await Store.CreateFlagAsync(Flag("search-x", "search"), Alice, Ct);
        await Store.CreateFlagAsync(Flag("shop-banner", "shop"), Alice, Ct);

        Assert.Equal(flag, created);
        Assert.Equal(flag, await Store.GetFlagAsync("shop-new-ranker", Ct));
        Assert.Null(await Store.GetFlagAsync("nope", Ct));
        Assert.Equal(["a-global", "search-x", "shop-banner", "shop-new-ranker"], (await Store.ListFlagsAsync(null, Ct)).Select(f => f.Key));
        Assert.Equal(["shop-banner", "shop-new-ranker"], (await Store.ListFlagsAsync("shop", Ct)).Select(f => f.Key));
        Assert.Empty(await Store.ListFlagsAsync("nope", Ct));
    }

    [Fact]
    public async Task CreateFlag_DuplicateKey_ReturnsConflictKeepsFirstAndAuditsOnlyTheFirst()
    {
        var flag = Flag("shop-new-ranker", "shop");
        await Store.CreateFlagAsync(flag, Alice, Ct);

        var duplicate = await Store.CreateFlagAsync(flag with { Definition = "{\"on\":false}" }, Alice, Ct);

        Assert.Equal(FailureKind.Conflict, duplicate.Failure?.Kind);
        Assert.Equal(flag.Definition, (await Store.GetFlagAsync(flag.Key, Ct))?.Definition);
        var audit = Assert.Single(await Store.QueryAuditAsync(new AuditQuery(Action: "flag.created"), Ct));
        Assert.Equal(("alice", "shop", "shop/flags/shop-new-ranker", (string?)null, flag.Definition, "because"), (audit.Actor, audit.Service, audit.Target, audit.Before, audit.After, audit.Reason));
    }

    [Fact]
    public async Task UpdateFlag_FromCurrentRevision_ReplacesDefinitionIncrementsRevisionAndAuditsBeforeAndAfter()
    {
        var flag = Flag("checkout", null);
        await Store.CreateFlagAsync(flag, Alice, Ct);
        var later = Alice with { At = T0.AddMinutes(5), Reason = "turn it off" };

        var updated = (await Store.UpdateFlagAsync("checkout", 1, "{\"on\":false}", "flag.killed", later, Ct)).Unwrap();

        Assert.Equal(new StoredFlag("checkout", null, "{\"on\":false}", 2, T0.AddMinutes(5)), updated);
        Assert.Equal(updated, await Store.GetFlagAsync("checkout", Ct));
        var audit = Assert.Single(await Store.QueryAuditAsync(new AuditQuery(Action: "flag.killed"), Ct));
        Assert.Equal(((string?)null, "flags/checkout", flag.Definition, "{\"on\":false}", "turn it off"), (audit.Service, audit.Target, audit.Before, audit.After, audit.Reason));
    }

    [Fact]
    public async Task UpdateFlag_StaleRevision_ReturnsConflict_UnknownKeyReturnsNotFound_AndNothingChanges()
    {
        var flag = Flag("checkout", "shop");
        await Store.CreateFlagAsync(flag, Alice, Ct);
        (await Store.UpdateFlagAsync("checkout", 1, "{\"v\":2}", "flag.changed", Alice, Ct)).Unwrap();

        var stale = await Store.UpdateFlagAsync("checkout", 1, "{\"v\":3}", "flag.changed", Alice, Ct);
        var unknown = await Store.UpdateFlagAsync("nope", 1, "{}", "flag.changed", Alice, Ct);

        Assert.Equal(FailureKind.Conflict, stale.Failure?.Kind);
        Assert.Equal(FailureKind.NotFound, unknown.Failure?.Kind);
        Assert.Equal(("{\"v\":2}", 2L), ((await Store.GetFlagAsync("checkout", Ct))!.Definition, (await Store.GetFlagAsync("checkout", Ct))!.Revision));
        Assert.Single(await Store.QueryAuditAsync(new AuditQuery(Action: "flag.changed"), Ct));
    }

    [Fact]
    public async Task UpdateFlag_TwoConcurrentFromTheSameRevision_ExactlyOneSucceeds()
    {
        await Store.CreateFlagAsync(Flag("checkout", "shop"), Alice, Ct);

        var results = await Task.WhenAll(
            Task.Run(() => Store.UpdateFlagAsync("checkout", 1, "{\"v\":\"a\"}", "flag.changed", Alice, Ct)),
            Task.Run(() => Store.UpdateFlagAsync("checkout", 1, "{\"v\":\"b\"}", "flag.changed", Alice, Ct)));

        var winner = Assert.Single(results, r => r.IsSuccess);
        Assert.Equal(FailureKind.Conflict, Assert.Single(results, r => !r.IsSuccess).Failure?.Kind);
        Assert.Equal(winner.Value, await Store.GetFlagAsync("checkout", Ct));
    }

    // Releases

    [Fact]
    public async Task CreateRelease_ThenGet_StoresRevisionOneTheFirstEventAndAReleaseStartedAudit()
    {
        await CreateServiceWithVersionsAsync("shop", 2);
        var release = Release("rel-1") with { CreatedAt = new DateTimeOffset(2025, 3, 1, 14, 0, 0, TimeSpan.FromHours(2)), UpdatedAt = T0 };

        var created = (await Store.CreateReleaseAsync(release with { Revision = 5 }, Started("ignored"), Alice, Ct)).Unwrap();

        var expected = release with { Revision = 1, CreatedAt = release.CreatedAt.ToUniversalTime() };
        Assert.Equal(expected, created);
        Assert.Equal(expected, await Store.GetReleaseAsync("rel-1", Ct));
        Assert.Null(await Store.GetReleaseAsync("nope", Ct));
        var started = Assert.Single(await Store.GetReleaseEventsAsync("rel-1", Ct));
        Assert.Equal(Started("rel-1") with { Id = started.Id }, started);
        var audit = Assert.Single(await Store.QueryAuditAsync(new AuditQuery(Action: "release.started"), Ct));
        Assert.Equal(("shop", "shop/releases/rel-1", (string?)null, release.Plan), (audit.Service, audit.Target, audit.Before, audit.After));
    }

    [Fact]
    public async Task CreateRelease_UnknownServiceOrVersion_ReturnsNotFoundAndStoresNothing()
    {
        await CreateServiceWithVersionsAsync("shop", 1);

        var unknownService = await Store.CreateReleaseAsync(Release("rel-1", service: "nope"), Started("rel-1"), Alice, Ct);
        var unknownVersion = await Store.CreateReleaseAsync(Release("rel-2", challenger: 7), Started("rel-2"), Alice, Ct);

        Assert.Equal(FailureKind.NotFound, unknownService.Failure?.Kind);
        Assert.Equal(FailureKind.NotFound, unknownVersion.Failure?.Kind);
        Assert.Contains("7", unknownVersion.Failure!.Message, StringComparison.Ordinal);
        Assert.Empty(await Store.ListReleasesAsync(null, activeOnly: false, Ct));
        Assert.Empty(await Store.QueryAuditAsync(new AuditQuery(Action: "release.started"), Ct));
    }

    [Fact]
    public async Task CreateRelease_WhileAnotherIsActive_ReturnsConflict_AndOnceItEndedANewOneStarts()
    {
        await CreateServiceWithVersionsAsync("shop", 2);
        await CreateServiceWithVersionsAsync("search", 2);
        (await Store.CreateReleaseAsync(Release("rel-1"), Started("rel-1"), Alice, Ct)).Unwrap();
        (await Store.CreateReleaseAsync(Release("rel-other", service: "search"), Started("rel-other"), Alice, Ct)).Unwrap();

        var second = await Store.CreateReleaseAsync(Release("rel-2"), Started("rel-2"), Alice, Ct);
        var sameId = await Store.CreateReleaseAsync(Release("rel-1", service: "search"), Started("rel-1"), Alice, Ct);
        (await Store.UpdateReleaseAsync("rel-1", 1, "aborted", false, "{\"step\":1}", Transition("rel-1", "shadowing", "aborted"), "release.aborted", Alice, Ct)).Unwrap();
        var third = await Store.CreateReleaseAsync(Release("rel-3") with { CreatedAt = T0.AddMinutes(1) }, Started("rel-3"), Alice, Ct);

        Assert.Equal(FailureKind.Conflict, second.Failure?.Kind);
        Assert.Contains("rel-1", second.Failure!.Message, StringComparison.Ordinal);
        Assert.Equal(FailureKind.Conflict, sameId.Failure?.Kind);
        Assert.True(third.IsSuccess, third.Failure?.Message);
        Assert.Equal(["rel-3"], (await Store.ListReleasesAsync("shop", activeOnly: true, Ct)).Select(r => r.Id));
        Assert.Equal(["rel-3", "rel-1"], (await Store.ListReleasesAsync("shop", activeOnly: false, Ct)).Select(r => r.Id));
        Assert.Equal(["rel-3", "rel-other", "rel-1"], (await Store.ListReleasesAsync(null, activeOnly: false, Ct)).Select(r => r.Id));
        Assert.Equal(["rel-3", "rel-other"], (await Store.ListReleasesAsync(null, activeOnly: true, Ct)).Select(r => r.Id));
        Assert.Empty(await Store.GetReleaseEventsAsync("rel-2", Ct));
    }

    [Fact]
    public async Task CreateRelease_EightConcurrentForOneService_ExactlyOneSucceedsAndTheOthersConflict()
    {
        await CreateServiceWithVersionsAsync("shop", 2);

        var results = await Task.WhenAll(Enumerable.Range(0, 8).Select(i =>
            Task.Run(() => Store.CreateReleaseAsync(Release($"rel-{i}"), Started($"rel-{i}"), Alice, Ct))));

        var winner = Assert.Single(results, r => r.IsSuccess).Value!;
        Assert.All(results.Where(r => !r.IsSuccess), r => Assert.Equal(FailureKind.Conflict, r.Failure?.Kind));
        Assert.Equal([winner], await Store.ListReleasesAsync("shop", activeOnly: false, Ct));
        Assert.Single(await Store.QueryAuditAsync(new AuditQuery(Action: "release.started"), Ct));
    }

    [Fact]
    public async Task UpdateRelease_FromCurrentRevision_WritesStatusActivityAndState_AppendsTheEventAndAuditsStates()
    {
        await CreateServiceWithVersionsAsync("shop", 2);
        var release = (await Store.CreateReleaseAsync(Release("rel-1"), Started("rel-1"), Alice, Ct)).Unwrap();
        var controller = new AuditContext("vigil:controller", T0.AddMinutes(10), "error rate above trigger");
        var rollback = new ReleaseEvent(0, "rel-1", T0.AddMinutes(10), "shadowing", "rolled_back", "vigil:controller", "error rate above trigger", "{\"errors\":0.2}");

        var updated = (await Store.UpdateReleaseAsync("rel-1", 1, "rolled_back", false, "{\"step\":3}", rollback, "release.rolled_back", controller, Ct)).Unwrap();

        var expected = release with { Status = "rolled_back", Active = false, State = "{\"step\":3}", Revision = 2, UpdatedAt = T0.AddMinutes(10) };
        Assert.Equal(expected, updated);
        Assert.Equal(expected, await Store.GetReleaseAsync("rel-1", Ct));
        var events = await Store.GetReleaseEventsAsync("rel-1", Ct);
        Assert.Equal(2, events.Count);
        Assert.Equal(rollback with { Id = events[1].Id }, events[1]);
        var audit = Assert.Single(await Store.QueryAuditAsync(new AuditQuery(Action: "release.rolled_back"), Ct));
        Assert.Equal(
            ("vigil:controller", "shop", "shop/releases/rel-1", release.State, "{\"step\":3}", "error rate above trigger"),
            (audit.Actor, audit.Service, audit.Target, audit.Before, audit.After, audit.Reason));
    }

    [Fact]
    public async Task PromoteRelease_EndsTheReleaseAndMovesTheAliasesInOneChange_AndAStaleRevisionMovesNothing()
    {
        await CreateServiceWithVersionsAsync("shop", 2);
        var champion = (await Store.UpdateAliasesAsync("shop", 0, new AliasSet(1, 2, null, 0), "alias.set", Alice, Ct)).Unwrap();
        (await Store.CreateReleaseAsync(Release("rel-1"), Started("rel-1"), Alice, Ct)).Unwrap();
        var controller = new AuditContext("vigil:controller", T0.AddMinutes(10), "all promotion rules hold");
        var promotion = new ReleaseEvent(0, "rel-1", T0.AddMinutes(10), "canary", "promoted", "vigil:controller", "all promotion rules hold", null);

        var stale = await Store.PromoteReleaseAsync("rel-1", 7, "promoted", "{\"phase\":\"promoted\"}", promotion, "release.promoted", controller, Ct);
        Assert.Equal(FailureKind.Conflict, stale.Failure?.Kind);
        Assert.Equal(champion, await Store.GetAliasesAsync("shop", Ct));

        var promoted = (await Store.PromoteReleaseAsync("rel-1", 1, "promoted", "{\"phase\":\"promoted\"}", promotion, "release.promoted", controller, Ct)).Unwrap();

        Assert.Equal(("promoted", false, 2L), (promoted.Status, promoted.Active, promoted.Revision));
        var aliases = await Store.GetAliasesAsync("shop", Ct);
        Assert.Equal((2, (int?)null, 1), (aliases.Champion, aliases.Challenger, aliases.PreviousChampion));
        var change = Assert.Single(await Store.GetAliasHistoryAsync("shop", Ct), c => c.Alias == "champion" && c.ToVersion == 2);
        Assert.Equal(("vigil:controller", "alias.promoted"), (change.Actor, change.Action));
        Assert.Contains("rel-1", change.Reason, StringComparison.Ordinal);
        Assert.Single(await Store.QueryAuditAsync(new AuditQuery(Action: "release.promoted"), Ct));
        Assert.Single(await Store.QueryAuditAsync(new AuditQuery(Action: "alias.promoted"), Ct));
    }

    [Fact]
    public async Task UpdateRelease_StaleRevision_ReturnsConflict_UnknownReturnsNotFound_AndNothingIsAppended()
    {
        await CreateServiceWithVersionsAsync("shop", 2);
        await Store.CreateReleaseAsync(Release("rel-1"), Started("rel-1"), Alice, Ct);
        (await Store.UpdateReleaseAsync("rel-1", 1, "canary", true, "{\"step\":1}", Transition("rel-1", "shadowing", "canary"), "release.advanced", Alice, Ct)).Unwrap();

        var stale = await Store.UpdateReleaseAsync("rel-1", 1, "aborted", false, "{}", Transition("rel-1", "shadowing", "aborted"), "release.aborted", Alice, Ct);
        var unknown = await Store.UpdateReleaseAsync("nope", 1, "aborted", false, "{}", Transition("nope", "shadowing", "aborted"), "release.aborted", Alice, Ct);

        Assert.Equal(FailureKind.Conflict, stale.Failure?.Kind);
        Assert.Equal(FailureKind.NotFound, unknown.Failure?.Kind);
        Assert.Equal(("canary", true, 2L), await Store.GetReleaseAsync("rel-1", Ct) is { } r ? (r.Status, r.Active, r.Revision) : default);
        Assert.Equal(["shadowing", "canary"], (await Store.GetReleaseEventsAsync("rel-1", Ct)).Select(e => e.To));
        Assert.Empty(await Store.QueryAuditAsync(new AuditQuery(Action: "release.aborted"), Ct));
    }

    [Fact]
    public async Task UpdateRelease_ReactivatingWhileAnotherIsActive_ReturnsConflictFromTheOneActiveReleaseRule()
    {
        await CreateServiceWithVersionsAsync("shop", 2);
        await Store.CreateReleaseAsync(Release("rel-1"), Started("rel-1"), Alice, Ct);
        await Store.UpdateReleaseAsync("rel-1", 1, "aborted", false, "{}", Transition("rel-1", "shadowing", "aborted"), "release.aborted", Alice, Ct);
        (await Store.CreateReleaseAsync(Release("rel-2"), Started("rel-2"), Alice, Ct)).Unwrap();

        var reactivated = await Store.UpdateReleaseAsync("rel-1", 2, "canary", true, "{}", Transition("rel-1", "aborted", "canary"), "release.resumed", Alice, Ct);

        Assert.Equal(FailureKind.Conflict, reactivated.Failure?.Kind);
        Assert.False((await Store.GetReleaseAsync("rel-1", Ct))!.Active);
        Assert.Equal(["rel-2"], (await Store.ListReleasesAsync("shop", activeOnly: true, Ct)).Select(r => r.Id));
        Assert.Equal(2, (await Store.GetReleaseEventsAsync("rel-1", Ct)).Count);
    }

    [Fact]
    public async Task AmendRelease_ReplacesThePlan_AuditsBeforeAfterAndReason_AndAnEndedReleaseCannotBeAmended()
    {
        await CreateServiceWithVersionsAsync("shop", 2);
        var release = (await Store.CreateReleaseAsync(Release("rel-1"), Started("rel-1"), Alice, Ct)).Unwrap();
        var bob = new AuditContext("bob", T0.AddMinutes(3), "hold the canary at 5% over the weekend");
        const string Amended = "{\"strategy\":\"canary\",\"steps\":[5]}";

        var amended = (await Store.AmendReleaseAsync("rel-1", 1, Amended, Transition("rel-1", "shadowing", "shadowing"), bob, Ct)).Unwrap();
        var stale = await Store.AmendReleaseAsync("rel-1", 1, "{}", Transition("rel-1", "shadowing", "shadowing"), bob, Ct);
        await Store.UpdateReleaseAsync("rel-1", 2, "promoted", false, "{}", Transition("rel-1", "shadowing", "promoted"), "release.promoted", Alice, Ct);
        var ended = await Store.AmendReleaseAsync("rel-1", 3, "{}", Transition("rel-1", "promoted", "promoted"), bob, Ct);

        Assert.Equal(release with { Plan = Amended, Revision = 2, UpdatedAt = T0.AddMinutes(3) }, amended);
        Assert.Equal(FailureKind.Conflict, stale.Failure?.Kind);
        Assert.Equal(FailureKind.Conflict, ended.Failure?.Kind);
        Assert.Equal(Amended, (await Store.GetReleaseAsync("rel-1", Ct))!.Plan);
        var audit = Assert.Single(await Store.QueryAuditAsync(new AuditQuery(Action: "release.amended"), Ct));
        Assert.Equal(
            ("bob", "shop", release.Plan, Amended, "hold the canary at 5% over the weekend"),
            (audit.Actor, audit.Service, audit.Before, audit.After, audit.Reason));
        Assert.Equal(3, (await Store.GetReleaseEventsAsync("rel-1", Ct)).Count);
    }

    [Fact]
    public async Task GetReleaseEvents_ReturnsTheReleasesTransitionsOldestFirst_WithIncreasingIds()
    {
        await CreateServiceWithVersionsAsync("shop", 2);
        await CreateServiceWithVersionsAsync("search", 2);
        await Store.CreateReleaseAsync(Release("rel-1"), Started("rel-1"), Alice, Ct);
        await Store.CreateReleaseAsync(Release("rel-other", service: "search"), Started("rel-other"), Alice, Ct);
        var revision = 1L;
        foreach (var (from, to) in new[] { ("shadowing", "canary"), ("canary", "paused"), ("paused", "canary"), ("canary", "promoted") })
        {
            revision = (await Store.UpdateReleaseAsync("rel-1", revision, to, to != "promoted", "{}", Transition("rel-1", from, to), "release." + to, Alice, Ct)).Unwrap().Revision;
            await Store.UpdateReleaseAsync("rel-other", revision, "canary", true, "{}", Transition("rel-other", "shadowing", "canary"), "release.canary", Alice, Ct);
        }

        var events = await Store.GetReleaseEventsAsync("rel-1", Ct);

        Assert.Equal(["shadowing", "canary", "paused", "canary", "promoted"], events.Select(e => e.To));
        Assert.Equal(events.Select(e => e.Id).Order(), events.Select(e => e.Id));
        Assert.Equal(events.Count, events.Select(e => e.Id).Distinct().Count());
        Assert.All(events, e => Assert.Equal("rel-1", e.ReleaseId));
        Assert.Equal(5L, revision);
    }

    // Arm counts

    [Fact]
    public async Task GetArmCounts_CountsRequestsErrorsLatencyAndMaturedOutcomesPerVersionAndArm_InTheWindowOnly()
    {
        await Store.WritePredictionsAsync(
            [
                Prediction("c1", 1, Arms.Champion) with { LatencyMs = 10 },
                Prediction("c2", 1, Arms.Champion) with { At = T0.AddMinutes(10), LatencyMs = 50, Error = "timeout", Outputs = null },
                Prediction("c3", 1, Arms.Champion) with { At = T0.AddMinutes(40), LatencyMs = 100 },
                Prediction("k1", 2, Arms.Canary) with { At = T0.AddMinutes(5), LatencyMs = 30 },
                Prediction("k2", 2, Arms.Canary) with { At = T0.AddMinutes(45), LatencyMs = 5 },
                Prediction("before", 1, Arms.Champion) with { At = T0.AddTicks(-10) },
                Prediction("at-to", 1, Arms.Champion) with { At = T0.AddHours(1) },
                Prediction("other", 1, Arms.Champion) with { Service = "search" },
            ],
            Ct);
        await Store.RecordOutcomesAsync(
            [
                Outcome("c1", "accepted", "true", 1),
                Outcome("c1", "label", "\"spam\"", null),
                Outcome("c2", "accepted", "false", 0),
                Outcome("c3", "accepted", "true", 1),
                Outcome("k2", "accepted", "true", 1),
                Outcome("before", "accepted", "true", 1),
                Outcome("other", "accepted", "true", 1),
            ],
            Ct);
        var query = new ArmCountsQuery("shop", T0, T0.AddHours(1), MaturedBefore: T0.AddMinutes(30), LatencyThresholdMs: 20);

        var counts = await Store.GetArmCountsAsync(query, Ct);
        var withoutThreshold = await Store.GetArmCountsAsync(query with { LatencyThresholdMs = null }, Ct);

        Assert.Equal(2, counts.Count);
        var champion = counts[0];
        Assert.Equal((1, Arms.Champion, (string?)null, 3L, 1L, 2L, 2L), (champion.Version, champion.Arm, champion.Segment, champion.Requests, champion.Errors, champion.OverLatency, champion.Matured));
        // c1's label outcome is also an accuracy trial; its output has no label, so it is not a match.
        Assert.Equal([new OutcomeCount("accepted", 2, 1), new OutcomeCount("accuracy", 1, 0), new OutcomeCount("label", 1, 0)], champion.Outcomes);
        var canary = counts[1];
        Assert.Equal((2, Arms.Canary, (string?)null, 2L, 0L, 1L, 1L), (canary.Version, canary.Arm, canary.Segment, canary.Requests, canary.Errors, canary.OverLatency, canary.Matured));
        Assert.Empty(canary.Outcomes);
        Assert.All(withoutThreshold, c => Assert.Equal(0, c.OverLatency));
        Assert.Equal([3L, 2L], withoutThreshold.Select(c => c.Requests));
        Assert.Empty(await Store.GetArmCountsAsync(query with { Service = "nope" }, Ct));
    }

    [Fact]
    public async Task GetArmCounts_BySegmentAttribute_SplitsByItsTextAndPutsMissingOrNullInTheNullSegment()
    {
        await Store.WritePredictionsAsync(
            [
                Prediction("s1", 1, Arms.Champion) with { Attributes = "{\"country\":\"DE\",\"tier\":2,\"vip\":true,\"user-tier\":\"gold\"}" },
                Prediction("s2", 1, Arms.Champion) with { Attributes = "{\"country\":\"FR\",\"tier\":2.5,\"vip\":false}" },
                Prediction("s3", 1, Arms.Champion) with { Attributes = "{\"country\":\"DE\"}" },
                Prediction("s4", 1, Arms.Champion) with { Attributes = "{}" },
                Prediction("s5", 1, Arms.Champion) with { Attributes = "{\"country\":null}" },
                Prediction("s6", 2, Arms.Canary) with { Attributes = "{\"country\":\"DE\"}" },
            ],
            Ct);
        await Store.RecordOutcomesAsync([Outcome("s1", "accepted", "true", 1), Outcome("s3", "accepted", "false", 0), Outcome("s6", "accepted", "true", 1)], Ct);
        var query = new ArmCountsQuery("shop", T0, T0.AddHours(1), MaturedBefore: T0.AddHours(1));

        async Task<(int, string?, long, long)[]> SegmentsAsync(string attribute) =>
            [.. (await Store.GetArmCountsAsync(query with { SegmentAttribute = attribute }, Ct)).Select(c => (c.Version, c.Segment, c.Requests, c.Outcomes.Sum(o => o.Count)))];

        Assert.Equal([(1, null, 2L, 0L), (1, "DE", 2L, 2L), (1, "FR", 1L, 0L), (2, "DE", 1L, 1L)], await SegmentsAsync("country"));
        Assert.Equal([(1, null, 3L, 1L), (1, "2", 1L, 1L), (1, "2.5", 1L, 0L), (2, null, 1L, 1L)], await SegmentsAsync("tier"));
        Assert.Equal([(1, null, 3L, 1L), (1, "false", 1L, 0L), (1, "true", 1L, 1L), (2, null, 1L, 1L)], await SegmentsAsync("vip"));
        Assert.Equal([(1, null, 4L, 1L), (1, "gold", 1L, 1L), (2, null, 1L, 1L)], await SegmentsAsync("user-tier"));
        var de = (await Store.GetArmCountsAsync(query with { SegmentAttribute = "country" }, Ct)).Single(c => c is { Version: 1, Segment: "DE" });
        Assert.Equal([new OutcomeCount("accepted", 2, 1)], de.Outcomes);
    }

    [Theory]
    [InlineData("country') FROM predictions; DROP TABLE predictions; --")]
    [InlineData("country\" OR 1=1 --")]
    [InlineData("country'||(SELECT secret_hash FROM api_keys)||'")]
    [InlineData("a.b")]
    [InlineData("$")]
    [InlineData("")]
    public async Task GetArmCounts_HostileSegmentAttribute_IsRejectedAndRunsNoSql(string attribute)
    {
        await Store.WritePredictionsAsync([Prediction("r1", 1, Arms.Champion)], Ct);

        await Assert.ThrowsAsync<ArgumentException>(() =>
            Store.GetArmCountsAsync(new ArmCountsQuery("shop", T0, T0.AddHours(1), T0, SegmentAttribute: attribute), Ct));

        Assert.NotNull(await Store.GetPredictionAsync("r1", Ct));
        Assert.Equal(1, Assert.Single(await Store.GetArmCountsAsync(new ArmCountsQuery("shop", T0, T0.AddHours(1), T0), Ct)).Requests);
    }

    // API keys

    [Fact]
    public async Task CreateKey_ThenGetAndList_AndDuplicateIdIsConflict()
    {
        var key = Key("k1");
        var created = (await Store.CreateKeyAsync(key, Alice, Ct)).Unwrap();
        await Store.CreateKeyAsync(Key("k0") with { CreatedAt = T0.AddMinutes(1) }, Alice, Ct);

        var duplicate = await Store.CreateKeyAsync(key with { Name = "other" }, Alice, Ct);

        Assert.Equal(key, created);
        Assert.Equal(key, await Store.GetKeyAsync("k1", Ct));
        Assert.Null(await Store.GetKeyAsync("nope", Ct));
        Assert.Equal(["k1", "k0"], (await Store.ListKeysAsync(Ct)).Select(k => k.Id));
        Assert.Equal(FailureKind.Conflict, duplicate.Failure?.Kind);
        Assert.Equal("ci", (await Store.GetKeyAsync("k1", Ct))?.Name);
    }

    [Fact]
    public async Task CreateKey_WritesKeyCreatedAuditWithoutTheSecretHash()
    {
        var key = Key("k1");
        await Store.CreateKeyAsync(key, Alice, Ct);

        var audit = Assert.Single(await Store.QueryAuditAsync(new AuditQuery(Action: AuditActions.KeyCreated), Ct));

        Assert.Equal(("key/k1", (string?)null), (audit.Target, audit.Service));
        Assert.Contains("\"ci\"", audit.After, StringComparison.Ordinal);
        Assert.DoesNotContain(key.SecretHash, audit.After, StringComparison.Ordinal);
        Assert.DoesNotContain("secret", audit.After, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RevokeKey_SetsRevokedAtAndAudits_UnknownIsNotFound_AgainIsConflict()
    {
        await Store.CreateKeyAsync(Key("k1"), Alice, Ct);
        var when = Alice with { At = T0.AddHours(1) };

        var revoked = (await Store.RevokeKeyAsync("k1", when, Ct)).Unwrap();
        var unknown = await Store.RevokeKeyAsync("nope", when, Ct);
        var again = await Store.RevokeKeyAsync("k1", Alice with { At = T0.AddHours(2) }, Ct);

        Assert.Equal(T0.AddHours(1), revoked.RevokedAt);
        Assert.Equal(revoked, await Store.GetKeyAsync("k1", Ct));
        Assert.False(revoked.Allows(ApiScopes.Read));
        Assert.Equal(FailureKind.NotFound, unknown.Failure?.Kind);
        Assert.Equal(FailureKind.Conflict, again.Failure?.Kind);
        var audit = Assert.Single(await Store.QueryAuditAsync(new AuditQuery(Action: AuditActions.KeyRevoked), Ct));
        Assert.Equal("key/k1", audit.Target);
        Assert.DoesNotContain(Key("k1").SecretHash, audit.Before + audit.After, StringComparison.Ordinal);
    }

    // Changes

    [Fact]
    public async Task Changed_IsRaisedOnceAfterEachControlPlaneChange_AndNotForFailures()
    {
        var changes = new ConcurrentQueue<ControlPlaneChange>();
        Store.Changed += (_, change) => changes.Enqueue(change);

        await Store.CreateServiceAsync(Service("shop"), Alice, Ct);
        await Store.CreateServiceAsync(Service("shop"), Alice, Ct);
        await Store.RegisterVersionAsync(Draft("shop"), Alice, Ct);
        await Store.UpdateAliasesAsync("shop", 0, AliasSet.Empty with { Champion = 1 }, AuditActions.AliasSet, Alice, Ct);
        await Store.UpdateAliasesAsync("shop", 0, AliasSet.Empty with { Champion = 1 }, AuditActions.AliasSet, Alice, Ct);
        await Store.CreateKeyAsync(Key("k1"), Alice, Ct);
        await Store.RevokeKeyAsync("k1", Alice, Ct);
        await Store.RevokeKeyAsync("k1", Alice, Ct);
        await SettleAsync();

        Assert.Equal(
            [
                new ControlPlaneChange("shop", AuditActions.ServiceCreated),
                new ControlPlaneChange("shop", AuditActions.VersionRegistered),
                new ControlPlaneChange("shop", AuditActions.AliasSet),
                new ControlPlaneChange(null, AuditActions.KeyCreated),
                new ControlPlaneChange(null, AuditActions.KeyRevoked),
            ],
            changes.Where(c => c.What != SettleMarker));
    }

    [Fact]
    public async Task Changed_IsRaisedOnceAfterEachFlagAndReleaseChange_WithItsService_AndNotForFailures()
    {
        await CreateServiceWithVersionsAsync("shop", 2);
        await SettleAsync();
        var changes = new ConcurrentQueue<ControlPlaneChange>();
        Store.Changed += (_, change) => changes.Enqueue(change);

        await Store.CreateFlagAsync(Flag("shop-banner", "shop"), Alice, Ct);
        await Store.CreateFlagAsync(Flag("shop-banner", "shop"), Alice, Ct);
        await Store.CreateFlagAsync(Flag("global", null), Alice, Ct);
        await Store.UpdateFlagAsync("shop-banner", 1, "{}", "flag.changed", Alice, Ct);
        await Store.UpdateFlagAsync("shop-banner", 1, "{}", "flag.changed", Alice, Ct);
        await Store.CreateReleaseAsync(Release("rel-1"), Started("rel-1"), Alice, Ct);
        await Store.CreateReleaseAsync(Release("rel-2"), Started("rel-2"), Alice, Ct);
        await Store.AmendReleaseAsync("rel-1", 1, "{}", Transition("rel-1", "shadowing", "shadowing"), Alice, Ct);
        await Store.UpdateReleaseAsync("rel-1", 2, "promoted", false, "{}", Transition("rel-1", "shadowing", "promoted"), "release.promoted", Alice, Ct);
        await Store.UpdateReleaseAsync("rel-1", 2, "promoted", false, "{}", Transition("rel-1", "shadowing", "promoted"), "release.promoted", Alice, Ct);
        await SettleAsync();

        Assert.Equal(
            [
                new ControlPlaneChange("shop", "flag.created"),
                new ControlPlaneChange(null, "flag.created"),
                new ControlPlaneChange("shop", "flag.changed"),
                new ControlPlaneChange("shop", "release.started"),
                new ControlPlaneChange("shop", "release.amended"),
                new ControlPlaneChange("shop", "release.promoted"),
            ],
            changes.Where(c => c.What != SettleMarker));
    }

    [Fact]
    public async Task Timestamps_KeepTheInstantToTheMicrosecond_InUtc()
    {
        var precise = new DateTimeOffset(2025, 6, 30, 23, 59, 59, TimeSpan.FromHours(-5)).AddTicks(9_999_999);
        await Store.WritePredictionsAsync([Prediction("r1", 1, Arms.Champion) with { At = precise }], Ct);

        var at = (await Store.GetPredictionAsync("r1", Ct))!.At;

        Assert.Equal(TimeSpan.Zero, at.Offset);
        Assert.Equal(precise.UtcTicks - 9, at.UtcTicks);
    }

    /// <summary>Waits until the announcements of this store's own changes have come back from the database, if it sends any.</summary>
    protected virtual Task SettleAsync() => Task.CompletedTask;

    protected static ServiceDefinition Service(string name) => new(
        name,
        "the shop's model",
        [new FeatureSpec("price", FeatureType.Number, Min: 0), new FeatureSpec("country", FeatureType.Category, Nullable: true, Categories: ["DE", "FR"])],
        new OutputSpec(OutputKind.Probability, "probability of a purchase"),
        T0);

    protected static ModelVersionDraft Draft(string service) => new(service, new BackendSpec(BackendKind.Onnx, "/models/shop.onnx"));

    protected static PredictionRecord Prediction(string requestId, int version, string arm) => new(
        requestId, T0, "shop", version, arm, "user-1", "{\"country\":\"DE\"}", "{\"price\":10}", "{\"probability\":0.5}", 12.5, null);

    protected static FeedbackOutcome Outcome(string requestId, string name, string value, double? numeric) => new(requestId, name, value, numeric, T0);

    protected static ApiKey Key(string id) => new(id, "ci", ApiScopes.Predict | ApiScopes.Read, new string('a', 64), T0);

    protected static StoredFlag Flag(string key, string? service) => new(key, service, "{\"key\":\"" + key + "\",\"on\":true}", 1, T0);

    protected static StoredRelease Release(string id, string service = "shop", int challenger = 2) =>
        new(id, service, challenger, "shadowing", true, "{\"strategy\":\"canary\",\"steps\":[5,25,100]}", "{\"step\":0}", 1, T0, T0);

    protected static ReleaseEvent Started(string releaseId) => new(0, releaseId, T0, "pending", "shadowing", "alice", "started by alice", null);

    protected static ReleaseEvent Transition(string releaseId, string from, string to) => new(0, releaseId, T0, from, to, "alice", $"{from} to {to}", "{\"n\":1}");

    protected async Task CreateServiceWithVersionsAsync(string service, int versions)
    {
        (await Store.CreateServiceAsync(Service(service), Alice, Ct)).Unwrap();
        for (var i = 0; i < versions; i++)
        {
            (await Store.RegisterVersionAsync(Draft(service), Alice, Ct)).Unwrap();
        }
    }

    private static void AssertSameService(ServiceDefinition expected, ServiceDefinition actual)
    {
        Assert.Equal(expected.Name, actual.Name);
        Assert.Equal(expected.Description, actual.Description);
        Assert.Equal(expected.Output, actual.Output with { Classes = expected.Output.Classes });
        Assert.Equal(expected.CreatedAt, actual.CreatedAt);
        Assert.Equal(VigilJson.Serialize(expected.Inputs), VigilJson.Serialize(actual.Inputs));
    }
}

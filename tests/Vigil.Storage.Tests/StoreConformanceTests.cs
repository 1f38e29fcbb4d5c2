using System.Collections.Concurrent;
using System.Text.Json;
using Vigil.Access;
using Vigil.Audit;
using Vigil.Predictions;
using Vigil.Registry;
using Vigil.Storage.Migrations;

namespace Vigil.Storage.Tests;

/// <summary>
/// The contract of <see cref="IVigilStore"/>, run against every store: each store's test class inherits these facts
/// and supplies a fresh, empty store per test.
/// </summary>
public abstract class StoreConformanceTests : IAsyncLifetime
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
        var full = Prediction("r1", 1, Arms.Canary) with { Key = "user-1", Outputs = "{\"probability\":0.7}", Error = null };
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

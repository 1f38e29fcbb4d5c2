using Vigil.Audit;
using Vigil.Persistence;
using Vigil.Predictions;
using Vigil.Registry;
using Vigil.Storage.Migrations;

namespace Vigil.Storage.Tests;

/// <summary>
/// A store created by an older Vigil is migrated, never dropped: on both stores, a database left at every earlier
/// schema version, holding what that version could hold, is brought to the latest version by the next start and keeps
/// all of it.
/// </summary>
public abstract partial class StoreConformanceTests
{
    /// <summary>Every schema version older than this Vigil's.</summary>
    public static TheoryData<int> OlderSchemaVersions => [.. SchemaMigrations.All.Select(m => m.Version).Where(v => v < SchemaMigrations.Latest)];

    /// <summary>A second store on a database of its own, empty and not migrated (the test migrates it as far as it wants).</summary>
    protected abstract Task<IVigilStore> CreateEmptyStoreAsync();

    [Theory]
    [MemberData(nameof(OlderSchemaVersions))]
    public async Task Migrate_StoreLeftAtAnOlderSchemaVersion_ReachesTheLatestAndKeepsEverything(int olderVersion)
    {
        await using var store = await CreateEmptyStoreAsync();
        var old = Assert.IsAssignableFrom<SqlStore>(store);
        await old.MigrateToAsync(olderVersion, Ct);
        Assert.Equal(olderVersion, (await store.CheckAsync(Ct)).SchemaVersion);
        Assert.False((await store.CheckAsync(Ct)).Ready);

        // What a Vigil at that version could hold. Predictions are written with today's columns, which exist from version 5.
        (await store.CreateServiceAsync(Service("shop"), Alice, Ct)).Unwrap();
        (await store.RegisterVersionAsync(Draft("shop"), Alice, Ct)).Unwrap();
        (await store.RegisterVersionAsync(Draft("shop"), Alice, Ct)).Unwrap();
        (await store.UpdateAliasesAsync("shop", 0, AliasSet.Empty with { Champion = 2, PreviousChampion = 1 }, "alias.set", Alice, Ct)).Unwrap();
        var hasOutcomes = olderVersion >= 2;
        var hasKeys = olderVersion >= 3;
        var hasPredictionColumns = olderVersion >= 5;
        if (hasOutcomes)
        {
            Assert.Equal(new FeedbackResult(2, 0), await store.RecordOutcomesAsync([Outcome("r1", "accepted", "true", 1), Outcome("r2", "accepted", "false", 0)], Ct));
        }

        if (hasKeys)
        {
            (await store.CreateKeyAsync(Key("k1"), Alice, Ct)).Unwrap();
        }

        if (hasPredictionColumns)
        {
            await store.WritePredictionsAsync([Prediction("r1", 2, Arms.Champion), Prediction("r2", 2, Arms.Champion)], Ct);
        }

        var auditBefore = await store.QueryAuditAsync(new AuditQuery(), Ct);
        var historyBefore = await store.GetAliasHistoryAsync("shop", Ct);

        // The next start: the missing steps are applied, once.
        await store.MigrateAsync(Ct);
        await store.MigrateAsync(Ct);

        var health = await store.CheckAsync(Ct);
        Assert.True(health.Ready, health.Error);
        Assert.Equal(SchemaMigrations.Latest, health.SchemaVersion);
        Assert.Equal("shop", (await store.GetServiceAsync("shop", Ct))?.Name);
        Assert.Equal([1, 2], (await store.ListVersionsAsync("shop", Ct)).Select(v => v.Number));
        Assert.Equal(new AliasSet(2, null, 1, 1), await store.GetAliasesAsync("shop", Ct));
        Assert.Equal(auditBefore, await store.QueryAuditAsync(new AuditQuery(), Ct));
        Assert.Equal(historyBefore, await store.GetAliasHistoryAsync("shop", Ct));
        if (hasOutcomes)
        {
            Assert.Equal([Outcome("r1", "accepted", "true", 1)], await store.GetOutcomesAsync("r1", Ct));
        }

        Assert.Equal(hasKeys, await store.GetKeyAsync("k1", Ct) is not null);
        if (hasPredictionColumns)
        {
            Assert.Equal(Prediction("r1", 2, Arms.Champion), await store.GetPredictionAsync("r1", Ct));
            Assert.Equal(2, Assert.Single(await store.GetTrafficAsync("shop", null, Ct)).Requests);
        }

        // What later versions added works on the migrated store, next to the old data.
        (await store.CreateKeyAsync(Key("k2"), Alice, Ct)).Unwrap();
        (await store.CreateFlagAsync(Flag("checkout", "shop"), Alice, Ct)).Unwrap();
        await store.WritePredictionsAsync([Prediction("r3", 2, Arms.Champion) with { FlagKey = "checkout", FlagReason = "SPLIT" }], Ct);
        Assert.Equal("checkout", (await store.GetPredictionAsync("r3", Ct))?.FlagKey);
        (await store.RegisterVersionAsync(Draft("shop"), Alice, Ct)).Unwrap();
        Assert.Equal([1, 2, 3], (await store.ListVersionsAsync("shop", Ct)).Select(v => v.Number));
    }
}

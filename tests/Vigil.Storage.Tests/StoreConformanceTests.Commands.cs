using System.Collections.Concurrent;
using Vigil.Audit;
using Vigil.Monitoring;
using Vigil.Persistence;
using Vigil.Profiles;
using Vigil.Registry;
using Vigil.Releases;
using Vigil.Routing.Flags;

namespace Vigil.Storage.Tests;

/// <summary>
/// The store commands that change several tables at once (start a release with its flag and challenger alias; a release
/// decision with its alias move and flag switch; a version with its baseline and alias): each is one transaction, so a
/// failure between its parts, injected through <see cref="SqlStore.PartWritten"/>, leaves nothing of it behind.
/// </summary>
public abstract partial class StoreConformanceTests
{
    private sealed class InjectedFault(string part) : Exception($"fault injected after the '{part}' part");

    [Fact]
    public async Task StartRelease_StoresTheReleaseItsFlagAndTheChallengerAlias_Together()
    {
        await CreateServiceWithVersionsAsync("shop", 2);
        var champion = (await Store.UpdateAliasesAsync("shop", 0, AliasSet.Empty with { Champion = 1 }, AuditActions.AliasSet, Alice, Ct)).Unwrap();
        var changes = RecordChanges();

        var started = (await Store.StartReleaseAsync(ReleaseStartFor("rel-1"), Alice, Ct)).Unwrap();

        Assert.Equal(1, started.Revision);
        Assert.NotNull(await Store.GetReleaseAsync("rel-1", Ct));
        var flag = await Store.GetFlagAsync("rel-1", Ct);
        Assert.NotNull(flag);
        Assert.Equal(("shop", 1L), (flag.Service, flag.Revision));
        Assert.True(VigilJson.Deserialize<FlagDefinition>(flag.Definition)!.Enabled);
        var aliases = await Store.GetAliasesAsync("shop", Ct);
        Assert.Equal((1, 2, champion.Revision + 1), (aliases.Champion, aliases.Challenger, aliases.Revision));
        var audit = (await Store.QueryAuditAsync(new AuditQuery(Service: "shop"), Ct)).Select(e => (e.Action, e.Reason)).Take(3).Reverse().ToList();
        Assert.Equal(
            [
                ("release.started", "because"),
                (AuditActions.FlagCreated, "the release flag of rel-1, created with the release"),
                (AuditActions.AliasSet, "challenger of release rel-1"),
            ],
            audit);
        await SettleAsync();
        Assert.Equal(["release.started", AuditActions.FlagCreated, AuditActions.AliasSet], changes.Where(c => c.What != SettleMarker).Select(c => c.What));
    }

    [Fact]
    public async Task StartRelease_ChallengerAlreadySet_LeavesTheAliasesAsTheyAre()
    {
        await CreateServiceWithVersionsAsync("shop", 2);
        var set = (await Store.UpdateAliasesAsync("shop", 0, AliasSet.Empty with { Champion = 1, Challenger = 2 }, AuditActions.AliasSet, Alice, Ct)).Unwrap();

        (await Store.StartReleaseAsync(ReleaseStartFor("rel-1"), Alice, Ct)).Unwrap();

        Assert.Equal(set.Revision, (await Store.GetAliasesAsync("shop", Ct)).Revision);
    }

    [Fact]
    public async Task StartRelease_FlagKeyTaken_IsAConflict_AndLeavesNoReleaseNorAliasBehind()
    {
        await CreateServiceWithVersionsAsync("shop", 2);
        (await Store.CreateFlagAsync(Flag("rel-1", "shop"), Alice, Ct)).Unwrap();

        var started = await Store.StartReleaseAsync(ReleaseStartFor("rel-1"), Alice, Ct);

        Assert.Equal(FailureKind.Conflict, started.Failure?.Kind);
        Assert.Null(await Store.GetReleaseAsync("rel-1", Ct));
        Assert.Empty(await Store.ListReleasesAsync("shop", activeOnly: false, Ct));
        Assert.Equal(AliasSet.Empty, await Store.GetAliasesAsync("shop", Ct));
        Assert.Empty(await Store.QueryAuditAsync(new AuditQuery(Action: "release.started"), Ct));
        Assert.Equal(Flag("rel-1", "shop").Definition, (await Store.GetFlagAsync("rel-1", Ct))!.Definition);
    }

    [Theory]
    [InlineData("release")]
    [InlineData("flag")]
    [InlineData("aliases")]
    public async Task StartRelease_FailureBetweenItsParts_LeavesNothingHalfWritten(string part)
    {
        await CreateServiceWithVersionsAsync("shop", 2);
        var before = await AuditCountAsync();
        FailAfter(part);

        await Assert.ThrowsAsync<InjectedFault>(() => Store.StartReleaseAsync(ReleaseStartFor("rel-1"), Alice, Ct));

        FailAfter(null);
        Assert.Null(await Store.GetReleaseAsync("rel-1", Ct));
        Assert.Empty(await Store.GetReleaseEventsAsync("rel-1", Ct));
        Assert.Null(await Store.GetFlagAsync("rel-1", Ct));
        Assert.Equal(AliasSet.Empty, await Store.GetAliasesAsync("shop", Ct));
        Assert.Empty(await Store.GetAliasHistoryAsync("shop", Ct));
        Assert.Equal(before, await AuditCountAsync());
        // And the store still works: the same start goes through once the fault is gone.
        (await Store.StartReleaseAsync(ReleaseStartFor("rel-1"), Alice, Ct)).Unwrap();
    }

    [Fact]
    public async Task ChangeRelease_KillSwitch_PausesTheReleaseAndSwitchesItsFlagOff_AndResumeTurnsItBackOn()
    {
        await CreateServiceWithVersionsAsync("shop", 2);
        var release = (await Store.StartReleaseAsync(ReleaseStartFor("rel-1"), Alice, Ct)).Unwrap();
        var pager = Alice with { Actor = "bob", Reason = "pager" };

        var paused = (await Store.ChangeReleaseAsync(
            new ReleaseUpdate("rel-1", release.Revision, "paused", true, "{\"killed\":true}", Transition("rel-1", "shadowing", "paused"), ReleaseActions.Paused)
            {
                Flag = new ReleaseFlagSwitch(false, pager),
            },
            Alice,
            Ct)).Unwrap();

        Assert.Equal(("paused", 2L), (paused.Status, paused.Revision));
        Assert.False(await ReleaseFlagEnabledAsync("rel-1"));
        var disabled = Assert.Single(await Store.QueryAuditAsync(new AuditQuery(Action: AuditActions.FlagDisabled), Ct));
        Assert.Equal(("bob", "pager", "shop/flags/rel-1"), (disabled.Actor, disabled.Reason, disabled.Target));
        // The flag's audit event comes first, as when a person flips a switch before the release follows it.
        var pausedAudit = Assert.Single(await Store.QueryAuditAsync(new AuditQuery(Action: ReleaseActions.Paused), Ct));
        Assert.True(disabled.Id < pausedAudit.Id);

        var resumed = (await Store.ChangeReleaseAsync(
            new ReleaseUpdate("rel-1", paused.Revision, "shadowing", true, "{}", Transition("rel-1", "paused", "shadowing"), "release.resumed")
            {
                Flag = new ReleaseFlagSwitch(true),
            },
            Alice,
            Ct)).Unwrap();

        Assert.Equal("shadowing", resumed.Status);
        Assert.True(await ReleaseFlagEnabledAsync("rel-1"));
        var enabled = Assert.Single(await Store.QueryAuditAsync(new AuditQuery(Action: AuditActions.FlagEnabled), Ct));
        Assert.Equal(("alice", "because"), (enabled.Actor, enabled.Reason));
    }

    [Fact]
    public async Task ChangeRelease_StaleRevision_IsAConflict_AndLeavesTheFlagAlone()
    {
        await CreateServiceWithVersionsAsync("shop", 2);
        var release = (await Store.StartReleaseAsync(ReleaseStartFor("rel-1"), Alice, Ct)).Unwrap();

        var stale = await Store.ChangeReleaseAsync(
            new ReleaseUpdate("rel-1", release.Revision + 1, "paused", true, "{}", Transition("rel-1", "shadowing", "paused"), ReleaseActions.Paused)
            {
                Flag = new ReleaseFlagSwitch(false),
            },
            Alice,
            Ct);

        Assert.Equal(FailureKind.Conflict, stale.Failure?.Kind);
        Assert.True(await ReleaseFlagEnabledAsync("rel-1"));
        Assert.Equal(release.Revision, (await Store.GetReleaseAsync("rel-1", Ct))!.Revision);
        Assert.Empty(await Store.QueryAuditAsync(new AuditQuery(Action: AuditActions.FlagDisabled), Ct));
    }

    [Fact]
    public async Task ChangeRelease_Promotion_MovesTheAliasesEndsTheReleaseAndTurnsItsFlagOff_Together()
    {
        await CreateServiceWithVersionsAsync("shop", 2);
        (await Store.UpdateAliasesAsync("shop", 0, AliasSet.Empty with { Champion = 1 }, AuditActions.AliasSet, Alice, Ct)).Unwrap();
        var release = (await Store.StartReleaseAsync(ReleaseStartFor("rel-1"), Alice, Ct)).Unwrap();
        var controller = new AuditContext(ReleaseActions.Controller, T0, "release rel-1 ended: promoted");

        var promoted = (await Store.ChangeReleaseAsync(PromotionOf(release, controller), Alice, Ct)).Unwrap();

        Assert.Equal(("promoted", false), (promoted.Status, promoted.Active));
        var aliases = await Store.GetAliasesAsync("shop", Ct);
        Assert.Equal((2, (int?)1), (aliases.Champion, aliases.PreviousChampion));
        Assert.False(await ReleaseFlagEnabledAsync("rel-1"));
        var disabled = Assert.Single(await Store.QueryAuditAsync(new AuditQuery(Action: AuditActions.FlagDisabled), Ct));
        Assert.Equal((ReleaseActions.Controller, "release rel-1 ended: promoted"), (disabled.Actor, disabled.Reason));
    }

    [Theory]
    [InlineData("aliases")]
    [InlineData("release")]
    [InlineData("flag")]
    public async Task ChangeRelease_FailureBetweenItsParts_LeavesNothingHalfWritten(string part)
    {
        await CreateServiceWithVersionsAsync("shop", 2);
        (await Store.UpdateAliasesAsync("shop", 0, AliasSet.Empty with { Champion = 1 }, AuditActions.AliasSet, Alice, Ct)).Unwrap();
        var release = (await Store.StartReleaseAsync(ReleaseStartFor("rel-1"), Alice, Ct)).Unwrap();
        var aliases = await Store.GetAliasesAsync("shop", Ct);
        var flag = await Store.GetFlagAsync("rel-1", Ct);
        var before = await AuditCountAsync();
        FailAfter(part);

        await Assert.ThrowsAsync<InjectedFault>(() => Store.ChangeReleaseAsync(PromotionOf(release, null), Alice, Ct));

        FailAfter(null);
        Assert.Equal(release, await Store.GetReleaseAsync("rel-1", Ct));
        Assert.Single(await Store.GetReleaseEventsAsync("rel-1", Ct));
        Assert.Equal(aliases, await Store.GetAliasesAsync("shop", Ct));
        Assert.Equal(flag, await Store.GetFlagAsync("rel-1", Ct));
        Assert.Equal(before, await AuditCountAsync());
        (await Store.ChangeReleaseAsync(PromotionOf(release, null), Alice, Ct)).Unwrap();
    }

    [Fact]
    public async Task RegisterVersion_WithBaselineAndAlias_StoresAllThree()
    {
        await CreateServiceWithVersionsAsync("shop", 1);

        var registered = (await Store.RegisterVersionAsync(new VersionRegistration(Draft("shop"), AliasNames.Champion, Baseline()), Alice, Ct)).Unwrap();

        Assert.Equal(2, registered.Version.Number);
        Assert.Equal(2, registered.Aliases.Champion);
        Assert.Equal(registered.Aliases, await Store.GetAliasesAsync("shop", Ct));
        var baseline = await Store.GetBaselineAsync("shop", 2, Ct);
        Assert.NotNull(baseline);
        Assert.Equal((200L, "training", "alice"), (baseline.Rows, baseline.Source, baseline.CreatedBy));
        Assert.Equal(["price"], baseline.Profiles.Keys);
        Assert.Equal(
            [AuditActions.VersionRegistered, MonitoringAuditActions.BaselineSet, AuditActions.AliasSet],
            (await Store.QueryAuditAsync(new AuditQuery(Service: "shop"), Ct)).Select(e => e.Action).Take(3).Reverse());
    }

    [Fact]
    public async Task RegisterVersion_AliasThatCannotBeSetAtRegistration_IsInvalid_AndRegistersNothing()
    {
        await CreateServiceWithVersionsAsync("shop", 1);

        var refused = await Store.RegisterVersionAsync(new VersionRegistration(Draft("shop"), AliasNames.PreviousChampion), Alice, Ct);

        Assert.Equal(FailureKind.Invalid, refused.Failure?.Kind);
        Assert.Single(await Store.ListVersionsAsync("shop", Ct));
    }

    [Theory]
    [InlineData("version")]
    [InlineData("baseline")]
    [InlineData("aliases")]
    public async Task RegisterVersion_FailureBetweenItsParts_LeavesNothingHalfWritten(string part)
    {
        await CreateServiceWithVersionsAsync("shop", 1);
        var before = await AuditCountAsync();
        FailAfter(part);

        await Assert.ThrowsAsync<InjectedFault>(() => Store.RegisterVersionAsync(new VersionRegistration(Draft("shop"), AliasNames.Challenger, Baseline()), Alice, Ct));

        FailAfter(null);
        Assert.Single(await Store.ListVersionsAsync("shop", Ct));
        Assert.Null(await Store.GetBaselineAsync("shop", 2, Ct));
        Assert.Equal(AliasSet.Empty, await Store.GetAliasesAsync("shop", Ct));
        Assert.Equal(before, await AuditCountAsync());
        // The number was not used up: the next registration gets it.
        Assert.Equal(2, (await Store.RegisterVersionAsync(new VersionRegistration(Draft("shop"), AliasNames.Challenger, Baseline()), Alice, Ct)).Unwrap().Version.Number);
    }

    private static ReleaseStart ReleaseStartFor(string id)
    {
        var release = Release(id) with { Status = "pending" };
        var flag = ReleaseFlag.For(id, release.Service, release.Challenger);
        return new ReleaseStart(release, Started(id), new StoredFlag(flag.Key, release.Service, VigilJson.Serialize(flag), 0, T0));
    }

    private static ReleaseUpdate PromotionOf(StoredRelease release, AuditContext? flagWho) =>
        new(release.Id, release.Revision, "promoted", false, "{\"promoted\":true}", Transition(release.Id, release.Status, "promoted"), ReleaseActions.Promoted)
        {
            Promote = true,
            Flag = new ReleaseFlagSwitch(false, flagWho),
        };

    private static StoredBaseline Baseline()
    {
        var price = FeatureProfile.CreateNumeric(seed: 17);
        price.Add(10);
        return new StoredBaseline("shop", 0, 200, "training", new Dictionary<string, FeatureProfile> { ["price"] = price }, T0, "ignored");
    }

    private void FailAfter(string? part) =>
        ((SqlStore)Store).PartWritten = part is null ? null : written =>
        {
            if (written == part)
            {
                throw new InjectedFault(part);
            }
        };

    private async Task<int> AuditCountAsync() => (await Store.QueryAuditAsync(new AuditQuery(Limit: AuditQuery.MaxLimit), Ct)).Count;

    private async Task<bool> ReleaseFlagEnabledAsync(string key) =>
        VigilJson.Deserialize<FlagDefinition>((await Store.GetFlagAsync(key, Ct))!.Definition)!.Enabled;

    private ConcurrentQueue<ControlPlaneChange> RecordChanges()
    {
        var changes = new ConcurrentQueue<ControlPlaneChange>();
        Store.Changed += (_, change) => changes.Enqueue(change);
        return changes;
    }
}

using System.Text.Json;
using Vigil.Audit;
using Vigil.Persistence;
using Vigil.Predictions;
using Vigil.Releases;
using Vigil.Routing.Flags;
using Vigil.Server.ControlPlane;
using Vigil.Server.Routing;

namespace Vigil.Server.Releases;

/// <summary>
/// Starts releases, applies people's commands and the controller's decisions. Every decision is persisted (with its
/// transition and audit event, under optimistic concurrency) before it takes effect; effects are idempotent, so a crash
/// between the two is completed on the next tick. Several replicas may tick the same release: only one write wins.
/// </summary>
public sealed partial class ReleaseService(IVigilStore store, RoutingState routing, ReleaseNotifier notifier, TimeProvider time, ILogger<ReleaseService> logger)
{
    /// <summary>Validates and stores a release with its flag and the challenger alias (one transaction), and takes its first decision.</summary>
    public async Task<Result<StoredRelease>> StartAsync(ReleasePlan plan, AuditContext who, CancellationToken ct)
    {
        var errors = ReleasePlanValidator.Validate(plan).ToList();
        if (errors.Count > 0)
        {
            return Failure.Invalid($"the release plan has {errors.Count} problem{(errors.Count == 1 ? "" : "s")}", errors);
        }

        if (await store.GetServiceAsync(plan.Service, ct) is null)
        {
            return Failure.NotFound($"there is no service '{plan.Service}'");
        }

        var aliases = await store.GetAliasesAsync(plan.Service, ct);
        var versions = (await store.ListVersionsAsync(plan.Service, ct)).Select(v => v.Number).ToHashSet();
        errors.AddRange(ReleasePlanValidator.ValidateForStart(plan, aliases, versions));
        if (errors.Count > 0)
        {
            return Failure.Invalid($"the release plan has {errors.Count} problem{(errors.Count == 1 ? "" : "s")}", errors);
        }

        var challenger = plan.Challenger!.Value;
        var id = "rel-" + Guid.CreateVersion7(who.At).ToString("N")[..16];
        var release = new StoredRelease(id, plan.Service, challenger, ReleaseStateMachine.Name(ReleasePhase.Pending), true,
            VigilJson.Serialize(plan), VigilJson.Serialize(ReleaseState.Initial), 1, who.At, who.At);
        var first = new ReleaseEvent(0, id, who.At, "none", ReleaseStateMachine.Name(ReleasePhase.Pending), who.Actor, who.Reason ?? "release started", null);
        // The release, its flag and the challenger alias are one store command: all of them or none.
        var flag = ReleaseFlag.For(id, plan.Service, challenger);
        var created = await store.StartReleaseAsync(
            new ReleaseStart(release, first, new StoredFlag(flag.Key, plan.Service, VigilJson.Serialize(flag), 0, who.At)), who, ct);
        if (!created.IsSuccess)
        {
            return created;
        }

        var ticked = await TickAsync(created.Value!, ct);
        await RebuildAsync(ct);
        return ticked;
    }

    /// <summary>Applies a person's command (pause, resume, abort, approve, promote, kill switch).</summary>
    public async Task<Result<StoredRelease>> CommandAsync(string id, ReleaseCommandKind kind, AuditContext who, CancellationToken ct)
    {
        for (var attempt = 0; attempt < 3; attempt++)
        {
            var release = await store.GetReleaseAsync(id, ct);
            if (release is null)
            {
                return Failure.NotFound($"there is no release '{id}'; list them with 'vigil release status'");
            }

            var state = ReadState(release);
            var applied = ReleaseStateMachine.Apply(state, new ReleaseCommand(kind, who.Actor, who.At, who.Reason));
            if (!applied.IsSuccess)
            {
                return applied.Failure!;
            }

            // The kill switch is the release flag: it goes off with the pause, and on again with the resume of a kill-switch
            // pause, in the same transaction. A controller that follows the flag (this replica's or another's) so never sees
            // the flag on while the release is still paused by it, and never resumes it under the person's feet.
            ReleaseFlagSwitch? flag = kind == ReleaseCommandKind.KillSwitchOff || (kind == ReleaseCommandKind.Resume && state.Pause is { KillSwitch: true })
                ? new ReleaseFlagSwitch(kind == ReleaseCommandKind.Resume, who)
                : null;
            var change = applied.Value!;
            var saved = await PersistAsync(release, change.State, change.Transition, who, ct, flag);
            if (saved.Failure is { Kind: FailureKind.Conflict })
            {
                continue;
            }

            if (saved.IsSuccess)
            {
                await RebuildAsync(ct);
            }

            return saved;
        }

        return Failure.Conflict($"release '{id}' kept changing while the command was applied; try again");
    }

    /// <summary>Replaces a running release's plan; the reason is required and the amendment is audited with before and after.</summary>
    public async Task<Result<StoredRelease>> AmendAsync(string id, ReleasePlan plan, AuditContext who, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(who.Reason))
        {
            return Failure.Invalid("an amendment needs a reason: the plan was agreed before the release started");
        }

        var release = await store.GetReleaseAsync(id, ct);
        if (release is null)
        {
            return Failure.NotFound($"there is no release '{id}'");
        }

        var errors = ReleasePlanValidator.Validate(plan).ToList();
        if (plan.Service != release.Service || plan.Challenger != release.Challenger)
        {
            errors.Add("an amendment cannot change the service or the challenger; abort and start a new release");
        }

        if (errors.Count > 0)
        {
            return Failure.Invalid("the amended plan is invalid", errors);
        }

        var transition = new ReleaseEvent(0, id, who.At, release.Status, release.Status, who.Actor, "plan amended: " + who.Reason, null);
        var amended = await store.AmendReleaseAsync(id, release.Revision, VigilJson.Serialize(plan), transition, who, ct);
        if (amended.IsSuccess)
        {
            await RebuildAsync(ct);
        }

        return amended;
    }

    /// <summary>Analyses one release and persists and applies the decision.</summary>
    public async Task<Result<StoredRelease>> TickAsync(StoredRelease release, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        var plan = ReadPlan(release);
        var state = ReadState(release);
        if (state.IsTerminal)
        {
            // The decision was persisted; make sure its effect happened (a crash may have come in between).
            await EffectAsync(release, state, "completing the persisted decision", ct);
            return Result<StoredRelease>.Ok(release);
        }

        var analysis = state.Phase == ReleasePhase.Pending ? null : await AnalyseAsync(release, plan, state, now, ct);
        var decision = ReleaseStateMachine.Decide(state, plan, analysis, now);
        if (decision.Transition is null)
        {
            LastDecisions[release.Id] = decision;
            return Result<StoredRelease>.Ok(release);
        }

        var who = new AuditContext(ReleaseActions.Controller, now, decision.Reason);
        var saved = await PersistAsync(release, decision.State, decision.Transition, who, ct);
        if (saved.Failure is { Kind: FailureKind.Conflict })
        {
            // Another tick (the background controller, or another replica) decided first; its decision stands.
            return await store.GetReleaseAsync(release.Id, ct) is { } fresh ? Result<StoredRelease>.Ok(fresh) : saved;
        }
        if (saved.IsSuccess)
        {
            LastDecisions[release.Id] = decision;
            LogDecision(logger, release.Id, release.Service, decision.Kind.ToString(), decision.Reason);
            await RebuildAsync(ct);
        }

        return saved;
    }

    /// <summary>The controller's latest decision per release in this process (for status).</summary>
    public System.Collections.Concurrent.ConcurrentDictionary<string, ReleaseDecision> LastDecisions { get; } = new(StringComparer.Ordinal);

    /// <summary>Builds the analysis snapshot: challenger arm against champion traffic of the same window, matured outcomes only.</summary>
    public async Task<AnalysisSnapshot> AnalyseAsync(StoredRelease release, ReleasePlan plan, ReleaseState state, DateTimeOffset now, CancellationToken ct)
    {
        var matured = now - plan.EffectiveOutcomeWindow;
        var requirements = AnalysisRequirements.For(plan);
        var shadowing = state.EffectivePhase == ReleasePhase.Shadowing || (state.EffectivePhase == ReleasePhase.AwaitingApproval && state.Step == 0);
        var challengerArm = shadowing ? Arms.Shadow : Arms.Canary;

        // Counts are cumulative since the exposure began (the shadow phase, or the first canary step), so one confidence
        // sequence runs across all steps; control is champion traffic of that same window.
        var from = state.StepStartedAt ?? release.CreatedAt;
        if (!shadowing)
        {
            var events = await store.GetReleaseEventsAsync(release.Id, ct);
            from = events.FirstOrDefault(e => e.To == ReleaseStateMachine.Name(ReleasePhase.Canary))?.At ?? from;
        }

        var thresholds = requirements.LatencyThresholdsMs.Count == 0 ? [(double?)null] : requirements.LatencyThresholdsMs.Select(t => (double?)t).ToList();
        ArmCounts? challenger = null;
        ArmCounts? control = null;
        long samples = 0;
        foreach (var threshold in thresholds)
        {
            var rows = await store.GetArmCountsAsync(new ArmCountsQuery(release.Service, from, now, matured, threshold), ct);
            var mine = rows.Where(r => r.Arm == challengerArm && r.Version == release.Challenger).ToList();
            var theirs = rows.Where(r => r.Arm == Arms.Champion).ToList();
            samples = mine.Sum(r => r.Requests);
            challenger = challenger is null ? ArmCounts.From(mine, threshold) : challenger.With(ArmCounts.From(mine, threshold));
            control = control is null ? ArmCounts.From(theirs, threshold) : control.With(ArmCounts.From(theirs, threshold));
        }

        var segments = new List<SegmentCounts>();
        foreach (var attribute in requirements.SegmentAttributes)
        {
            var rows = await store.GetArmCountsAsync(new ArmCountsQuery(release.Service, from, now, matured, thresholds[0], attribute), ct);
            foreach (var group in rows.Where(r => r.Segment is not null).GroupBy(r => r.Segment!, StringComparer.Ordinal))
            {
                segments.Add(new SegmentCounts(
                    attribute,
                    group.Key,
                    ArmCounts.From(group.Where(r => r.Arm == challengerArm && r.Version == release.Challenger), thresholds[0]),
                    ArmCounts.From(group.Where(r => r.Arm == Arms.Champion), thresholds[0])));
            }
        }

        if (state.StepStartedAt is { } stepStart && stepStart > from)
        {
            var stepRows = await store.GetArmCountsAsync(new ArmCountsQuery(release.Service, stepStart, now, matured), ct);
            samples = stepRows.Where(r => r.Arm == challengerArm && r.Version == release.Challenger).Sum(r => r.Requests);
        }

        return new AnalysisSnapshot(now, samples, challenger ?? ArmCounts.Empty, control ?? ArmCounts.Empty, segments);
    }

    private async Task<Result<StoredRelease>> PersistAsync(
        StoredRelease release, ReleaseState next, ReleaseTransition transition, AuditContext who, CancellationToken ct, ReleaseFlagSwitch? flag = null)
    {
        var saved = await WriteAsync(release, next, transition, who, flag, ct);
        if (saved.IsSuccess && transition.Action is ReleaseActions.RolledBack or ReleaseActions.Promoted or ReleaseActions.Aborted or ReleaseActions.Paused)
        {
            notifier.Notify(new ReleaseNotification(
                transition.Action, release.Id, release.Service, release.Challenger, transition.At, transition.Reason,
                transition.FirstBreachAt, transition.Triggers, transition.Promotion));
        }

        return saved;
    }

    /// <summary>
    /// Persists a decision as one store command: the release's state and transition, the promotion's alias move, and the
    /// release flag (switched by the kill switch, or off once the release ends).
    /// </summary>
    private async Task<Result<StoredRelease>> WriteAsync(StoredRelease release, ReleaseState next, ReleaseTransition transition, AuditContext who, ReleaseFlagSwitch? flag, CancellationToken ct)
    {
        var details = JsonSerializer.Serialize(new { transition.Triggers, transition.Promotion, transition.FirstBreachAt, transition.FromStep, transition.ToStep }, VigilJson.Options);
        var @event = new ReleaseEvent(0, release.Id, transition.At, release.Status, ReleaseStateMachine.Name(next.Phase), transition.Actor, transition.Reason, details);
        if (next.IsTerminal)
        {
            // An ended release's flag is off: it routes nothing, and the flag list says so.
            flag = new ReleaseFlagSwitch(false, new AuditContext(ReleaseActions.Controller, time.GetUtcNow(), $"release {release.Id} ended: {transition.Reason}"));
        }

        var update = new ReleaseUpdate(
            release.Id,
            release.Revision,
            ReleaseStateMachine.Name(next.Phase),
            !next.IsTerminal,
            VigilJson.Serialize(next),
            @event,
            transition.Action)
        {
            Promote = next.Phase == ReleasePhase.Promoted,
            Flag = flag,
        };
        return await store.ChangeReleaseAsync(update, who with { Reason = transition.Reason }, ct);
    }

    /// <summary>
    /// Makes the persisted state true around an ended release: its flag is off. The decision's own command switches it off
    /// already (<see cref="IReleaseStore.ChangeReleaseAsync"/>); this completes a release an older Vigil ended without it.
    /// Traffic follows the routing snapshot.
    /// </summary>
    private async Task EffectAsync(StoredRelease release, ReleaseState state, string reason, CancellationToken ct)
    {
        if (state.IsTerminal)
        {
            // An ended release's flag is off: it routes nothing, and the flag list says so.
            await SetFlagAsync(release, enabled: false, new AuditContext(ReleaseActions.Controller, time.GetUtcNow(), $"release {release.Id} ended: {reason}"), ct);
        }
    }

    /// <summary>
    /// Makes an active release follow its flag (<see cref="ReleaseFlag"/>): off while the release is not paused by the kill
    /// switch pauses it that way; on while it is resumes it. Persisted and audited like a person's command, by the
    /// controller. Called when a flag is switched in this process and on every controller tick (other replicas' switches).
    /// </summary>
    public async Task FollowFlagAsync(string releaseId, CancellationToken ct)
    {
        if (await store.GetReleaseAsync(releaseId, ct) is { } release)
        {
            await FollowFlagAsync(release, ct);
        }
    }

    /// <summary>
    /// The same for a release the caller has just read (the controller's tick). The flag is read from the store, not the
    /// routing snapshot: the kill switch writes the flag and the release's state in one transaction, so a store read never
    /// sees them disagree, while the snapshot may lag behind the state and would resume it.
    /// </summary>
    public async Task FollowFlagAsync(StoredRelease release, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(release);
        if (!release.Active || await store.GetFlagAsync(ReleaseFlag.KeyFor(release.Id), ct) is not { } flag)
        {
            return;
        }

        var enabled = VigilJson.Deserialize<FlagDefinition>(flag.Definition)?.Enabled ?? true;
        var killed = ReadState(release).Pause is { KillSwitch: true };
        if (enabled == !killed)
        {
            return;
        }

        var now = time.GetUtcNow();
        var who = new AuditContext(
            ReleaseActions.Controller,
            now,
            enabled ? $"release flag '{flag.Key}' turned back on" : $"release flag '{flag.Key}' turned off: the kill switch");
        var applied = await CommandAsync(release.Id, enabled ? ReleaseCommandKind.KillSwitchOn : ReleaseCommandKind.KillSwitchOff, who, ct);
        if (!applied.IsSuccess)
        {
            LogFollowFailed(logger, release.Id, applied.Failure!.Message);
        }
    }

    private async Task SetFlagAsync(StoredRelease release, bool enabled, AuditContext who, CancellationToken ct)
    {
        var key = ReleaseFlag.KeyFor(release.Id);
        var set = await FlagEndpoints.SetEnabledAsync(key, enabled, store, who, ct);
        if (!set.IsSuccess && set.Failure!.Kind != FailureKind.NotFound)
        {
            LogFollowFailed(logger, release.Id, set.Failure.Message);
        }
    }

    /// <summary>Rebuilds the routing snapshot (which holds the active releases), so the next request in this process follows the change.</summary>
    private Task RebuildAsync(CancellationToken ct) => routing.RebuildAsync(ct);

    internal static ReleasePlan ReadPlan(StoredRelease release) => VigilJson.Deserialize<ReleasePlan>(release.Plan)!;

    internal static ReleaseState ReadState(StoredRelease release) => VigilJson.Deserialize<ReleaseState>(release.State)!;

    [LoggerMessage(EventId = 1403, Level = LogLevel.Warning, Message = "Release {Release} could not follow its flag: {Error}; the controller tries again next tick")]
    private static partial void LogFollowFailed(ILogger logger, string release, string error);

    [LoggerMessage(EventId = 1400, Level = LogLevel.Information, Message = "Release {Release} of {Service}: {Decision} — {Reason}")]
    private static partial void LogDecision(ILogger logger, string release, string service, string decision, string reason);
}

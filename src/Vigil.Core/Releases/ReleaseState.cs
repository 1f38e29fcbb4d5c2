using System.Text.Json.Serialization;

namespace Vigil.Releases;

/// <summary>Where a release is (docs/releases.md, "State machine"). On the wire: pending, shadowing, canary, awaiting_approval, paused, promoted, rolled_back, aborted — the names of issue 3 and of <see cref="StoredRelease.Status"/>.</summary>
public enum ReleasePhase
{
    /// <summary>Created, not started: the first tick starts it.</summary>
    Pending,

    /// <summary>The challenger receives copies of sampled requests; users see only the champion.</summary>
    Shadowing,

    /// <summary>The challenger serves the weight of step <see cref="ReleaseState.Step"/>.</summary>
    Canary,

    /// <summary>Step <see cref="ReleaseState.Step"/> + 1 waits for a person's approval; the current step keeps serving and its triggers keep being judged.</summary>
    [JsonStringEnumMemberName("awaiting_approval")]
    AwaitingApproval,

    /// <summary>Stopped by a person or the kill switch: nothing advances; triggers are still judged and a breach still rolls back.</summary>
    Paused,

    /// <summary>Terminal: the challenger became champion.</summary>
    Promoted,

    /// <summary>Terminal: a trigger fired; the challenger is out of traffic and the aliases are unchanged.</summary>
    [JsonStringEnumMemberName("rolled_back")]
    RolledBack,

    /// <summary>Terminal: a person stopped the release; the challenger is out of traffic and the aliases are unchanged.</summary>
    Aborted,
}

/// <summary>
/// The persisted state of a release: everything the controller needs to resume after a crash without skipping or
/// repeating a step. Changed only through <see cref="ReleaseStateMachine"/>; each change comes with a
/// <see cref="ReleaseTransition"/> and increments <see cref="Sequence"/> (use it for compare-and-set persistence).
/// </summary>
/// <param name="Phase">The phase.</param>
/// <param name="Step">The current canary step, 1-based; 0 before the first step (pending, shadowing, awaiting approval of step 1).</param>
/// <param name="StepStartedAt">When the current step or shadow phase began: its hold, and its samples, count from here.</param>
/// <param name="PausedFor">Time spent paused since <see cref="StepStartedAt"/>: it does not count towards the hold.</param>
/// <param name="Pause">While paused: since when, the phase to resume, and whether the kill switch did it.</param>
/// <param name="Sequence">The number of transitions so far.</param>
public sealed record ReleaseState(
    ReleasePhase Phase,
    int Step,
    DateTimeOffset? StepStartedAt,
    TimeSpan PausedFor,
    ReleasePause? Pause,
    long Sequence)
{
    /// <summary>A release that has not started.</summary>
    public static ReleaseState Initial { get; } = new(ReleasePhase.Pending, 0, null, TimeSpan.Zero, null, 0);

    /// <summary>True for promoted, rolled back and aborted: nothing changes any more.</summary>
    [JsonIgnore]
    public bool IsTerminal => Phase is ReleasePhase.Promoted or ReleasePhase.RolledBack or ReleasePhase.Aborted;

    /// <summary>The phase that is running, or would run again on resume.</summary>
    [JsonIgnore]
    public ReleasePhase EffectivePhase => Phase == ReleasePhase.Paused && Pause is { } pause ? pause.ResumeTo : Phase;

    /// <summary>How long the current step or shadow phase has run, not counting pauses.</summary>
    public TimeSpan HeldAt(DateTimeOffset now)
    {
        if (StepStartedAt is not { } started)
        {
            return TimeSpan.Zero;
        }

        var paused = PausedFor + (Pause is { } p ? now - p.At : TimeSpan.Zero);
        var held = now - started - paused;
        return held < TimeSpan.Zero ? TimeSpan.Zero : held;
    }
}

/// <summary>How a release was paused.</summary>
/// <param name="At">When.</param>
/// <param name="ResumeTo">The phase it returns to on resume.</param>
/// <param name="KillSwitch">True when the release flag was turned off: the challenger gets no traffic until resumed.</param>
/// <param name="HeldByPerson">True when a person had paused the release before the kill switch was thrown: turning the flag back on returns to that pause, not to the rollout.</param>
public sealed record ReleasePause(DateTimeOffset At, ReleasePhase ResumeTo, bool KillSwitch, bool HeldByPerson = false);

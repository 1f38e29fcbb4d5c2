using Vigil.Routing.Flags;

namespace Vigil.Releases;

/// <summary>
/// What a release state means for traffic: the caller applies it (to the routing snapshot and the release flag) after
/// persisting a transition, and again on restart — it is a function of the state, so applying it twice is harmless.
/// </summary>
/// <param name="ReleaseFlagOn">Whether the release flag is on (off: the challenger gets no traffic at all).</param>
/// <param name="ShadowSamplePpm">Share of requests copied to the challenger, in parts per million.</param>
/// <param name="CanaryWeightPpm">Share of traffic the challenger serves, in parts per million (sticky, see Bucketing).</param>
public sealed record ReleaseTraffic(bool ReleaseFlagOn, int ShadowSamplePpm, int CanaryWeightPpm)
{
    public static ReleaseTraffic None { get; } = new(false, 0, 0);

    /// <summary>The traffic of <paramref name="state"/> under <paramref name="plan"/>.</summary>
    public static ReleaseTraffic For(ReleaseState state, ReleasePlan plan)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(plan);
        var traffic = Of(state.EffectivePhase, state.Step, plan);
        return state.Pause is { KillSwitch: true } ? None : traffic;
    }

    private static ReleaseTraffic Of(ReleasePhase phase, int step, ReleasePlan plan)
    {
        var shadow = plan.Shadow is { } s ? Ppm(s.Sample) : 0;
        return phase switch
        {
            ReleasePhase.Shadowing => new ReleaseTraffic(true, shadow, 0),
            ReleasePhase.Canary or ReleasePhase.AwaitingApproval when step >= 1 && step <= plan.StepList.Count =>
                new ReleaseTraffic(true, 0, Ppm(plan.StepList[step - 1].Weight)),
            ReleasePhase.AwaitingApproval when step == 0 && shadow > 0 => new ReleaseTraffic(true, shadow, 0),
            _ => None,
        };
    }

    private static int Ppm(Percent percent) =>
        Bucketing.TryPercentToPpm(Math.Clamp(percent.Value, 0, 100), out var ppm) ? ppm : (int)Math.Round(Math.Clamp(percent.Value, 0, 100) * Bucketing.PpmPerPercent);
}

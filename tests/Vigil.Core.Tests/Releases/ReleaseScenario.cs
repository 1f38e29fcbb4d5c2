using Vigil.Releases;

namespace Vigil.Core.Tests.Releases;

/// <summary>
/// A deterministic release of <see cref="ReleaseTestPlans.Issue"/> driven hour by hour, as the server's control loop
/// would drive it: the "store" is the JSON of the last persisted state, the "world" counts traffic according to the
/// persisted state, a person pauses at hour 60, resumes at hour 66 and approves three hours after being asked.
/// A crash reloads the state from the store.
/// </summary>
internal static class ReleaseScenario
{
    public static readonly DateTimeOffset T0 = new(2025, 3, 1, 0, 0, 0, TimeSpan.Zero);

    public sealed record Result(List<ReleaseTransition> Transitions, ReleaseState Final, int Ticks, List<int> TransitionTicks);

    public static Result Run(int? crashAfterPersistAt = null, int? crashBeforePersistAt = null, int canaryErrorPercent = 1)
    {
        var plan = ReleaseTestPlans.Issue;
        var world = new World(canaryErrorPercent);
        var store = VigilJson.Serialize(ReleaseState.Initial);
        var log = new List<string>();
        var transitionTicks = new List<int>();
        var state = Load(store);
        var now = T0;
        var tick = 0;
        for (; tick < 24 * 30 && !state.IsTerminal; tick++, now = now.AddHours(1))
        {
            // People act on what they see: the persisted state.
            ReleaseCommand? command = null;
            if (tick == 60 && state.Phase == ReleasePhase.Canary)
            {
                command = new ReleaseCommand(ReleaseCommandKind.Pause, "ana", now, "checking a dashboard");
            }
            else if (tick == 66 && state.Phase == ReleasePhase.Paused)
            {
                command = new ReleaseCommand(ReleaseCommandKind.Resume, "ana", now);
            }
            else if (state.Phase == ReleasePhase.AwaitingApproval && now >= VigilJson.Deserialize<ReleaseTransition>(log[^1])!.At.AddHours(3))
            {
                command = new ReleaseCommand(ReleaseCommandKind.Approve, "ana", now, "numbers look good");
            }

            if (command is not null)
            {
                var change = ReleaseStateMachine.Apply(state, command).Unwrap();
                store = Persist(change.State, change.Transition, log);
                state = change.State;
            }

            var decision = ReleaseStateMachine.Decide(state, plan, world.Snapshot(state, now), now);
            if (decision.Transition is not null)
            {
                if (tick == crashBeforePersistAt)
                {
                    // Killed before persisting: the decision is lost; the restarted controller reloads and runs this tick again.
                    crashBeforePersistAt = null;
                    state = Load(store);
                    decision = ReleaseStateMachine.Decide(state, plan, world.Snapshot(state, now), now);
                }

                store = Persist(decision.State, decision.Transition!, log);
                transitionTicks.Add(tick);
            }

            // Killed after persisting, before acting: the restarted controller reloads the state and re-applies its traffic.
            state = tick == crashAfterPersistAt ? Load(store) : decision.State;
            world.Advance(ReleaseTraffic.For(state, plan));
        }

        return new Result(log.Select(j => VigilJson.Deserialize<ReleaseTransition>(j)!).ToList(), Load(store), tick, transitionTicks);
    }

    private static string Persist(ReleaseState state, ReleaseTransition transition, List<string> log)
    {
        log.Add(VigilJson.Serialize(transition));
        return VigilJson.Serialize(state);
    }

    private static ReleaseState Load(string json) => VigilJson.Deserialize<ReleaseState>(json)!;

    /// <summary>2,000 requests an hour; 70% of tasks completed on both arms; outcomes mature after one hour (the plan's outcome_window).</summary>
    private sealed class World(int canaryErrorPercent)
    {
        private const int Rate = 2_000;

        // Cumulative challenger and control requests, by hour, per exposure (shadow, canary).
        private readonly List<(long Shadow, long Canary, long Control)> _history = [(0, 0, 0)];

        public void Advance(ReleaseTraffic traffic)
        {
            var (shadow, canary, control) = _history[^1];
            var canaryHour = (long)Rate * traffic.CanaryWeightPpm / 1_000_000;
            _history.Add((shadow + ((long)Rate * traffic.ShadowSamplePpm / 1_000_000), canary + canaryHour, control + Rate - canaryHour));
        }

        public AnalysisSnapshot Snapshot(ReleaseState state, DateTimeOffset now)
        {
            var hour = (int)(now - T0).TotalHours;
            var shadowing = state.EffectivePhase == ReleasePhase.Shadowing || (state.EffectivePhase == ReleasePhase.AwaitingApproval && state.Step == 0);
            long Challenger(int h) => shadowing ? _history[Math.Clamp(h, 0, hour)].Shadow : _history[Math.Clamp(h, 0, hour)].Canary;
            var requests = Challenger(hour);
            var matured = Challenger(hour - 1);
            var control = _history[hour].Control;
            var controlMatured = _history[Math.Max(0, hour - 1)].Control;
            var stepStart = state.StepStartedAt is { } s ? (int)(s - T0).TotalHours : hour;
            var errorPercent = shadowing ? 1 : canaryErrorPercent;
            return new AnalysisSnapshot(
                now,
                Math.Max(0, matured - Challenger(stepStart)),
                Arm(requests, matured, errorPercent),
                Arm(control, controlMatured, 1));
        }

        private static ArmCounts Arm(long requests, long matured, int errorPercent) => new(new Dictionary<string, MetricCounts>
        {
            [ReleaseMetrics.TaskCompleted] = new(matured * 70 / 100, matured),
            [ReleaseMetrics.ErrorRate] = new(requests * errorPercent / 100, requests),
            [ReleaseMetrics.LatencyOverKey(250)] = new(requests / 200, requests),
        });
    }
}

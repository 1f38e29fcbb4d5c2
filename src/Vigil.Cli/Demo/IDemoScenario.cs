namespace Vigil.Cli.Demo;

/// <summary>
/// One part of <c>vigil demo</c>: a story played against the running server through its HTTP API (baseline traffic,
/// a buggy canary rolled back, a progressive rollout promoted; a drift incident, a retraining loop as Vigil grows). Scenarios run one after another on the
/// same server, clock and service; each leaves the service as the next one expects it. Each starts with the clock at
/// <see cref="DemoSettings.Speed"/> and may change its speed (<see cref="AcceleratedTimeProvider.ChangeSpeed"/>).
/// </summary>
public interface IDemoScenario
{
    /// <summary>A short name in kebab case, shown in progress and the summary (<c>baseline-traffic</c>).</summary>
    string Name { get; }

    /// <summary>One sentence saying what the scenario shows.</summary>
    string Description { get; }

    /// <summary>Plays the scenario; returns what its simulated users saw.</summary>
    Task<TrafficReport> RunAsync(DemoContext context, CancellationToken cancellationToken);
}

namespace Vigil.Cli.Tests.Demo;

/// <summary>
/// The demo scenario tests each run a server, simulated users and a trainer on an accelerated clock: their traffic per
/// simulated day, and so whether a trigger reaches significance, depends on the CPU they get. They run one at a time,
/// after the rest of this assembly, so that two demos do not starve each other on a two-core machine.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class DemoCollection
{
    public const string Name = "demo scenarios";
}

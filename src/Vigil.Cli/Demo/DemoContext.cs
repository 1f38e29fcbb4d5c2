using Vigil.Cli.Client;

namespace Vigil.Cli.Demo;

/// <summary>Everything a <see cref="IDemoScenario"/> plays against: the server and its clients, the clock, the console and the settings.</summary>
public sealed class DemoContext
{
    /// <summary>The running server's base address.</summary>
    public required Uri Server { get; init; }

    /// <summary>Control-plane calls (services, versions, aliases, status).</summary>
    public required VigilClient Api { get; init; }

    /// <summary>Data-plane calls (predict, feedback).</summary>
    public required DemoTrafficClient Traffic { get; init; }

    /// <summary>The accelerated clock the server runs on.</summary>
    public required AcceleratedTimeProvider Clock { get; init; }

    /// <summary>Where progress and results are shown.</summary>
    public required DemoConsole Console { get; init; }

    /// <summary>The run's settings (days, requests per day, concurrency …).</summary>
    public required DemoSettings Settings { get; init; }

    /// <summary>The demo folder (models, data, vigil.db, summary.json).</summary>
    public required string Folder { get; init; }

    /// <summary>The run's seed; a scenario derives its own random streams from it.</summary>
    public int Seed => Settings.Seed;
}

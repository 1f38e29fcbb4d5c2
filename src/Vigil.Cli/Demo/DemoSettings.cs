namespace Vigil.Cli.Demo;

/// <summary>How one run of <c>vigil demo</c> goes; each property is one command-line option.</summary>
public sealed record DemoSettings
{
    /// <summary>Default speed: one simulated day in six real seconds (86,400 / 6 = 14,400 simulated seconds per real second).</summary>
    public const double DefaultSpeed = 86_400.0 / 6;

    /// <summary>Default speed of the rollout scenario: one simulated day in 1.6 real seconds, so its 15 days play in about 25 s.</summary>
    public const double DefaultRolloutSpeed = 86_400.0 / 1.6;

    /// <summary>Default requests per simulated day in the rollout scenario (about 940 per real second at the default rollout speed).</summary>
    public const int DefaultRolloutRequestsPerDay = 1_500;

    /// <summary>Default requests per simulated day in the bad-canary scenario, played at <see cref="Speed"/> (about 690 per real second by default).</summary>
    public const int DefaultCanaryRequestsPerDay = 4_000;

    /// <summary>Default port of the demo server.</summary>
    public const int DefaultPort = 5080;

    /// <summary>Default working folder, relative to the current directory.</summary>
    public const string DefaultDirectory = ".vigil-demo";

    /// <summary>Rows the demo model is trained on.</summary>
    public const int DefaultTrainingRows = 20_000;

    /// <summary>Largest number of simulated days.</summary>
    public const int MaxDays = 60;

    /// <summary>Largest number of requests per simulated day.</summary>
    public const int MaxRequestsPerDay = 1_000_000;

    /// <summary>Simulated seconds per real second (<c>--speed</c>). Default <see cref="DefaultSpeed"/>; at least 1.</summary>
    public double Speed { get; init; } = DefaultSpeed;

    /// <summary>
    /// Simulated seconds per real second while the rollout scenario plays (<c>--rollout-speed</c>). Default
    /// <see cref="DefaultRolloutSpeed"/>; at least 1. The clock changes speed between scenarios without jumping; the
    /// other scenarios play at <see cref="Speed"/>.
    /// </summary>
    public double RolloutSpeed { get; init; } = DefaultRolloutSpeed;

    /// <summary>Requests the simulated users send per simulated day in the rollout scenario (<c>--rollout-requests-per-day</c>). Default <see cref="DefaultRolloutRequestsPerDay"/>.</summary>
    public int RolloutRequestsPerDay { get; init; } = DefaultRolloutRequestsPerDay;

    /// <summary>Requests the simulated users send per simulated day in the bad-canary scenario (<c>--canary-requests-per-day</c>). Default <see cref="DefaultCanaryRequestsPerDay"/>.</summary>
    public int CanaryRequestsPerDay { get; init; } = DefaultCanaryRequestsPerDay;

    /// <summary>The scenarios to play, in order (<c>--scenarios</c>). Default: all of <see cref="DemoScenarios.Names"/>.</summary>
    public IReadOnlyList<string> Scenarios { get; init; } = DemoScenarios.Names;

    /// <summary>Simulated days of traffic (<c>--days</c>). Default 2; 1 to <see cref="MaxDays"/>.</summary>
    public int Days { get; init; } = 2;

    /// <summary>Requests the simulated users send per simulated day (<c>--requests-per-day</c>). Default 1,500.</summary>
    public int RequestsPerDay { get; init; } = 1_500;

    /// <summary>The seed of everything random: data, users, traffic, engagement (<c>--seed</c>). Default 42.</summary>
    public int Seed { get; init; } = 42;

    /// <summary>The port the demo server listens on at 127.0.0.1 (<c>--port</c>); 0 picks a free one. Default <see cref="DefaultPort"/>.</summary>
    public int Port { get; init; } = DefaultPort;

    /// <summary>The working folder, recreated each run (<c>--dir</c>). Default <see cref="DefaultDirectory"/>.</summary>
    public string Directory { get; init; } = DefaultDirectory;

    /// <summary>Exit once the scenarios are done instead of serving until Ctrl+C (<c>--exit-when-done</c>); for tests and CI.</summary>
    public bool ExitWhenDone { get; init; }

    /// <summary>Rows the model is trained on. Default <see cref="DefaultTrainingRows"/>.</summary>
    public int TrainingRows { get; init; } = DefaultTrainingRows;

    /// <summary>Most predict requests in flight at once. Default 8.</summary>
    public int Concurrency { get; init; } = 8;

    /// <summary>Every problem with these settings, each as one line naming the option; empty when they are valid.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (!double.IsFinite(Speed) || Speed < 1)
        {
            errors.Add($"--speed must be at least 1 (simulated seconds per real second), got {Speed}");
        }

        if (!double.IsFinite(RolloutSpeed) || RolloutSpeed < 1)
        {
            errors.Add($"--rollout-speed must be at least 1 (simulated seconds per real second), got {RolloutSpeed}");
        }

        if (RolloutRequestsPerDay is < DemoScenarios.MinRolloutRequestsPerDay or > MaxRequestsPerDay)
        {
            errors.Add($"--rollout-requests-per-day must be between {DemoScenarios.MinRolloutRequestsPerDay:N0} and {MaxRequestsPerDay:N0} (a 1% canary step needs traffic to judge), got {RolloutRequestsPerDay}");
        }

        if (CanaryRequestsPerDay is < DemoScenarios.MinCanaryRequestsPerDay or > MaxRequestsPerDay)
        {
            errors.Add($"--canary-requests-per-day must be between {DemoScenarios.MinCanaryRequestsPerDay:N0} and {MaxRequestsPerDay:N0} (a 5% canary step needs traffic to judge), got {CanaryRequestsPerDay}");
        }

        if (Scenarios.Count == 0)
        {
            errors.Add($"--scenarios must name at least one of {string.Join(", ", DemoScenarios.Names)}");
        }

        foreach (var name in Scenarios.Where(n => !DemoScenarios.IsKnown(n)))
        {
            errors.Add($"--scenarios: unknown scenario '{name}'; the scenarios are {string.Join(", ", DemoScenarios.Names)} ('baseline' for short)");
        }

        if (Days is < 1 or > MaxDays)
        {
            errors.Add($"--days must be between 1 and {MaxDays}, got {Days}");
        }

        if (RequestsPerDay is < 1 or > MaxRequestsPerDay)
        {
            errors.Add($"--requests-per-day must be between 1 and {MaxRequestsPerDay:N0}, got {RequestsPerDay}");
        }

        if (Port is < 0 or > 65_535)
        {
            errors.Add($"--port must be between 0 and 65535 (0 picks a free port), got {Port}");
        }

        if (string.IsNullOrWhiteSpace(Directory))
        {
            errors.Add("--dir must name a folder");
        }

        if (TrainingRows < 100)
        {
            errors.Add($"training rows must be at least 100, got {TrainingRows}");
        }

        if (Concurrency < 1)
        {
            errors.Add($"concurrency must be at least 1, got {Concurrency}");
        }

        return errors;
    }
}

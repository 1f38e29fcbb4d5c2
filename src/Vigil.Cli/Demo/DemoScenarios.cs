namespace Vigil.Cli.Demo;

/// <summary>The demo's scenarios by name, for <c>--scenarios baseline,bad-canary,rollout</c>.</summary>
public static class DemoScenarios
{
    /// <summary>Simulated users ask the champion and report whether they engaged.</summary>
    public const string Baseline = "baseline-traffic";

    /// <summary>On simulated day 3 an upstream feed sends price in cents; the input layer alerts within the hour (issue 4).</summary>
    public const string SchemaChange = "schema-change";

    /// <summary>A buggy challenger is rolled back automatically during its canary.</summary>
    public const string BadCanary = "bad-canary";

    /// <summary>A good challenger goes shadow → 1% → 5% → 25% → 50% → promoted over 15 simulated days, with the kill switch midway.</summary>
    public const string Rollout = "rollout";

    /// <summary>A four-stage QA pipeline where ranking degrades in week two; the report names ranking first.</summary>
    public const string QaPipeline = "qa-pipeline";
    /// <summary>The Level-2 story: a drop triggers a retraining that is evaluated, canaried and promoted by itself (docs/retraining.md).</summary>
    public const string Retraining = "retraining";

    /// <summary>The fewest requests per simulated day the rollout accepts: its 1% step of 2 days then sees about 10.</summary>
    public const int MinRolloutRequestsPerDay = 500;

    /// <summary>The fewest requests per simulated day the bad canary accepts: its 5% step then sees about 50 a day.</summary>
    public const int MinCanaryRequestsPerDay = 1_000;

    /// <summary>Every scenario, in the order the demo plays them by default.</summary>
    public static IReadOnlyList<string> Names { get; } = [Baseline, SchemaChange, BadCanary, Rollout, QaPipeline, Retraining];

    /// <summary>The canonical name of <paramref name="name"/> (<c>baseline</c> is short for <c>baseline-traffic</c>), or null when unknown.</summary>
    public static string? Canonical(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        var trimmed = name.Trim().ToLowerInvariant();
        return trimmed == "baseline" ? Baseline : Names.Contains(trimmed) ? trimmed : null;
    }

    /// <summary>True when <paramref name="name"/> names a scenario.</summary>
    public static bool IsKnown(string name) => Canonical(name) is not null;

    /// <summary>Parses a comma-separated list (<c>baseline,rollout</c>) into names, as given (checked by <see cref="DemoSettings.Validate"/>).</summary>
    public static IReadOnlyList<string> Parse(string? list) =>
        string.IsNullOrWhiteSpace(list) ? Names : [.. list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)];

    /// <summary>The scenarios named, in the order given; unknown names are skipped (validate first).</summary>
    public static IReadOnlyList<IDemoScenario> Create(IEnumerable<string> names)
    {
        ArgumentNullException.ThrowIfNull(names);
        var scenarios = new List<IDemoScenario>();
        foreach (var name in names)
        {
            IDemoScenario? scenario = Canonical(name) switch
            {
                Baseline => new BaselineTraffic(),
                SchemaChange => new SchemaChangeScenario(),
                BadCanary => new BadCanaryScenario(),
                Rollout => new RolloutScenario(),
                QaPipeline => new QaPipelineScenario(),
                Retraining => new RetrainingLoopScenario(),
                _ => null,
            };
            if (scenario is not null)
            {
                scenarios.Add(scenario);
            }
        }

        return scenarios;
    }
}

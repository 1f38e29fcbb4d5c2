using System.Text.Json.Nodes;
using Spectre.Console;
using Vigil.Server.Releases;

namespace Vigil.Cli.Demo;

/// <summary>
/// A challenger with a bug goes to canary and is rolled back by the controller on its own. The bug: the training job
/// read the label inverted for subscribers (a join that took "churned" for "engaged"), so the model ranks backwards for
/// them; offline it still looks fine on average. Under <see cref="EngagementRule"/>, subscribers it serves are shown
/// worse feeds and complete fewer tasks, and the release's <c>task_completed</c> trigger fires.
/// </summary>
public sealed class BadCanaryScenario : IDemoScenario
{
    /// <summary>The longest the scenario waits for the rollback, in simulated time; then it aborts the release itself.</summary>
    public static readonly TimeSpan MaxDuration = TimeSpan.FromDays(4);

    /// <inheritdoc />
    public string Name => DemoScenarios.BadCanary;

    /// <inheritdoc />
    public string Description => "a challenger with a bug goes to canary and is rolled back automatically when a trigger fires";

    /// <summary>The plan: canary 5% for 12h then 25% for 2d; task completion may not drop more than 3pp below the champion's, errors stay under 2%.</summary>
    public static JsonObject Plan(int challenger) => new()
    {
        ["service"] = RecommendationDataGenerator.ServiceName,
        ["challenger"] = challenger,
        ["strategy"] = "canary",
        ["steps"] = new JsonArray(
            new JsonObject { ["weight"] = "5%", ["hold"] = "12h" },
            new JsonObject { ["weight"] = "25%", ["hold"] = "2d" }),
        ["min_samples_per_step"] = 200,
        ["analysis_interval"] = "5m",
        ["outcome_window"] = "1h",
        ["triggers"] = new JsonArray(
            new JsonObject { ["metric"] = "task_completed", ["compare"] = "control", ["max_drop"] = "3pp" },
            new JsonObject { ["metric"] = "error_rate", ["max"] = "2%" }),
    };

    /// <inheritdoc />
    public async Task<TrafficReport> RunAsync(DemoContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var console = context.Console;
        var champion = (await context.Api.GetAliasesAsync(RecommendationDataGenerator.ServiceName, cancellationToken)).Champion;

        // The buggy challenger: fresh rows, labels inverted for subscribers.
        var examples = new RecommendationDataGenerator(unchecked(context.Seed + 300)).Generate(context.Settings.TrainingRows);
        var version = await DemoModels.TrainAndRegisterAsync(
            context,
            "recommender-buggy.zip",
            "a challenger with a bug (labels inverted for subscribers)",
            examples,
            e => e.User.IsSubscriber ? !e.Engaged : e.Engaged,
            unchecked(context.Seed + 300),
            new Dictionary<string, string>(StringComparer.Ordinal) { ["note"] = "bug: labels inverted for subscribers" },
            cancellationToken);

        using var client = new DemoReleaseClient(context.Server);
        var release = await ReleaseScenarioSupport.StartAsync(context, client, Name, Plan(version.Number), cancellationToken);
        console.Line($"Simulated users: {context.Settings.CanaryRequestsPerDay:N0} requests per simulated day; they complete their task by the served model's placement (see EngagementRule).");

        var traffic = new ReleaseTrafficDriver(context, unchecked(context.Seed + 310), context.Settings.CanaryRequestsPerDay);
        var watcher = new ReleaseWatcher(context, client, traffic);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var running = traffic.RunAsync(Name, stop.Token, cancellationToken);
        ReleaseView view;
        DateTimeOffset stoppedWatching;
        try
        {
            view = await watcher.WatchAsync(
                release,
                pollEvery: TimeSpan.FromMinutes(5),
                statusEvery: TimeSpan.FromHours(6),
                until: context.Clock.GetUtcNow() + MaxDuration,
                onView: null,
                cancellationToken);
            stoppedWatching = context.Clock.GetUtcNow();
            if (view.Active)
            {
                console.MarkupLine($"[yellow]The controller did not roll the release back within {MaxDuration.TotalDays:0} simulated days; the demo aborts it.[/]");
                view = await client.CommandAsync(view.Id, "abort", "vigil demo: the buggy challenger was not rolled back in time", cancellationToken);
                watcher.ShowNewEvents(view);
            }
        }
        finally
        {
            await stop.CancelAsync();
        }

        var report = await running;
        var result = ReleaseScenarioSupport.Report(watcher, view, Name, champion, "rolled_back", stoppedWatching);
        if (result.TimeToDetectHours is { } hours)
        {
            console.MarkupLine($"[green]✓[/] Rolled back automatically [bold]{ReleaseScenarioSupport.Span(TimeSpan.FromHours(hours))}[/] (simulated) after the canary started; the challenger is out of traffic and the champion was never touched.");
            console.Line($"  fired: {result.FiredTrigger}");
        }

        console.Line($"  what the users saw: {ReleaseScenarioSupport.Served(traffic.Tally())}");
        var aliases = await context.Api.GetAliasesAsync(RecommendationDataGenerator.ServiceName, cancellationToken);
        console.Line($"  aliases: champion v{aliases.Champion}, challenger {(aliases.Challenger is { } c ? "v" + c : "none")}");
        console.MarkupLine($"  [grey]see it again: curl {Markup.Escape(new Uri(context.Server, "v1/releases/" + view.Id).ToString())}[/]");
        return report with { Release = result };
    }
}

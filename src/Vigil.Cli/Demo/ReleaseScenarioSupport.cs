using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Vigil.Server.Releases;

namespace Vigil.Cli.Demo;

/// <summary>What the two release scenarios share: writing the plan, starting the release, and reporting how it ended.</summary>
internal static class ReleaseScenarioSupport
{
    private static JsonSerializerOptions Indented { get; } = new() { WriteIndented = true };

    /// <summary>Writes <paramref name="plan"/> to <c>plans/{name}.json</c> in the demo folder (for people to read) and starts the release with it.</summary>
    public static async Task<ReleaseView> StartAsync(DemoContext context, DemoReleaseClient client, string name, JsonObject plan, CancellationToken cancellationToken)
    {
        var folder = Path.Combine(context.Folder, "plans");
        Directory.CreateDirectory(folder);
        await File.WriteAllTextAsync(Path.Combine(folder, name + ".json"), plan.ToJsonString(Indented) + "\n", cancellationToken);
        return await context.Console.StepAsync(
            $"Starting the release through POST /v1/releases (plan in plans/{name}.json)",
            () => client.StartAsync(plan, cancellationToken),
            view => $"release {view.Id}: {view.Plan.Strategy.ToString().ToLowerInvariant()} of v{view.Challenger}, "
                + $"{string.Join(" → ", Schedule(view))}; triggers: {string.Join("; ", view.Plan.TriggerList.Select(t => t.Describe()))}");
    }

    /// <summary>The plan's schedule: <c>shadow 100% 2d</c>, <c>1% 2d</c>, …</summary>
    public static IEnumerable<string> Schedule(ReleaseView view)
    {
        if (view.Plan.Shadow is { } shadow)
        {
            yield return $"shadow {shadow.Sample} for {shadow.Duration}";
        }

        foreach (var step in view.Plan.StepList)
        {
            yield return $"{step.Weight} for {step.Hold}";
        }
    }

    /// <summary>The report of a release as it ended (or stood when the scenario stopped watching).</summary>
    public static ReleaseReport Report(
        ReleaseWatcher watcher,
        ReleaseView view,
        string scenario,
        int? champion,
        string expected,
        DateTimeOffset stoppedWatching,
        long? killedRequests = null,
        long? killedCanaryRequests = null)
    {
        var events = view.Events.OrderBy(e => e.Id).ToList();
        var started = events.FirstOrDefault()?.At ?? view.CreatedAt;
        var ended = view.Active ? stoppedWatching : events.LastOrDefault()?.At ?? view.UpdatedAt;
        double? timeToDetect = null;
        string? fired = null;
        if (events.LastOrDefault(e => e.To == "rolled_back") is { } rollback)
        {
            var canaryFrom = events.FirstOrDefault(e => e.To == "canary")?.At ?? started;
            timeToDetect = Math.Round((rollback.At - canaryFrom).TotalHours, 2);
            fired = ReleaseWatcher.Details(rollback)?.Triggers is { Count: > 0 } triggers
                ? string.Join("; ", triggers.Select(ReleaseWatcher.Trigger))
                : rollback.Reason;
        }

        return new ReleaseReport(
            view.Id,
            scenario,
            view.Challenger,
            champion,
            expected,
            view.Status,
            started,
            ended,
            Math.Round((ended - started).TotalDays, 2),
            timeToDetect,
            fired,
            killedRequests,
            killedCanaryRequests,
            [.. events.Select(e => $"{watcher.Day(e.At)}  {ReleaseWatcher.Transition(e)}")]);
    }

    /// <summary>How long, for people: <c>14h 20m</c>, <c>2d 3h</c>.</summary>
    public static string Span(TimeSpan span) => span.TotalDays >= 1
        ? $"{(int)span.TotalDays}d {span.Hours}h"
        : $"{(int)span.TotalHours}h {span.Minutes:00}m";

    /// <summary>The users' view of each arm: <c>champion v1 completed 33.1% of 9,800 tasks</c>.</summary>
    public static string Served(IEnumerable<ArmCount> counts) =>
        string.Join(", ", counts.Select(c => $"{c.Arm} v{c.Version.ToString(CultureInfo.InvariantCulture)} {DemoConsole.Percent(c.CompletionRate)} of {c.Requests:N0} requests"));
}

using System.Text.Json;
using Vigil.Cli.Demo;

namespace Vigil.Cli.Tests.Demo;

/// <summary>
/// Runs <c>vigil demo --scenarios bad-canary,rollout</c> end to end on the real server: the buggy challenger is rolled
/// back by the controller during its canary, the good one goes through shadow and four steps to promotion, with the kill
/// switch flipped midway. Higher speed and fewer requests than the default demo, so it takes about 30 s.
/// </summary>
[Collection(DemoCollection.Name)]
public sealed class DemoReleaseScenariosTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), $"vigil-demo-releases-{Guid.NewGuid():N}");

    public void Dispose()
    {
        if (Directory.Exists(_dir))
        {
            Directory.Delete(_dir, recursive: true);
        }
    }

    [Fact]
    public async Task Demo_BadCanaryIsRolledBack_RolloutIsPromoted_AndTheKillSwitchKeepsUsersOnTheChampion()
    {
        var result = await DemoCommandTests.RunAsync(
            "--exit-when-done", "--port", "0", "--dir", _dir, "--seed", "11",
            "--scenarios", "bad-canary,rollout",
            "--speed", "14400", "--canary-requests-per-day", "4000",
            "--rollout-speed", "86400", "--rollout-requests-per-day", "800");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("Releases (GET /v1/releases)", result.Out, StringComparison.Ordinal);
        Assert.Contains("Kill switch", result.Out, StringComparison.Ordinal);

        using var summary = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(_dir, DemoSummary.FileName), TestContext.Current.CancellationToken));
        var root = summary.RootElement;
        Assert.Equal(["bad-canary", "rollout"], root.GetProperty("scenarios").EnumerateArray().Select(s => s.GetProperty("scenario").GetString()));
        var releases = root.GetProperty("releases").EnumerateArray().ToList();
        Assert.Equal(2, releases.Count);

        // The buggy challenger (v2): rolled back by the controller on the task_completed trigger, champion untouched.
        var bad = releases[0];
        Assert.Equal("rolled_back", bad.GetProperty("outcome").GetString());
        Assert.Equal(2, bad.GetProperty("challenger").GetInt32());
        Assert.Equal(1, bad.GetProperty("champion").GetInt32());
        Assert.InRange(bad.GetProperty("time_to_detect_hours").GetDouble(), 0.01, 24 * BadCanaryScenario.MaxDuration.TotalDays);
        Assert.Contains("task_completed", bad.GetProperty("fired_trigger").GetString(), StringComparison.Ordinal);
        Assert.Contains(bad.GetProperty("transitions").EnumerateArray(), t => t.GetString()!.Contains("→ rolled_back by vigil:controller", StringComparison.Ordinal));

        // The good challenger (v3): shadow, four steps, paused by the kill switch and resumed, promoted after about 15 days.
        var good = releases[1];
        Assert.Equal("promoted", good.GetProperty("outcome").GetString());
        Assert.Equal(3, good.GetProperty("challenger").GetInt32());
        Assert.InRange(good.GetProperty("duration_days").GetDouble(), 15, RolloutScenario.MaxDuration.TotalDays);
        Assert.Equal(JsonValueKind.Null, good.GetProperty("time_to_detect_hours").ValueKind);
        var transitions = good.GetProperty("transitions").EnumerateArray().Select(t => t.GetString()!).ToList();
        Assert.Contains(transitions, t => t.Contains("pending → shadowing", StringComparison.Ordinal));
        Assert.Contains(transitions, t => t.Contains("shadowing → canary", StringComparison.Ordinal));
        Assert.Contains(transitions, t => t.Contains("canary → paused", StringComparison.Ordinal) && t.Contains("kill switch", StringComparison.Ordinal));
        Assert.Contains(transitions, t => t.Contains("paused → canary", StringComparison.Ordinal));
        Assert.Contains(transitions, t => t.Contains("canary → promoted by vigil:controller", StringComparison.Ordinal));
        Assert.True(good.GetProperty("killed_requests").GetInt64() > 0);
        Assert.Equal(0, good.GetProperty("killed_canary_requests").GetInt64());

        // What Vigil recorded: the promoted version is the champion, the one before it the previous champion.
        var aliases = root.GetProperty("service_status").GetProperty("aliases");
        Assert.Equal(3, aliases.GetProperty("champion").GetInt32());
        Assert.Equal(1, aliases.GetProperty("previous_champion").GetInt32());
        Assert.All(root.GetProperty("scenarios").EnumerateArray(), s => Assert.Equal(0, s.GetProperty("errors").GetInt64()));
        Assert.True(File.Exists(Path.Combine(_dir, "plans", "rollout.json")));
    }
}

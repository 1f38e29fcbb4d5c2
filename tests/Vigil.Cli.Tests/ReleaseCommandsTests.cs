using System.Text.Json;

namespace Vigil.Cli.Tests;

/// <summary><c>vigil release …</c> and <c>vigil apply</c> against a real server in process, over real HTTP, with a real remote model.</summary>
public sealed class ReleaseCommandsTests(ServerFixture server) : IClassFixture<ServerFixture>, IAsyncLifetime
{
    private readonly List<string> _files = [];
    private FakeJsonModel? _model;

    public async ValueTask InitializeAsync() => _model = await FakeJsonModel.StartAsync();

    public async ValueTask DisposeAsync()
    {
        foreach (var file in _files)
        {
            File.Delete(file);
        }

        if (_model is not null)
        {
            await _model.DisposeAsync();
        }
    }

    private static string NewServiceName() => "svc-" + Guid.NewGuid().ToString("N")[..8];

    private Task<CliResult> RunAsync(params string[] args) => Cli.RunAsync(["--server", server.Server, .. args]);

    private async Task<string> WriteAsync(string text, string extension = ".yaml")
    {
        var file = Path.Combine(Path.GetTempPath(), "vigil-release-test-" + Guid.NewGuid().ToString("N")[..8] + extension);
        await File.WriteAllTextAsync(file, text, TestContext.Current.CancellationToken);
        _files.Add(file);
        return file;
    }

    /// <summary>A service with v1 as champion and v2 registered, both served by the fake remote model.</summary>
    private async Task<string> ServiceWithTwoVersionsAsync()
    {
        var name = NewServiceName();
        var created = await RunAsync("services", "create", "--name", name, "--input", "price:number", "--output", "probability");
        Assert.True(created.ExitCode == 0, created.ToString());
        await RegisterVersionsAsync(name);
        return name;
    }

    private async Task RegisterVersionsAsync(string name)
    {
        var v1 = await RunAsync("models", "register", name, "--backend", "http", "--location", _model!.Url, "--protocol", "json", "--alias", "champion");
        var v2 = await RunAsync("models", "register", name, "--backend", "http", "--location", _model.Url, "--protocol", "json");
        Assert.True(v1.ExitCode == 0, v1.ToString());
        Assert.True(v2.ExitCode == 0, v2.ToString());
    }

    private static string Plan(string service, string firstHold = "1h") => $"""
        service: {service}
        challenger: 2
        strategy: canary
        steps:
          - {"{"} weight: 5%, hold: {firstHold} {"}"}
          - {"{"} weight: 50%, hold: 2h {"}"}
        triggers:
          - {"{"} metric: error_rate, max: 2% {"}"}
        promotion:
          - {"{"} metric: error_rate, compare: control, non_inferior_margin: 1pp {"}"}
        """;

    private async Task<string> StartAsync(string service)
    {
        var started = await RunAsync("release", "start", "-f", await WriteAsync(Plan(service)), "--json");
        Assert.True(started.ExitCode == 0, started.ToString());
        using var document = JsonDocument.Parse(started.Out);
        return document.RootElement.GetProperty("id").GetString()!;
    }

    private async Task<JsonElement> StatusJsonAsync(string serviceOrId)
    {
        var status = await RunAsync("release", "status", serviceOrId, "--json");
        Assert.True(status.ExitCode == 0, status.ToString());
        using var document = JsonDocument.Parse(status.Out);
        return document.RootElement.Clone();
    }

    [Fact]
    public async Task Start_FromYaml_PrintsIdStatusAndTraffic()
    {
        var service = await ServiceWithTwoVersionsAsync();

        var started = await RunAsync("release", "start", "-f", await WriteAsync(Plan(service)));

        Assert.True(started.ExitCode == 0, started.ToString());
        Assert.Matches(@"Started release rel-[0-9a-f]+ of svc-[0-9a-f]+ v2\.", started.Out);
        Assert.Contains("Status: canary, step 1/2 at 5%.", started.Out, StringComparison.Ordinal);
        Assert.Contains("Traffic: serves 5% of traffic.", started.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Status_ShowsStepTriggersHistoryAsTable_AndTheReleaseViewAsJson()
    {
        var service = await ServiceWithTwoVersionsAsync();
        var id = await StartAsync(service);

        var table = await RunAsync("release", "status", service);
        var byId = await StatusJsonAsync(id);
        var all = await RunAsync("release", "status", "--json");

        Assert.True(table.ExitCode == 0, table.ToString());
        Assert.Contains(id, table.Out, StringComparison.Ordinal);
        Assert.Contains("step 1/2 at 5%", table.Out, StringComparison.Ordinal);
        Assert.Matches(@"step 2 in (59m|1h 0m)", table.Out);
        Assert.Contains("error_rate above 2%", table.Out, StringComparison.Ordinal);
        Assert.Contains("not analysed yet", table.Out, StringComparison.Ordinal);
        Assert.Contains("error_rate no worse than control by more than 1pp", table.Out, StringComparison.Ordinal);
        Assert.Contains("none → pending", table.Out, StringComparison.Ordinal);
        Assert.Contains("pending → canary", table.Out, StringComparison.Ordinal);

        Assert.Equal(id, byId.GetProperty("id").GetString());
        Assert.Equal(service, byId.GetProperty("service").GetString());
        Assert.Equal("canary", byId.GetProperty("status").GetString());
        Assert.Equal(1, byId.GetProperty("state").GetProperty("step").GetInt32());
        Assert.Equal(50_000, byId.GetProperty("traffic").GetProperty("canary_weight_ppm").GetInt32());
        Assert.Equal("5%", byId.GetProperty("plan").GetProperty("steps")[0].GetProperty("weight").GetString());

        Assert.True(all.ExitCode == 0, all.ToString());
        using var list = JsonDocument.Parse(all.Out);
        Assert.Contains(list.RootElement.GetProperty("releases").EnumerateArray(), r => r.GetProperty("id").GetString() == id);
    }

    [Fact]
    public async Task PauseThenResume_ChangesTheStatus()
    {
        var service = await ServiceWithTwoVersionsAsync();
        var id = await StartAsync(service);

        var paused = await RunAsync("release", "pause", id, "--reason", "looking at a dashboard");
        var whilePaused = await StatusJsonAsync(id);
        var table = await RunAsync("release", "status", id);
        var resumed = await RunAsync("release", "resume", id);
        var afterResume = await StatusJsonAsync(id);

        Assert.True(paused.ExitCode == 0, paused.ToString());
        Assert.Contains("Paused release " + id, paused.Out, StringComparison.Ordinal);
        Assert.Equal("paused", whilePaused.GetProperty("status").GetString());
        Assert.Contains("the hold does not count down", table.Out, StringComparison.Ordinal);
        Assert.Contains("looking at a dashboard", table.Out, StringComparison.Ordinal);
        Assert.True(resumed.ExitCode == 0, resumed.ToString());
        Assert.Contains("Resumed release", resumed.Out, StringComparison.Ordinal);
        Assert.Equal("canary", afterResume.GetProperty("status").GetString());
    }

    [Fact]
    public async Task Abort_WithoutReason_IsAUsageError_WithReason_Aborts()
    {
        var service = await ServiceWithTwoVersionsAsync();
        var id = await StartAsync(service);

        var noReason = await RunAsync("release", "abort", id);
        var blankReason = await RunAsync("release", "abort", id, "--reason", "  ");
        var stillRunning = await StatusJsonAsync(id);
        var aborted = await RunAsync("release", "abort", id, "--reason", "wrong challenger");
        var after = await StatusJsonAsync(id);

        Assert.Equal(2, noReason.ExitCode);
        Assert.Contains("--reason", noReason.Err, StringComparison.Ordinal);
        Assert.Equal(2, blankReason.ExitCode);
        Assert.Contains("abort needs a reason", blankReason.Err, StringComparison.Ordinal);
        Assert.Equal("canary", stillRunning.GetProperty("status").GetString());
        Assert.True(aborted.ExitCode == 0, aborted.ToString());
        Assert.Contains("Aborted release " + id, aborted.Out, StringComparison.Ordinal);
        Assert.Equal("aborted", after.GetProperty("status").GetString());
        Assert.False(after.GetProperty("active").GetBoolean());
    }

    [Fact]
    public async Task Promote_WithoutReason_IsAUsageError()
    {
        var service = await ServiceWithTwoVersionsAsync();
        var id = await StartAsync(service);

        var result = await RunAsync("release", "promote", id);

        Assert.Equal(2, result.ExitCode);
        Assert.Equal("canary", (await StatusJsonAsync(id)).GetProperty("status").GetString());
    }

    [Fact]
    public async Task Promote_WithReason_MakesTheChallengerChampion_AndModelsRollbackRestoresThePreviousOne()
    {
        var service = await ServiceWithTwoVersionsAsync();
        var id = await StartAsync(service);

        var promoted = await RunAsync("release", "promote", id, "--reason", "dashboards agree, skip the last step");
        var after = await StatusJsonAsync(id);
        var rolledBack = await RunAsync("models", "rollback", service, "--reason", "revenue dipped", "--json");

        Assert.True(promoted.ExitCode == 0, promoted.ToString());
        Assert.Equal("promoted", after.GetProperty("status").GetString());
        Assert.False(after.GetProperty("active").GetBoolean());
        Assert.Contains(after.GetProperty("events").EnumerateArray(), e => e.GetProperty("reason").GetString() == "dashboards agree, skip the last step");
        Assert.True(rolledBack.ExitCode == 0, rolledBack.ToString());
        using var restored = JsonDocument.Parse(rolledBack.Out);
        Assert.Equal(1, restored.RootElement.GetProperty("champion").GetInt32());
        Assert.Equal(2, restored.RootElement.GetProperty("previous_champion").GetInt32());
    }

    [Fact]
    public async Task Amend_WithoutReason_IsAUsageError_WithReason_ChangesThePlan()
    {
        var service = await ServiceWithTwoVersionsAsync();
        var id = await StartAsync(service);
        var amended = await WriteAsync(Plan(service, firstHold: "3h"));

        var noReason = await RunAsync("release", "amend", id, "-f", amended);
        var withReason = await RunAsync("release", "amend", id, "-f", amended, "--reason", "hold longer over the weekend");
        var after = await StatusJsonAsync(id);

        Assert.Equal(2, noReason.ExitCode);
        Assert.Contains("--reason", noReason.Err, StringComparison.Ordinal);
        Assert.True(withReason.ExitCode == 0, withReason.ToString());
        Assert.Equal("3h", after.GetProperty("plan").GetProperty("steps")[0].GetProperty("hold").GetString());
    }

    [Fact]
    public async Task Start_InvalidPlan_ExitsOneListingEveryErrorWithLines_AndSendsNothing()
    {
        var service = await ServiceWithTwoVersionsAsync();
        var file = await WriteAsync($"""
            service: {service}
            challenger: 2
            strategy: canary
            steps:
              - {"{"} weight: 50%, hold: 1h {"}"}
              - {"{"} weight: 5%, hold: 1h {"}"}
            triggers:
              - {"{"} metric: error_rate, max: 2% {"}"}
              - {"{"} metric: happiness, max: 2% {"}"}
            """);

        var result = await RunAsync("release", "start", "-f", file);
        var status = await RunAsync("release", "status", service);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("is not a valid release plan (2 errors); nothing was sent", result.Err, StringComparison.Ordinal);
        Assert.Matches(@"  - line 6: steps\[1\]", result.Err);
        Assert.Matches(@"  - line 9: triggers\[1\]", result.Err);
        Assert.Contains("happiness", result.Err, StringComparison.Ordinal);
        Assert.Equal(1, status.ExitCode);
        Assert.Contains("has no release yet", status.Err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Start_UnknownKeys_AreAllListed()
    {
        var file = await WriteAsync("service: s\nchallenger: 2\nstrategy: canary\ncolour: blue\nsteps:\n  - { weight: 5%, hold: 1h, size: 3 }\n");

        var result = await RunAsync("release", "start", "-f", file);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("(2 errors)", result.Err, StringComparison.Ordinal);
        Assert.Contains("line 4: unknown key 'colour'", result.Err, StringComparison.Ordinal);
        Assert.Contains("line 6: unknown key 'size'", result.Err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Start_SecondReleaseForTheSameService_ExitsOneWithTheConflict()
    {
        var service = await ServiceWithTwoVersionsAsync();
        await StartAsync(service);

        var again = await RunAsync("release", "start", "-f", await WriteAsync(Plan(service)));

        Assert.Equal(1, again.ExitCode);
        Assert.StartsWith("error: ", again.Err, StringComparison.Ordinal);
        Assert.Contains("409", again.Err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Kill_TakesTheChallengerOutOfTraffic()
    {
        var service = await ServiceWithTwoVersionsAsync();
        var id = await StartAsync(service);

        var killed = await RunAsync("release", "kill", id);
        var after = await StatusJsonAsync(id);

        Assert.True(killed.ExitCode == 0, killed.ToString());
        Assert.Contains("Traffic: none (release flag off).", killed.Out, StringComparison.Ordinal);
        Assert.Equal("paused", after.GetProperty("status").GetString());
        Assert.False(after.GetProperty("traffic").GetProperty("release_flag_on").GetBoolean());
    }

    [Fact]
    public async Task KillSwitchThroughTheReleaseFlag_PausesTheRelease_AndFlagsOnResumesIt()
    {
        var service = await ServiceWithTwoVersionsAsync();
        var id = await StartAsync(service);

        var off = await RunAsync("flags", "off", id, "--reason", "pager");
        var paused = await StatusJsonAsync(id);
        var on = await RunAsync("flags", "on", id);
        var resumed = await StatusJsonAsync(id);

        Assert.True(off.ExitCode == 0, off.ToString());
        Assert.Equal("paused", paused.GetProperty("status").GetString());
        Assert.True(paused.GetProperty("state").GetProperty("pause").GetProperty("kill_switch").GetBoolean());
        Assert.True(on.ExitCode == 0, on.ToString());
        Assert.Equal("canary", resumed.GetProperty("status").GetString());
        Assert.Equal(50_000, resumed.GetProperty("traffic").GetProperty("canary_weight_ppm").GetInt32());
    }

    [Fact]
    public async Task Approve_StartsTheGatedStep_AndApprovingAgainExitsOneWithTheConflict()
    {
        var service = await ServiceWithTwoVersionsAsync();
        var started = await RunAsync("release", "start", "-f", await WriteAsync(Plan(service) + "\napproval: [ { before_step: 1 } ]\n"), "--json");
        Assert.True(started.ExitCode == 0, started.ToString());
        var id = JsonDocument.Parse(started.Out).RootElement.GetProperty("id").GetString()!;
        Assert.Equal("awaiting_approval", (await StatusJsonAsync(id)).GetProperty("status").GetString());

        var approved = await RunAsync("release", "approve", id, "--reason", "looks good");
        var again = await RunAsync("release", "approve", id);

        Assert.True(approved.ExitCode == 0, approved.ToString());
        Assert.Equal("canary", (await StatusJsonAsync(id)).GetProperty("status").GetString());
        Assert.Equal(1, again.ExitCode);
        Assert.Contains("409", again.Err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Apply_ServiceFile_CreatesTheService_ThenAPlanFile_StartsTheRelease()
    {
        var service = NewServiceName();
        var serviceFile = await WriteAsync($"""
            name: {service}
            inputs:
              - {"{"} name: price, type: number {"}"}
            output: {"{"} kind: probability {"}"}
            """);

        var created = await RunAsync("apply", "-f", serviceFile);
        Assert.True(created.ExitCode == 0, created.ToString());
        Assert.Contains($"Created service {service}", created.Out, StringComparison.Ordinal);
        await RegisterVersionsAsync(service);

        var started = await RunAsync("apply", "-f", await WriteAsync(Plan(service)));

        Assert.True(started.ExitCode == 0, started.ToString());
        Assert.Contains("Started release rel-", started.Out, StringComparison.Ordinal);
        Assert.Equal("canary", (await StatusJsonAsync(service)).GetProperty("status").GetString());
    }

    [Fact]
    public async Task Apply_JsonPlan_StartsTheRelease()
    {
        var service = await ServiceWithTwoVersionsAsync();
        var file = await WriteAsync(
            $$"""{"service": "{{service}}", "challenger": 2, "strategy": "canary", "steps": [{"weight": "5%", "hold": "1h"}], "triggers": [{"metric": "error_rate", "max": "2%"}]}""",
            ".json");

        var started = await RunAsync("apply", "-f", file, "--json");

        Assert.True(started.ExitCode == 0, started.ToString());
        using var document = JsonDocument.Parse(started.Out);
        Assert.Equal(service, document.RootElement.GetProperty("service").GetString());
    }

    [Fact]
    public async Task Apply_SomethingElse_ExitsOneSayingWhatWasExpected()
    {
        var file = await WriteAsync("kind: Deployment\nreplicas: 3\n");

        var result = await RunAsync("apply", "-f", file);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("neither a release plan (no top-level 'strategy') nor a service definition (no top-level 'inputs')", result.Err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Status_OfAServiceWhoseNameLooksLikeAnId_FindsItsRelease()
    {
        var service = "rel-" + Guid.NewGuid().ToString("N")[..8];
        var created = await RunAsync("services", "create", "--name", service, "--input", "price:number", "--output", "probability");
        Assert.True(created.ExitCode == 0, created.ToString());
        await RegisterVersionsAsync(service);
        var id = await StartAsync(service);

        var status = await StatusJsonAsync(service);

        Assert.Equal(id, status.GetProperty("id").GetString());
    }

    [Fact]
    public async Task Pause_GivenAServiceInsteadOfAnId_SaysWhereToFindTheId()
    {
        var service = await ServiceWithTwoVersionsAsync();
        await StartAsync(service);

        var result = await RunAsync("release", "pause", service);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains($"'vigil release status {service}' shows the release of a service and its id", result.Err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Status_NoRelease_ForAnUnknownId_ExitsOneWithNotFound()
    {
        var result = await RunAsync("release", "status", "rel-0000000000000000");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("404", result.Err, StringComparison.Ordinal);
    }
}

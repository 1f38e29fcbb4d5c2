using System.Text.Json;

namespace Vigil.Cli.Tests;

/// <summary><c>vigil retrain</c>, <c>jobs</c>, <c>data export</c>, <c>timeline</c>, <c>maturity</c> and <c>models eval</c> against a real server.</summary>
public sealed class RetrainCommandsTests(ServerFixture server) : IClassFixture<ServerFixture>
{
    private Task<CliResult> RunAsync(params string[] args) => Cli.RunAsync(["--server", server.Server, .. args]);

    private async Task<string> CreateServiceAsync()
    {
        var name = "svc-" + Guid.NewGuid().ToString("N")[..8];
        var result = await RunAsync("services", "create", "--name", name, "--input", "price:number:0..", "--output", "probability");
        Assert.True(result.ExitCode == 0, result.ToString());
        return name;
    }

    private static string WriteFile(string text)
    {
        var path = Path.Combine(Path.GetTempPath(), "vigil-policy-" + Guid.NewGuid().ToString("N") + ".yaml");
        File.WriteAllText(path, text);
        return path;
    }

    [Fact]
    public async Task PolicySet_FromYaml_ThenManualRetrain_WithNoLabelledData_EndsFailedWithAClearMessage()
    {
        var name = await CreateServiceAsync();
        var set = await RunAsync("retrain", "policy", "set", name, WriteFile("""
            trainer:
              kind: mlnet
            schedule:
              cron: "0 3 * * 1"
              time_zone: Europe/Berlin
            cooldown: 30m
            """));
        Assert.True(set.ExitCode == 0, set.ToString());
        Assert.Contains("Next scheduled run", set.Out, StringComparison.Ordinal);
        var show = await RunAsync("retrain", "policy", "show", name);
        Assert.Contains("0 3 * * 1 (Europe/Berlin)", show.Out, StringComparison.Ordinal);

        var retrain = await RunAsync("retrain", name, "--reason", "labels drifted", "--json");
        Assert.True(retrain.ExitCode == 0, retrain.ToString());
        var id = JsonDocument.Parse(retrain.Out).RootElement.GetProperty("job").GetProperty("id").GetString()!;

        JsonElement job = default;
        for (var i = 0; i < 100; i++)
        {
            job = JsonDocument.Parse((await RunAsync("jobs", "show", id, "--json")).Out).RootElement;
            if (job.GetProperty("status").GetString() is "failed" or "succeeded")
            {
                break;
            }

            await Task.Delay(100, TestContext.Current.CancellationToken);
        }

        Assert.Equal("failed", job.GetProperty("status").GetString());
        Assert.Contains("has no labelled data", job.GetProperty("error").GetString(), StringComparison.Ordinal);
        var logs = await RunAsync("jobs", "logs", id);
        Assert.Contains("FAILED: service", logs.Out, StringComparison.Ordinal);
        var list = await RunAsync("jobs", "list", "--service", name);
        Assert.Contains(id, list.Out, StringComparison.Ordinal);
        var timeline = await RunAsync("timeline", name);
        Assert.Contains("retrain.triggered", timeline.Out, StringComparison.Ordinal);
        Assert.Contains("retrain.job_failed", timeline.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task BadCron_AndExportWithoutLabels_FailWithActionableMessages()
    {
        var name = await CreateServiceAsync();
        var bad = await RunAsync("retrain", "policy", "set", name, WriteFile("trainer: {kind: mlnet}\nschedule: {cron: \"every night\"}\n"));
        Assert.Equal(1, bad.ExitCode);
        Assert.Contains("schedule.cron: 'every night' is not a cron expression", bad.Err, StringComparison.Ordinal);

        var export = await RunAsync("data", "export", name, "--labeled", "--format", "parquet", "-o", Path.Combine(Path.GetTempPath(), name + ".parquet"));
        Assert.Equal(1, export.ExitCode);
        Assert.Contains("has no labelled data", export.Err, StringComparison.Ordinal);
        var unlabelled = await RunAsync("data", "export", name);
        Assert.Equal(2, unlabelled.ExitCode);
        Assert.Contains("--labeled", unlabelled.Err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Maturity_OfAServiceWithNoPolicy_IsLevelZero_AndSaysWhatWouldMoveItUp()
    {
        var name = await CreateServiceAsync();
        var json = await RunAsync("maturity", name, "--json");
        Assert.True(json.ExitCode == 0, json.ToString());
        var view = JsonDocument.Parse(json.Out).RootElement;
        Assert.Equal(0, view.GetProperty("level").GetInt32());
        Assert.Contains(view.GetProperty("next_steps").EnumerateArray(), s => s.GetString()!.Contains("retrain policy set", StringComparison.Ordinal));

        var table = await RunAsync("maturity", name);
        Assert.Contains("Level 0", table.Out, StringComparison.Ordinal);
        Assert.Contains("Is a retraining cadence defined?", table.Out, StringComparison.Ordinal);

        var eval = await RunAsync("models", "eval", name, "1");
        Assert.Equal(1, eval.ExitCode);
    }
}

using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Vigil.Pipelines;
using Vigil.Server.Hosting;
using Vigil.Server.Pipelines;

namespace Vigil.Cli.Tests;

/// <summary>
/// <c>vigil pipelines status</c> and the leader line of <c>vigil status</c> against a real server whose control loop
/// ticks every 100 ms: the stage monitor fires the ranking stage's alert by itself.
/// </summary>
public sealed class PipelineStatusCommandTests : IAsyncLifetime
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "vigil-cli-stage-" + Guid.NewGuid().ToString("N"));
    private VigilApp? _app;

    private string Server => _app!.BaseAddress.GetLeftPart(UriPartial.Authority);

    public async ValueTask InitializeAsync()
    {
        Directory.CreateDirectory(_directory);
        _app = await VigilServer.StartAsync(
            new VigilServerOptions
            {
                Urls = ["http://127.0.0.1:0"],
                Store = "sqlite:" + Path.Combine(_directory, "vigil.db"),
                ControllerTick = TimeSpan.FromMilliseconds(100),
                LogLevel = LogLevel.Warning,
            },
            CancellationToken.None);
        _app.Services.GetRequiredService<StageMonitor>().EvaluateEvery = TimeSpan.FromMilliseconds(100);
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.DisposeAsync();
        }

        Directory.Delete(_directory, recursive: true);
    }

    private Task<CliResult> RunAsync(params string[] args) => Cli.RunAsync(["--server", Server, .. args]);

    [Fact]
    public async Task PipelinesStatus_ShowsTheFiringStageAlert_AndStatusShowsTheLeader()
    {
        var ct = TestContext.Current.CancellationToken;
        var file = Path.Combine(_directory, "qa.yaml");
        await File.WriteAllTextAsync(file, """
            name: qa
            window: 1d
            judgment_window: 0s
            stages:
              - name: retrieval
                kind: retrieval
                metric: precision@2
                threshold: ">= 0.5"
              - name: ranking
                kind: ranking
                metric: ndcg@2
                threshold: ">= 0.9"
                for: 0s
                keep_firing_for: 10m
            """, ct);
        Assert.Equal(0, (await RunAsync("pipelines", "apply", "-f", file)).ExitCode);
        using var http = new HttpClient { BaseAddress = new Uri(Server) };
        var traces = Enumerable.Range(0, 20).Select(i => new PipelineTrace(
            $"t{i}",
            [
                new("retrieval", Items: [new("d1", 0.9), new("d2", 0.8)]),
                new("ranking", Items: i < 8 ? [new("d2", 0.9), new("d1", 0.1)] : [new("d1", 0.9), new("d2", 0.1)]),
            ])).ToList();
        var judgments = Enumerable.Range(0, 20).Select(i => new PipelineJudgment($"t{i}", Relevance: new Dictionary<string, double> { ["d1"] = 1 })).ToList();
        (await http.PostAsJsonAsync("v1/pipelines/qa/traces", new TraceBatch(traces), VigilJson.Options, ct)).EnsureSuccessStatusCode();
        (await http.PostAsJsonAsync("v1/pipelines/qa/judgments", new JudgmentBatch(judgments), VigilJson.Options, ct)).EnsureSuccessStatusCode();

        // The stage monitor (evaluating every 100 ms here) fires the ranking alert by itself.
        string? state = null;
        var waited = Stopwatch.StartNew();
        while (waited.Elapsed < TimeSpan.FromSeconds(15) && state != "firing")
        {
            var json = await RunAsync("pipelines", "status", "qa", "--json");
            Assert.True(json.ExitCode == 0, json.ToString());
            using var document = JsonDocument.Parse(json.Out);
            state = document.RootElement.GetProperty("stages").EnumerateArray()
                .Where(s => s.GetProperty("stage").GetString() == "ranking")
                .Select(s => s.GetProperty("status").GetProperty("state").GetString())
                .FirstOrDefault();
            await Task.Delay(200, ct);
        }

        Assert.Equal("firing", state);
        var table = await RunAsync("pipelines", "status", "qa");
        Assert.Contains("firing", table.Out, StringComparison.Ordinal);
        Assert.Contains("breached", table.Out, StringComparison.Ordinal);
        var alerts = await RunAsync("alerts", "list", "--json");
        Assert.Contains("\"arm\": \"pipeline\"", alerts.Out, StringComparison.Ordinal);
        var status = await RunAsync("status");
        Assert.Contains("Leader", status.Out, StringComparison.Ordinal);
        Assert.Contains("(this replica)", status.Out, StringComparison.Ordinal);
        var unknown = await RunAsync("pipelines", "status", "nope");
        Assert.Equal(1, unknown.ExitCode);
    }
}

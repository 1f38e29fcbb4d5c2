using System.Net.Http.Json;
using System.Text.Json;
using Vigil.Pipelines;
using Vigil.Server.Pipelines;

namespace Vigil.Cli.Tests;

/// <summary><c>vigil pipelines …</c> against a real server in process, over real HTTP.</summary>
public sealed class PipelinesCommandsTests(ServerFixture server) : IClassFixture<ServerFixture>, IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("vigil-pipelines-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private Task<CliResult> RunAsync(params string[] args) => Cli.RunAsync(["--server", server.Server, .. args]);

    private async Task<string> WriteAsync(string text)
    {
        var path = Path.Combine(_directory, Guid.NewGuid().ToString("N") + ".yaml");
        await File.WriteAllTextAsync(path, text, TestContext.Current.CancellationToken);
        return path;
    }

    private static string Yaml(string name, string window = "7d") => $"""
        name: {name}
        description: questions about the docs
        window: {window}
        stages:
          - name: retrieval
            kind: retrieval
            metric: precision@2
            threshold: ">= 0.5"
          - name: ranking
            kind: ranking
            metric: ndcg@2
            threshold: ">= 0.9"
          - name: generation
            kind: generation
            metric: faithfulness
            threshold: ">= 0.9"
            per_request: ">= 0.75"
          - name: validation
            kind: validation
            metric: false_negative_rate
            threshold: "<= 0.05"
        """;

    [Fact]
    public async Task Apply_ThenListShowAndReapply_VersionsThePipeline()
    {
        var name = "qa-" + Guid.NewGuid().ToString("N")[..8];
        var file = await WriteAsync(Yaml(name));

        var created = await RunAsync("pipelines", "apply", "-f", file);
        var same = await RunAsync("pipelines", "apply", "-f", file);
        var changed = await RunAsync("pipelines", "apply", "-f", await WriteAsync(Yaml(name, "14d")));
        var list = await RunAsync("pipelines", "list");
        var show = await RunAsync("pipelines", "show", name);
        var showJson = await RunAsync("pipelines", "show", name, "--revision", "1", "--json");

        Assert.True(created.ExitCode == 0, created.ToString());
        Assert.Contains("created, revision 1 (4 stages)", created.Out, StringComparison.Ordinal);
        Assert.Contains("unchanged at revision 1", same.Out, StringComparison.Ordinal);
        Assert.Contains("updated to revision 2", changed.Out, StringComparison.Ordinal);
        Assert.Contains("retrieval → ranking → generation → validation", list.Out, StringComparison.Ordinal);
        Assert.Contains("ndcg@2", show.Out, StringComparison.Ordinal);
        Assert.Contains("verdict agrees with human", show.Out, StringComparison.Ordinal);
        using var json = JsonDocument.Parse(showJson.Out);
        Assert.Equal("7d", json.RootElement.GetProperty("definition").GetProperty("window").GetString());
    }

    [Fact]
    public async Task Apply_InvalidFile_ListsEveryMistakeAndSendsNothing()
    {
        var file = await WriteAsync("""
            name: Bad Name
            stages:
              - name: retrieval
                kind: retreival
                metric: precision
                threshold: high
            """);

        var result = await RunAsync("pipelines", "apply", "-f", file);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("4 problems", result.Err, StringComparison.Ordinal);
        Assert.Contains("stages[0].kind", result.Err, StringComparison.Ordinal);
        Assert.Contains("stages[0].metric", result.Err, StringComparison.Ordinal);
        Assert.Contains("stages[0].threshold", result.Err, StringComparison.Ordinal);
        Assert.DoesNotContain("Bad Name", (await RunAsync("pipelines", "list")).Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Report_AfterTracesAndJudgments_NamesTheStageWhereFailuresStart()
    {
        var name = "qa-" + Guid.NewGuid().ToString("N")[..8];
        Assert.Equal(0, (await RunAsync("pipelines", "apply", "-f", await WriteAsync(Yaml(name)))).ExitCode);
        using var http = new HttpClient { BaseAddress = new Uri(server.Server) };
        var ct = TestContext.Current.CancellationToken;
        var traces = Enumerable.Range(0, 20).Select(i => new PipelineTrace(
            $"t{i}",
            [
                new("retrieval", Items: [new("d1", 0.9), new("d2", 0.8)]),
                new("ranking", Items: i < 8 ? [new("d2", 0.9), new("d1", 0.1)] : [new("d1", 0.9), new("d2", 0.1)]),
                new("generation", Output: "x"),
                new("validation", Verdict: ValidationVerdict.Pass),
            ])).ToList();
        var judgments = Enumerable.Range(0, 20).Select(i => new PipelineJudgment(
            $"t{i}",
            Relevance: new Dictionary<string, double> { ["d1"] = 1 },
            Statements: [new("x", i >= 8)],
            Accepted: i >= 8)).ToList();
        (await http.PostAsJsonAsync($"v1/pipelines/{name}/traces", new TraceBatch(traces), VigilJson.Options, ct)).EnsureSuccessStatusCode();
        (await http.PostAsJsonAsync($"v1/pipelines/{name}/judgments", new JudgmentBatch(judgments), VigilJson.Options, ct)).EnsureSuccessStatusCode();

        var table = await RunAsync("pipelines", "report", name, "--window", "1d");
        var json = await RunAsync("pipelines", "report", name, "--json", "--against", "none");

        Assert.True(table.ExitCode == 0, table.ToString());
        Assert.Contains("Look at ranking first: 100% of the day's end-to-end failures start at ranking (8 of 8)", table.Out, StringComparison.Ordinal);
        Assert.Contains("breached", table.Out, StringComparison.Ordinal);
        Assert.Contains("End-to-end success: 60.0%", table.Out, StringComparison.Ordinal);
        using var document = JsonDocument.Parse(json.Out);
        Assert.Equal("ranking", document.RootElement.GetProperty("focus_stage").GetString());
        Assert.Equal(0.6, document.RootElement.GetProperty("end_to_end").GetProperty("success_rate").GetDouble(), 12);
        var unknown = await RunAsync("pipelines", "report", "nope-" + name);
        Assert.Equal(1, unknown.ExitCode);
        Assert.Contains("vigil pipelines apply", unknown.Err, StringComparison.Ordinal);
    }
}

using System.Text.Json;

namespace Vigil.Cli.Tests;

/// <summary><c>vigil analyze ranking</c>: the issue's JSON shape, values, and a clear error for each kind of bad input.</summary>
public sealed class AnalyzeRankingTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("vigil-ranking-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private string Write(params string[] lines)
    {
        var path = Path.Combine(_directory, $"judged-{Guid.NewGuid():N}.jsonl");
        File.WriteAllText(path, string.Join("\n", lines) + "\n");
        return path;
    }

    private static Task<CliResult> Ranking(params string[] args) => Cli.RunAsync(["analyze", "ranking", .. args]);

    [Fact]
    public async Task Ranking_Json_HasTheIssueShapeAndTheDefinedValues()
    {
        var input = Write(
            """{"query_id": "q1", "results": [{"id": "d3", "score": 0.91, "relevance": 2}, {"id": "d1", "score": 0.5, "relevance": 0}, {"id": "d7", "score": 0.7, "relevance": 1}], "relevant_total": 4}""",
            """{"query_id": "q2", "results": [{"id": "a", "relevance": 0}, {"id": "b", "relevance": 3}]}""");

        var result = await Ranking("--input", input, "--k", "2", "--json");

        Assert.True(result.ExitCode == 0, result.ToString());
        using var json = JsonDocument.Parse(result.Out);
        var root = json.RootElement;
        Assert.Equal(2, root.GetProperty("k").GetInt32());
        Assert.Equal(2, root.GetProperty("queries").GetInt32());
        var mean = root.GetProperty("mean");
        // q1 by score: d3 (2), d7 (1), d1 (0): P@2 = 1; q2 served order: a (0), b (3): P@2 = 0.5.
        Assert.Equal(0.75, mean.GetProperty("precision_at_k").GetDouble(), 12);
        Assert.Equal(0.75, mean.GetProperty("mrr").GetDouble(), 12);
        Assert.Equal(0.5, mean.GetProperty("recall_at_k").GetDouble(), 12);
        var q2Ndcg = (3 / Math.Log2(3)) / 3;
        Assert.Equal((1 + q2Ndcg) / 2, mean.GetProperty("ndcg_at_k").GetDouble(), 12);
        var perQuery = root.GetProperty("per_query");
        Assert.Equal("q1", perQuery[0].GetProperty("query_id").GetString());
        Assert.Equal(JsonValueKind.Null, perQuery[1].GetProperty("recall_at_k").ValueKind);
    }

    [Fact]
    public async Task Ranking_Table_ShowsTheMeanRow()
    {
        var input = Write("""{"query_id": "q1", "results": [{"id": "d3", "relevance": 1}]}""");
        var result = await Ranking("--input", input, "--k", "10");
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("mean", result.Out);
        Assert.Contains("0.1000", result.Out);
    }

    [Fact]
    public async Task Ranking_BadLines_AreAllListedWithTheirLineNumbers()
    {
        var input = Write(
            """{"query_id": "q1", "results": [{"id": "d3", "relevance": -1}]}""",
            """{"query_id": "q2", "results": [{"id": "d3", "relevance": "high"}]}""",
            """{"query_id": "q3", "results": []}""",
            """{"query_id": "q4", "results": [""",
            """{"query_id": "q5", "results": [{"id": "x", "relevance": 1}]}""");

        var result = await Ranking("--input", input, "--k", "5");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("4 problem(s)", result.Err);
        Assert.Contains("line 1: results[0].relevance: must be ≥ 0", result.Err);
        Assert.Contains("line 2: results[0].relevance: must be a number ≥ 0 (got \"high\")", result.Err);
        Assert.Contains("line 3: results: empty", result.Err);
        Assert.Contains("line 4: not valid JSON", result.Err);
        Assert.DoesNotContain("line 5", result.Err);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("-3")]
    public async Task Ranking_KAtMostZero_IsAUsageError(string k)
    {
        var input = Write("""{"query_id": "q1", "results": [{"id": "d3", "relevance": 1}]}""");
        var result = await Ranking("--input", input, "--k", k);
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("--k: must be at least 1", result.Err);
    }

    [Fact]
    public async Task Ranking_MissingFile_SaysWhichFile()
    {
        var result = await Ranking("--input", Path.Combine(_directory, "nope.jsonl"));
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("nope.jsonl", result.Err);
    }
}

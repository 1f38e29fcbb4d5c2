using Microsoft.Extensions.Time.Testing;
using Vigil.Pipelines;
using Vigil.Server.Pipelines;

namespace Vigil.Server.Tests;

/// <summary>Pipelines end to end over real HTTP on a fake clock: declare, send traces and judgments, read the report.</summary>
public sealed class PipelineTests : IAsyncLifetime
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 2, 8, 0, 0, TimeSpan.Zero);
    private readonly FakeTimeProvider _clock = new(T0);
    private VigilTestServer _server = null!;

    public const string QaPipeline = """
        {"name": "qa", "description": "question answering", "window": "7d",
         "stages": [
           {"name": "retrieval", "kind": "retrieval", "metric": "precision@2", "threshold": ">= 0.5"},
           {"name": "ranking", "kind": "ranking", "metric": "ndcg@2", "threshold": ">= 0.9"},
           {"name": "generation", "kind": "generation", "metric": "faithfulness", "threshold": ">= 0.9"},
           {"name": "validation", "kind": "validation", "metric": "false_negative_rate", "threshold": "<= 0.05"}
         ]}
        """;

    public async ValueTask InitializeAsync() =>
        _server = await VigilTestServer.StartAsync(configure: o => o.TimeProvider = _clock);

    public async ValueTask DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task Apply_CreatesThenVersions_ListAndShowRoundTrip_AndAudits()
    {
        var created = await _server.PostJsonAsync("/v1/pipelines", QaPipeline);
        Assert.Equal(201, (int)created.StatusCode);
        var view = await _server.ReadAsync<PipelineView>(created);
        Assert.Equal(1, view.Revision);
        Assert.Equal(4, view.Definition.Stages.Count);

        var again = await _server.ReadAsync<PipelineView>(await _server.PostJsonAsync("/v1/pipelines", QaPipeline));
        Assert.False(again.Changed);
        Assert.Equal(1, again.Revision);
        var changed = await _server.ReadAsync<PipelineView>(await _server.PostJsonAsync("/v1/pipelines", QaPipeline.Replace("\"7d\"", "\"14d\"", StringComparison.Ordinal)));
        Assert.Equal(2, changed.Revision);
        Assert.True(changed.Changed);

        var list = await _server.GetAsync<PipelineList>("/v1/pipelines");
        Assert.Equal("qa", Assert.Single(list.Pipelines).Name);
        Assert.Equal("7d", (await _server.GetAsync<PipelineView>("/v1/pipelines/qa?revision=1")).Definition.Window);
        Assert.Equal("14d", (await _server.GetAsync<PipelineView>("/v1/pipelines/qa")).Definition.Window);
        await VigilTestServer.ProblemAsync(await _server.Client.GetAsync("/v1/pipelines/nope", TestContext.Current.CancellationToken), 404);
        var audit = await _server.Client.GetStringAsync("/v1/audit", TestContext.Current.CancellationToken);
        Assert.Contains("pipeline.created", audit, StringComparison.Ordinal);
        Assert.Contains("pipeline.updated", audit, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Apply_InvalidDeclaration_ListsEveryError()
    {
        var response = await _server.PostJsonAsync("/v1/pipelines", """
            {"name": "qa", "stages": [
              {"name": "r", "kind": "retreival", "metric": "precision", "threshold": "0.8"},
              {"name": "g", "kind": "generation", "metric": "faithfulness", "threshold": ">= 0.9", "service": "nope"}
            ]}
            """);

        var problem = await VigilTestServer.ProblemAsync(response, 422);
        var errors = VigilTestServer.Errors(problem);
        Assert.Contains("stages[0].kind", errors, StringComparison.Ordinal);
        Assert.Contains("stages[0].metric", errors, StringComparison.Ordinal);
        Assert.Contains("stages[0].threshold", errors, StringComparison.Ordinal);
        Assert.Contains("stages[1].service: there is no service 'nope'", errors, StringComparison.Ordinal);
        Assert.Empty((await _server.GetAsync<PipelineList>("/v1/pipelines")).Pipelines);
    }

    [Fact]
    public async Task Traces_BadBatch_IsRejectedWholeWithEveryError_DuplicatesAreSkippedAndOrphansCounted()
    {
        await _server.ReadAsync<PipelineView>(await _server.PostJsonAsync("/v1/pipelines", QaPipeline));

        var bad = await _server.PostJsonAsync("/v1/pipelines/qa/traces", """
            {"traces": [
              {"trace_id": "a", "stages": [{"stage": "ranking", "items": []}, {"stage": "retrieval", "items": []}]},
              {"trace_id": "b", "stages": [{"stage": "rerank", "items": []}]}
            ]}
            """);
        var problem = await VigilTestServer.ProblemAsync(bad, 422);
        Assert.Contains("traces[0].stages[1].stage: 'retrieval' comes after 'ranking'", VigilTestServer.Errors(problem), StringComparison.Ordinal);
        Assert.Contains("traces[1].stages[0].stage: 'rerank' is not a stage", VigilTestServer.Errors(problem), StringComparison.Ordinal);

        var first = await _server.ReadAsync<TraceBatchResponse>(await _server.PostAsync("/v1/pipelines/qa/traces", new TraceBatch([Trace("t1", true)])));
        Assert.Equal(1, first.Stored);
        var retry = await _server.ReadAsync<TraceBatchResponse>(await _server.PostAsync("/v1/pipelines/qa/traces", new TraceBatch([Trace("t1", false), Trace("t2", true)])));
        Assert.Equal(1, retry.Stored);
        Assert.Equal(["t1"], retry.Duplicates);

        var judged = await _server.ReadAsync<JudgmentBatchResponse>(await _server.PostAsync("/v1/pipelines/qa/judgments", new JudgmentBatch([Judgment("t1", true, true), Judgment("ghost", true, true)])));
        Assert.Equal(2, judged.Stored);
        Assert.Equal(["ghost"], judged.OrphanTraceIds);
        Assert.Equal(1, (await _server.GetAsync<PipelineReport>("/v1/pipelines/qa/report")).OrphanJudgments);

        var negative = await _server.PostJsonAsync("/v1/pipelines/qa/judgments", """{"judgments": [{"trace_id": "t1", "relevance": {"d1": -1}}, {"trace_id": "t2"}]}""");
        var errors = VigilTestServer.Errors(await VigilTestServer.ProblemAsync(negative, 422));
        Assert.Contains("judgments[0].relevance['d1']: -1 must be a number ≥ 0", errors, StringComparison.Ordinal);
        Assert.Contains("judgments[1]: judges nothing", errors, StringComparison.Ordinal);
        var nonNumeric = await _server.PostJsonAsync("/v1/pipelines/qa/judgments", """{"judgments": [{"trace_id": "t1", "relevance": {"d1": "high"}}]}""");
        await VigilTestServer.ProblemAsync(nonNumeric, 400);
        await VigilTestServer.ProblemAsync(await _server.PostAsync("/v1/pipelines/nope/traces", new TraceBatch([Trace("x", true)])), 404);
    }

    [Fact]
    public async Task Report_RankingDegradesThisWeek_NamesRankingWithChangeVsPreviousWeek()
    {
        await _server.ReadAsync<PipelineView>(await _server.PostJsonAsync("/v1/pipelines", QaPipeline));

        // Last week: everything fine but 5 of 50 answers unfaithful on their own.
        await SendWeekAsync("w1", 50, badRanking: _ => false, unfaithful: i => i < 5);
        _clock.Advance(TimeSpan.FromDays(7));

        // This week: 20 of 50 badly ranked (then unfaithful and rejected), 5 unfaithful on their own.
        await SendWeekAsync("w2", 50, badRanking: i => i < 20, unfaithful: i => i < 25);
        _clock.Advance(TimeSpan.FromHours(1));

        var report = await _server.GetAsync<PipelineReport>("/v1/pipelines/qa/report?window=7d&against=previous");

        Assert.Equal("ranking", report.FocusStage);
        Assert.Equal(50, report.EndToEnd.Traces);
        Assert.Equal(0.5, report.EndToEnd.SuccessRate);
        Assert.Equal(0.9, report.EndToEnd.ReferenceSuccessRate);
        Assert.Equal(-0.4, report.EndToEnd.Change!.Value, 12);
        var ranking = report.Stages.Single(s => s.Stage == "ranking");
        Assert.Equal(StageStatus.Breached, ranking.Status);
        Assert.Equal(1.0, ranking.ReferenceValue);
        Assert.True(ranking.Change < -0.1);
        Assert.Equal(StageStatus.Ok, report.Stages.Single(s => s.Stage == "retrieval").Status);
        Assert.Equal(new BlameShare("ranking", 20, 0.8), report.Blame[0]);
        Assert.Equal("judgments", report.Stages.Single(s => s.Stage == "generation").SourceLabel);
        Assert.Contains("80% of the week's end-to-end failures start at ranking (20 of 25)", report.Headline, StringComparison.Ordinal);

        // The dashboard's pipelines page shows the same report: ranking breached, retrieval fine, the headline.
        var page = System.Net.WebUtility.HtmlDecode(await _server.Client.GetStringAsync("/pipelines", TestContext.Current.CancellationToken));
        Assert.Contains("data-stage=\"ranking\" data-status=\"breached\"", page, StringComparison.Ordinal);
        Assert.Contains("data-stage=\"retrieval\" data-status=\"ok\"", page, StringComparison.Ordinal);
        Assert.Contains("80% of the week's end-to-end failures start at ranking (20 of 25)", page, StringComparison.Ordinal);
        // Each stage's metric over time: a point per day with judged traces in the last two weeks.
        Assert.Matches("data-sparkline=\"stage-ranking\" data-points=\"[1-9][0-9]*\"", page);

        var metric = await _server.GetAsync<StageMetricReading>("/v1/pipelines/qa/stages/ranking/metric");
        Assert.Equal(ranking.Value, metric.Value);
        Assert.Equal(StageStatus.Breached, metric.Status);
        var lastWeek = await _server.GetAsync<StageMetricReading>(
            $"/v1/pipelines/qa/stages/ranking/metric?from={Uri.EscapeDataString(T0.AddHours(-1).ToString("O"))}&to={Uri.EscapeDataString(T0.AddHours(1).ToString("O"))}");
        Assert.Equal(1.0, lastWeek.Value);
        Assert.Equal(StageStatus.Ok, lastWeek.Status);

        await VigilTestServer.ProblemAsync(await _server.Client.GetAsync("/v1/pipelines/qa/report?window=soon", TestContext.Current.CancellationToken), 400);
        await VigilTestServer.ProblemAsync(await _server.Client.GetAsync("/v1/pipelines/qa/stages/nope/metric", TestContext.Current.CancellationToken), 404);
    }

    [Fact]
    public async Task Traces_StageThatIsAVigilService_LinksItsPredictionsByRequestId()
    {
        await using var model = await RemoteModel.StartAsync();
        await _server.CreateShopAsync(model);
        var answer = await _server.ReadAsync<Vigil.Server.Api.PredictResponse>(await _server.PostJsonAsync("/v1/services/shop/predict", """{"inputs": {"price": 10, "country": "DE"}}"""));
        await _server.App.FlushAsync(TestContext.Current.CancellationToken);
        await _server.ReadAsync<PipelineView>(await _server.PostJsonAsync("/v1/pipelines", """
            {"name": "scored", "stages": [{"name": "scorer", "kind": "custom", "metric": "pass_rate", "threshold": ">= 0.9", "service": "shop"}]}
            """));

        var response = await _server.ReadAsync<TraceBatchResponse>(await _server.PostAsync("/v1/pipelines/scored/traces", new TraceBatch(
        [
            new PipelineTrace("a", [new StageOutput("scorer", Passed: true, RequestId: answer.RequestId)]),
            new PipelineTrace("b", [new StageOutput("scorer", Passed: true, RequestId: "not-a-prediction")]),
        ])));

        Assert.Equal(2, response.Stored);
        Assert.Equal(["not-a-prediction"], response.UnlinkedRequestIds);
    }

    private async Task SendWeekAsync(string prefix, int count, Func<int, bool> badRanking, Func<int, bool> unfaithful)
    {
        var traces = Enumerable.Range(0, count).Select(i => Trace($"{prefix}-{i}", !badRanking(i))).ToList();
        await _server.ReadAsync<TraceBatchResponse>(await _server.PostAsync("/v1/pipelines/qa/traces", new TraceBatch(traces)));
        var judgments = Enumerable.Range(0, count).Select(i => Judgment($"{prefix}-{i}", !unfaithful(i), !unfaithful(i))).ToList();
        var response = await _server.ReadAsync<JudgmentBatchResponse>(await _server.PostAsync("/v1/pipelines/qa/judgments", new JudgmentBatch(judgments)));
        Assert.Equal(0, response.Orphans);
    }

    internal static PipelineTrace Trace(string id, bool goodRanking) => new(
        id,
        [
            new("retrieval", Items: [new("d1", 0.9), new("d2", 0.8)]),
            new("ranking", Items: goodRanking ? [new("d1", 0.9), new("d2", 0.1)] : [new("d2", 0.9), new("d1", 0.1)]),
            new("generation", Output: "The answer."),
            new("validation", Verdict: ValidationVerdict.Pass),
        ]);

    internal static PipelineJudgment Judgment(string traceId, bool faithful, bool accepted) => new(
        traceId,
        Relevance: new Dictionary<string, double> { ["d1"] = 2, ["d2"] = 0 },
        Statements: faithful ? [new("a", true)] : [new("a", true), new("b", false)],
        Accepted: accepted);

}

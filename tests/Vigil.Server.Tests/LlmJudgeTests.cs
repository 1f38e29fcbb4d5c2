using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Vigil.Pipelines;
using Vigil.Server.Pipelines;

namespace Vigil.Server.Tests;

/// <summary>The LLM judge against a small fake OpenAI-compatible server over real HTTP: source labels, caching, agreement, the cost cap, and the fallback when it is unreachable.</summary>
public sealed class LlmJudgeTests : IAsyncLifetime
{
    private VigilTestServer _server = null!;
    private WebApplication _judge = null!;
    private Uri _judgeUrl = null!;
    private int _calls;

    public async ValueTask InitializeAsync()
    {
        _server = await VigilTestServer.StartAsync();
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        _judge = builder.Build();
        _judge.MapPost("/v1/chat/completions", async (HttpRequest request) =>
        {
            Interlocked.Increment(ref _calls);
            var body = await JsonNode.ParseAsync(request.Body);
            var prompt = body!["messages"]!.AsArray().Last()!["content"]!.ToString();
            var unsupported = prompt.Contains("pigeon", StringComparison.Ordinal);
            var verdict = unsupported
                ? """{"statements": [{"text": "Refunds exist.", "supported": true}, {"text": "They come by pigeon.", "supported": false}]}"""
                : """{"statements": [{"text": "Refunds take five business days.", "supported": true}]}""";
            return Results.Json(new JsonObject
            {
                ["id"] = "chatcmpl-1",
                ["object"] = "chat.completion",
                ["created"] = 1_764_000_000,
                ["model"] = body["model"]!.ToString(),
                ["choices"] = new JsonArray(new JsonObject
                {
                    ["index"] = 0,
                    ["message"] = new JsonObject { ["role"] = "assistant", ["content"] = verdict },
                    ["finish_reason"] = "stop",
                }),
                ["usage"] = new JsonObject { ["prompt_tokens"] = 50, ["completion_tokens"] = 20, ["total_tokens"] = 70 },
            });
        });
        await _judge.StartAsync(TestContext.Current.CancellationToken);
        var address = _judge.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        _judgeUrl = new Uri(address + "/v1");
    }

    public async ValueTask DisposeAsync()
    {
        await _server.DisposeAsync();
        await _judge.DisposeAsync();
    }

    private async Task ApplyAsync(string endpoint, int samples, int maxCalls)
    {
        var pipeline = JsonNode.Parse(PipelineTests.QaPipeline)!.AsObject();
        pipeline["judge"] = new JsonObject { ["endpoint"] = endpoint, ["model"] = "judge-1", ["samples"] = samples, ["max_calls"] = maxCalls };
        await _server.ReadAsync<PipelineView>(await _server.PostJsonAsync("/v1/pipelines", pipeline.ToJsonString()));
    }

    /// <summary>Six answers, two of them unfaithful; judgments carry relevance and accept/reject but no claim-level support.</summary>
    private async Task SendAsync()
    {
        var traces = Enumerable.Range(0, 6).Select(i => new PipelineTrace(
            $"t{i}",
            [
                new("retrieval", Items: [new("d1", 0.9, "Refunds take five business days."), new("d2", 0.8, "Shipping is free.")]),
                new("ranking", Items: [new("d1", 0.9, "Refunds take five business days."), new("d2", 0.1, "Shipping is free.")]),
                new("generation", Output: i < 2 ? $"Refunds come by pigeon ({i})." : $"Refunds take five business days ({i})."),
                new("validation", Verdict: ValidationVerdict.Pass),
            ])).ToList();
        await _server.ReadAsync<TraceBatchResponse>(await _server.PostAsync("/v1/pipelines/qa/traces", new TraceBatch(traces)));
        var judgments = Enumerable.Range(0, 6).Select(i => new PipelineJudgment($"t{i}", Relevance: new Dictionary<string, double> { ["d1"] = 1 }, Accepted: i >= 2)).ToList();
        await _server.ReadAsync<JudgmentBatchResponse>(await _server.PostAsync("/v1/pipelines/qa/judgments", new JudgmentBatch(judgments)));
    }

    [Fact]
    public async Task Report_WithJudge_LabelsFaithfulnessLlmJudge_SamplesAgreeAndRepeatsComeFromTheCache()
    {
        await ApplyAsync(_judgeUrl.ToString(), samples: 3, maxCalls: 100);
        await SendAsync();

        var report = await _server.GetAsync<PipelineReport>("/v1/pipelines/qa/report?window=1d&against=none");
        var again = await _server.GetAsync<PipelineReport>("/v1/pipelines/qa/report?window=1d&against=none");

        var generation = report.Stages.Single(s => s.Stage == "generation");
        Assert.Equal("llm-judge", generation.SourceLabel);
        Assert.Equal(((2 * 0.5) + 4) / 6, generation.Value!.Value, 12);
        Assert.Equal(18, report.Judge!.Calls);
        Assert.Equal(6, report.Judge.Judged);
        Assert.Equal(1.0, report.Judge.Agreement);
        Assert.Null(report.Judge.Fallback);
        Assert.Equal(18, Volatile.Read(ref _calls));
        Assert.Equal(0, again.Judge!.Calls);
        Assert.Equal(6, again.Judge.CacheHits);
        Assert.Equal(generation.Value, again.Stages.Single(s => s.Stage == "generation").Value);
    }

    [Fact]
    public async Task Report_CostCapReached_RestFallsBackToTheLexicalEstimateAndSaysSo()
    {
        await ApplyAsync(_judgeUrl.ToString(), samples: 2, maxCalls: 4);
        await SendAsync();

        var report = await _server.GetAsync<PipelineReport>("/v1/pipelines/qa/report?window=1d&against=none");

        Assert.Equal(4, report.Judge!.Calls);
        Assert.Equal(4, report.Judge.SkippedByCap);
        Assert.Contains("cost cap of 4 calls", report.Judge.Fallback, StringComparison.Ordinal);
        Assert.Equal("lexical-estimate 67%, llm-judge 33%", report.Stages.Single(s => s.Stage == "generation").SourceLabel);
    }

    [Fact]
    public async Task Report_JudgeUnreachable_FallsBackToTheLexicalEstimateAndSaysSo()
    {
        using var probe = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        probe.Start();
        var port = ((System.Net.IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        await ApplyAsync($"http://127.0.0.1:{port}/v1", samples: 1, maxCalls: 100);
        await SendAsync();

        var report = await _server.GetAsync<PipelineReport>("/v1/pipelines/qa/report?window=1d&against=none");

        Assert.Contains("did not answer", report.Judge!.Fallback, StringComparison.Ordinal);
        Assert.Equal("lexical-estimate", report.Stages.Single(s => s.Stage == "generation").SourceLabel);
        Assert.Equal(1, report.Judge.Calls);
    }

    [Fact]
    public void Parse_ReadsTheStatementListOutOfAReply()
    {
        Assert.Equal(0.5, LlmJudge.Session.Parse("Sure! {\"statements\": [{\"supported\": true}, {\"supported\": false}]}"));
        Assert.Null(LlmJudge.Session.Parse("no json here"));
        Assert.Null(LlmJudge.Session.Parse("{\"statements\": []}"));
    }
}

using System.Diagnostics;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry;
using OpenTelemetry.Exporter;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using Vigil.Persistence;
using Vigil.Pipelines;
using Vigil.Server.Pipelines;

namespace Vigil.Server.Tests;

/// <summary>OTLP/HTTP ingestion: OpenInference spans sent by the real OpenTelemetry .NET SDK exporter (protobuf) and as OTLP/JSON.</summary>
public sealed class OtlpIngestionTests : IAsyncLifetime
{
    private VigilTestServer _server = null!;

    public async ValueTask InitializeAsync()
    {
        _server = await VigilTestServer.StartAsync();
        await _server.ReadAsync<PipelineView>(await _server.PostJsonAsync("/v1/pipelines", PipelineTests.QaPipeline));
    }

    public async ValueTask DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task OtelSdkExporter_HttpProtobuf_OpenInferenceSpansBecomeStagesJoinedToJudgments()
    {
        var sourceName = "vigil-test-" + Guid.NewGuid().ToString("N");
        using var source = new ActivitySource(sourceName);
        var traceIds = new List<string>();
        using (var provider = Sdk.CreateTracerProviderBuilder()
            .SetResourceBuilder(ResourceBuilder.CreateDefault().AddService("qa-app").AddAttributes([new("vigil.pipeline", "qa")]))
            .AddSource(sourceName)
            .AddOtlpExporter(o =>
            {
                o.Endpoint = new Uri(_server.App.BaseAddress, "/v1/traces");
                o.Protocol = OtlpExportProtocol.HttpProtobuf;
                o.ExportProcessorType = ExportProcessorType.Simple; // one export per span: the spans of a trace arrive apart
            })
            .Build())
        {
            for (var i = 0; i < 10; i++)
            {
                using var root = source.StartActivity("qa")!;
                root.SetTag("openinference.span.kind", "CHAIN");
                traceIds.Add(root.TraceId.ToHexString());
                var badRanking = i < 4;
                using (var retriever = source.StartActivity("retrieve")!)
                {
                    retriever.SetTag("openinference.span.kind", "RETRIEVER");
                    retriever.SetTag("retrieval.documents.0.document.id", "d1");
                    retriever.SetTag("retrieval.documents.0.document.score", 0.9);
                    retriever.SetTag("retrieval.documents.0.document.content", "Refunds take five business days.");
                    retriever.SetTag("retrieval.documents.1.document.id", "d2");
                    retriever.SetTag("retrieval.documents.1.document.score", 0.8);
                    retriever.SetTag("retrieval.documents.1.document.content", "Shipping is free over 50 euros.");
                }

                using (var reranker = source.StartActivity("rerank")!)
                {
                    reranker.SetTag("openinference.span.kind", "RERANKER");
                    reranker.SetTag("reranker.output_documents.0.document.id", badRanking ? "d2" : "d1");
                    reranker.SetTag("reranker.output_documents.0.document.score", 0.9);
                    reranker.SetTag("reranker.output_documents.0.document.content", badRanking ? "Shipping is free over 50 euros." : "Refunds take five business days.");
                    reranker.SetTag("reranker.output_documents.1.document.id", badRanking ? "d1" : "d2");
                    reranker.SetTag("reranker.output_documents.1.document.score", 0.1);
                }

                using (var llm = source.StartActivity("llm")!)
                {
                    llm.SetTag("openinference.span.kind", "LLM");
                    llm.SetTag("output.value", badRanking ? "Refunds arrive by carrier pigeon." : "Refunds take five business days.");
                }

                using (var guard = source.StartActivity("guard")!)
                {
                    guard.SetTag("openinference.span.kind", "GUARDRAIL");
                    guard.SetTag("vigil.verdict", "pass");
                }
            }

            Assert.True(provider.ForceFlush(10_000));
        }

        var judgments = traceIds.Select((id, i) => new PipelineJudgment(id, Relevance: new Dictionary<string, double> { ["d1"] = 1 }, Accepted: i >= 4)).ToList();
        var judged = await _server.ReadAsync<JudgmentBatchResponse>(await _server.PostAsync("/v1/pipelines/qa/judgments", new JudgmentBatch(judgments)));
        Assert.Equal(0, judged.Orphans);

        var report = await _server.GetAsync<PipelineReport>("/v1/pipelines/qa/report?window=1d&against=none");

        Assert.Equal(10, report.EndToEnd.Traces);
        Assert.Equal(0.6, report.EndToEnd.SuccessRate);
        Assert.Equal("ranking", report.FocusStage);
        Assert.Equal(new BlameShare("ranking", 4, 1.0), Assert.Single(report.Blame));
        Assert.Equal(0.5, report.Stages.Single(s => s.Stage == "retrieval").Value);
        var generation = report.Stages.Single(s => s.Stage == "generation");
        Assert.Equal("lexical-estimate", generation.SourceLabel); // context: the trace's retrieved documents
        Assert.Equal(0.6, generation.Value);
        Assert.Equal(10, report.Stages.Single(s => s.Stage == "validation").Judged);
    }

    [Fact]
    public async Task OtlpJson_ConfiguredStageAttribute_MapsASpanOfAnotherKindToItsStage()
    {
        await _server.ReadAsync<PipelineView>(await _server.PostJsonAsync("/v1/pipelines", """
            {"name": "tools", "otlp_stage_attribute": "app.step",
             "stages": [{"name": "lookup", "kind": "custom", "metric": "pass_rate", "threshold": ">= 0.9"}]}
            """));
        var json = """
            {"resourceSpans": [{"resource": {"attributes": [{"key": "vigil.pipeline", "value": {"stringValue": "tools"}}]},
              "scopeSpans": [{"spans": [
                {"traceId": "0102030405060708090a0b0c0d0e0f10", "spanId": "0102030405060708", "name": "tool", "startTimeUnixNano": "1764000000000000000",
                 "status": {"code": 2},
                 "attributes": [{"key": "openinference.span.kind", "value": {"stringValue": "TOOL"}}, {"key": "app.step", "value": {"stringValue": "lookup"}}]}]}]}]}
            """;

        var response = await _server.Client.PostAsync("/v1/traces", new StringContent(json, Encoding.UTF8, "application/json"), TestContext.Current.CancellationToken);

        Assert.Equal("{}", await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        var stored = await _server.App.Services.GetRequiredService<IVigilStore>().GetTraceAsync("tools", "0102030405060708090a0b0c0d0e0f10", TestContext.Current.CancellationToken);
        Assert.Contains("\"passed\":false", stored!.Stages, StringComparison.Ordinal);
    }

    [Fact]
    public async Task OtlpJson_SpansWithoutPipeline_AreReportedAsPartialSuccess()
    {
        var json = """
            {"resourceSpans": [
              {"resource": {"attributes": [{"key": "vigil.pipeline", "value": {"stringValue": "qa"}}]},
               "scopeSpans": [{"spans": [
                 {"traceId": "5B8EFFF798038103D269B633813FC60C", "spanId": "EEE19B7EC3C1B174", "name": "retrieve", "startTimeUnixNano": "1764000000000000000",
                  "attributes": [
                    {"key": "openinference.span.kind", "value": {"stringValue": "RETRIEVER"}},
                    {"key": "retrieval.documents.0.document.id", "value": {"stringValue": "d1"}},
                    {"key": "retrieval.documents.0.document.score", "value": {"doubleValue": 0.5}}]}]}]},
              {"resource": {"attributes": []},
               "scopeSpans": [{"spans": [{"traceId": "00000000000000000000000000000001", "spanId": "0000000000000001", "name": "orphan", "startTimeUnixNano": "1"}]}]}
            ]}
            """;

        var response = await _server.Client.PostAsync("/v1/traces", new StringContent(json, Encoding.UTF8, "application/json"), TestContext.Current.CancellationToken);
        var text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);

        Assert.True(response.IsSuccessStatusCode, text);
        Assert.Contains("\"rejectedSpans\":\"1\"", text, StringComparison.Ordinal);
        Assert.Contains("no 'vigil.pipeline' attribute", text, StringComparison.Ordinal);
        var stored = await _server.App.Services.GetRequiredService<IVigilStore>().GetTraceAsync("qa", "5b8efff798038103d269b633813fc60c", TestContext.Current.CancellationToken);
        Assert.NotNull(stored);
        Assert.Contains("\"d1\"", stored.Stages, StringComparison.Ordinal);

        var garbage = await _server.Client.PostAsync("/v1/traces", new ByteArrayContent([0xff, 0xff, 0xff]) { Headers = { ContentType = new("application/x-protobuf") } }, TestContext.Current.CancellationToken);
        await VigilTestServer.ProblemAsync(garbage, 400);
    }
}

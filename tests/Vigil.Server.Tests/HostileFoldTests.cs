using System.Net;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Vigil.Persistence;
using Vigil.Registry;
using Vigil.Server.Api;

namespace Vigil.Server.Tests;

/// <summary>
/// Issue 13, item 1: nothing a client sends can stop the server or lose a prediction it answered. Every value kind,
/// mixed per feature across the records of one window, for declared and unknown features, goes through the real
/// gateway and the recorder's fold; the host must still run, and every request answered 200 must be in the store.
/// </summary>
public sealed class HostileFoldTests : IAsyncLifetime
{
    private RemoteModel _model = null!;
    private VigilTestServer _server = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        _model = await RemoteModel.StartAsync();
        _server = await VigilTestServer.StartAsync();
        var created = await _server.PostAsync("/v1/services", new CreateServiceRequest(
            "svc",
            [
                new("x", FeatureType.Number),
                new("n", FeatureType.Number, Nullable: true),
                new("c", FeatureType.Category, Nullable: true, Categories: ["a", "b"]),
                new("s", FeatureType.String, Nullable: true),
                new("b", FeatureType.Boolean, Nullable: true),
            ],
            new OutputSpec(OutputKind.Probability),
            "test"));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        await _server.RegisterRemoteAsync(_model, "svc", "champion");
    }

    public async ValueTask DisposeAsync()
    {
        await _server.DisposeAsync();
        await _model.DisposeAsync();
    }

    [Fact]
    public async Task Predict_UnknownFeatureStringThenNumberInOneBatch_ServerStaysUpAndBothAnswersAreStored()
    {
        // The issue's repro: answered 200, then the recorder's fold threw, the host stopped, and neither row was written.
        var response = await _server.PostJsonAsync("/v1/services/svc/predict", """{"instances":[{"x":1,"zz":"a"},{"x":1,"zz":1}]}""");

        var answer = await _server.ReadAsync<BatchPredictResponse>(response);
        await AssertAliveAndStoredAsync([.. answer.Predictions.Select(p => p.RequestId)]);
    }

    [Fact]
    public async Task Predict_UnknownFeatureLoneSurrogate_ServerStaysUpAndEveryAnswerIsStored()
    {
        // An escaped lone surrogate is valid JSON; the edge may refuse it (400) or serve it, but never stop the server.
        var ids = new List<string>();
        foreach (var body in new[] { """{"inputs":{"x":1,"zz":"\ud800"}}""", """{"inputs":{"x":1,"zz":"a"}}""", """{"inputs":{"x":1,"zz":"\udc00x"}}""" })
        {
            var response = await _server.PostJsonAsync("/v1/services/svc/predict", body);
            if (response.StatusCode == HttpStatusCode.OK)
            {
                ids.Add((await _server.ReadAsync<PredictResponse>(response)).RequestId);
            }
            else
            {
                await VigilTestServer.ProblemAsync(response, 400);
            }
        }

        Assert.Contains(ids, _ => true);
        await AssertAliveAndStoredAsync(ids);
    }

    /// <summary>Every JSON value kind, including the ones a fold cannot take.</summary>
    private static readonly string[] Values =
    [
        "1", "-2.5", "0", "-0", "1e308", "1e400", "-1e400", "123456789012345678901234567890", "0.000000000000000000001",
        "\"a\"", "\"\"", "\"\\ud800\"", "\"\\udc00x\"", "\"\\u0000\"", "true", "false", "null",
        "{}", "{\"k\":1}", "[]", "[1,\"a\",null]",
    ];

    [Fact]
    public async Task Predict_EveryValueKindMixedPerFeatureAcrossRecords_ServerStaysUpAndEveryAnswerIsStored()
    {
        var ids = new List<string>();
        var statuses = new Dictionary<int, int>();
        var servedInvalidText = false;
        async Task SendAsync(string body)
        {
            var response = await _server.PostJsonAsync("/v1/services/svc/predict", body);
            var status = (int)response.StatusCode;
            statuses[status] = statuses.GetValueOrDefault(status) + 1;
            var text = await response.Content.ReadAsStringAsync(Ct);
            Assert.True(status is 200 or 400 or 422, $"{status} for {body}: {text}");
            if (status == 200)
            {
                servedInvalidText |= body.Contains("\\ud", StringComparison.Ordinal);
                var node = JsonNode.Parse(text)!;
                if (node["predictions"] is JsonArray predictions)
                {
                    ids.AddRange(predictions.Select(p => p!["request_id"]!.GetValue<string>()));
                }
                else
                {
                    ids.Add(node["request_id"]!.GetValue<string>());
                }
            }
        }

        // For each position i, every feature (declared and unknown) gets a different kind, so across the records each
        // feature sees every kind in the same window; batches mix them inside one request too.
        var instances = new List<string>();
        for (var i = 0; i < Values.Length; i++)
        {
            string V(int shift) => Values[(i + shift) % Values.Length];

            // The edge's own handling of a lone surrogate in a declared string feature (400 problem details, not 500) is
            // issue 13's item 4 and its fuzz suite; here declared string features get a plain string instead.
            string Text(int shift) => V(shift).Contains("\\ud", StringComparison.Ordinal) ? "\"a\"" : V(shift);
            var declared = $"\"x\":{(i % 2 == 0 ? "1" : V(0))},\"n\":{V(1)},\"c\":{Text(2)},\"s\":{Text(3)},\"b\":{V(4)}";
            var unknown = $"\"u1\":{V(5)},\"u2\":{V(6)},\"u3\":{V(7)},\"u{i}\":{V(8)}";
            await SendAsync($"{{\"inputs\":{{{declared},{unknown}}}}}");
            await SendAsync($"{{\"inputs\":{{\"x\":{i},{unknown}}}}}");
            instances.Add($"{{\"x\":{i},{unknown}}}");
        }

        await SendAsync($"{{\"instances\":[{string.Join(",", instances)}]}}");
        for (var i = 0; i + 2 < instances.Count; i += 3)
        {
            await SendAsync($"{{\"instances\":[{instances[i]},{instances[i + 1]},{instances[i + 2]}]}}");
        }

        Assert.True(ids.Count > Values.Length, "most requests must be served: " + string.Join(", ", statuses.Select(s => $"{s.Key}: {s.Value}")));
        await AssertAliveAndStoredAsync(ids);

        // A lone surrogate that got past the edge (in an unknown feature) is a counted fold error, never a lost record.
        var recorder = (await _server.GetAsync<StatusView>("/v1/status")).Recorder;
        if (servedInvalidText)
        {
            Assert.True(recorder.FoldErrors > 0, "a served lone surrogate must be counted as a fold error");
            var metrics = await _server.Client.GetStringAsync("/metrics", Ct);
            Assert.Contains("vigil_monitoring_fold_errors_total{", metrics, StringComparison.Ordinal);
            Assert.Contains("vigil_reason=\"invalid_text\"", metrics, StringComparison.Ordinal);
        }
    }

    private async Task AssertAliveAndStoredAsync(IReadOnlyList<string> ids)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(20));
        await _server.App.FlushAsync(timeout.Token);

        var lifetime = _server.App.Services.GetRequiredService<IHostApplicationLifetime>();
        Assert.False(lifetime.ApplicationStopping.IsCancellationRequested, "the host was asked to stop");
        var store = _server.App.Services.GetRequiredService<IVigilStore>();
        foreach (var id in ids)
        {
            Assert.NotNull(await store.GetPredictionAsync(id, Ct));
        }

        // Still serving, and the next prediction is stored too.
        var next = await _server.ReadAsync<PredictResponse>(await _server.PostJsonAsync("/v1/services/svc/predict", """{"inputs":{"x":2}}"""));
        await _server.App.FlushAsync(timeout.Token);
        Assert.NotNull(await store.GetPredictionAsync(next.RequestId, Ct));
    }
}

using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Vigil.Monitoring;
using Vigil.Pipelines;
using Vigil.Server.Monitoring;
using Vigil.Server.Pipelines;

namespace Vigil.Server.Tests;

/// <summary>
/// Pipeline stage alerts (docs/pipelines.md, "Stage alerts" and "Judgment maturity") over real HTTP on a fake clock:
/// a stage past its threshold goes pending → firing → resolved with its <c>for</c> and <c>keep_firing_for</c>, reaches
/// the webhook and <c>/v1/alerts</c>, and traces younger than the judgment window are not counted.
/// </summary>
public sealed class StageMonitorTests : IAsyncLifetime
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 2, 8, 0, 0, TimeSpan.Zero);
    private readonly FakeTimeProvider _clock = new(T0);
    private RemoteModel _hooks = null!;
    private VigilTestServer _server = null!;

    private const string Pipeline = """
        {"name": "qa", "window": "7d", "judgment_window": "1h",
         "stages": [
           {"name": "retrieval", "kind": "retrieval", "metric": "precision@2", "threshold": ">= 0.5"},
           {"name": "ranking", "kind": "ranking", "metric": "ndcg@2", "threshold": ">= 0.9", "window": "1h", "for": "10m", "keep_firing_for": "5m"},
           {"name": "generation", "kind": "generation", "metric": "faithfulness", "threshold": ">= 0.5"},
           {"name": "validation", "kind": "validation", "metric": "false_negative_rate", "threshold": "<= 0.05"}
         ]}
        """;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private StageMonitor Monitor => _server.App.Services.GetRequiredService<StageMonitor>();

    public async ValueTask InitializeAsync()
    {
        _hooks = await RemoteModel.StartAsync();
        _server = await VigilTestServer.StartAsync(configure: o =>
        {
            o.TimeProvider = _clock;
            o.ControllerTick = TimeSpan.FromDays(300); // the test ticks by hand
            o.Webhooks.Add(new Uri(_hooks.Url, "hook").ToString());
        });
    }

    public async ValueTask DisposeAsync()
    {
        await _server.DisposeAsync();
        await _hooks.DisposeAsync();
    }

    [Fact]
    public async Task RankingDegrades_AlertGoesPendingFiringResolved_CountingOnlyMaturedTraces()
    {
        await _server.ReadAsync<PipelineView>(await _server.PostJsonAsync("/v1/pipelines", Pipeline));
        await SendAsync("good-a", 20, goodRanking: true);

        // An hour and a minute on, the good traces are mature: ranking is within its threshold.
        _clock.Advance(TimeSpan.FromMinutes(61));
        Assert.Equal(AlertState.Inactive, (await RankingAsync()).Status.State);
        Assert.Equal(StageStatus.Ok, (await RankingAsync()).Reading);

        // The reranker breaks. Its traces are not mature yet: neither the alert, the metric nor the report counts them.
        await SendAsync("bad", 30, goodRanking: false);
        _clock.Advance(TimeSpan.FromMinutes(1));
        var early = await RankingAsync();
        Assert.Equal(AlertState.Inactive, early.Status.State);
        Assert.Equal(1.0, early.Status.Value);
        var metric = await _server.GetAsync<StageMetricReading>($"/v1/pipelines/qa/stages/ranking/metric?from={Uri.EscapeDataString(T0.AddMinutes(-1).ToString("O"))}");
        Assert.Equal(20, metric.Judged);
        Assert.Equal(1.0, metric.Value);
        var report = await _server.GetAsync<PipelineReport>("/v1/pipelines/qa/report?window=1d");
        Assert.Equal(20, report.EndToEnd.Traces);

        // Once they are mature the stage is breached: pending for its 10 minutes, then firing.
        _clock.Advance(TimeSpan.FromHours(1));
        var pending = await RankingAsync();
        Assert.Equal(AlertState.Pending, pending.Status.State);
        Assert.Equal(StageStatus.Breached, pending.Reading);
        Assert.Equal(30, pending.Judged);
        Assert.True(pending.Status.Value < 0.9);
        Assert.Equal(0.9, pending.Status.Threshold);
        var alerts = await _server.GetAsync<AlertList>("/v1/alerts?service=qa");
        var listed = Assert.Single(alerts.Alerts);
        Assert.Equal(StageMonitor.Arm, listed.Arm);
        Assert.Equal("ranking", listed.Status.Subject);
        Assert.Equal(AlertState.Pending, listed.Status.State);

        _clock.Advance(TimeSpan.FromMinutes(5));
        Assert.Equal(AlertState.Pending, (await RankingAsync()).Status.State);
        _clock.Advance(TimeSpan.FromMinutes(5));
        var firing = await RankingAsync();
        Assert.Equal(AlertState.Firing, firing.Status.State);
        Assert.Equal(T0 + TimeSpan.FromMinutes(132), firing.Status.FiredAt);

        // Time to detect counts from the end of the first breached window: the judgment window (1 h) plus for (10 m).
        Assert.Equal(TimeSpan.FromMinutes(70).TotalSeconds, firing.Status.TimeToDetectSeconds);
        var fired = await HookAsync("\"to\":\"firing\"");
        Assert.Equal("qa", fired["service"]!.GetValue<string>());
        Assert.Equal("pipeline", fired["arm"]!.GetValue<string>());
        Assert.Equal("ranking", fired["alert"]!["subject"]!.GetValue<string>());
        Assert.Contains("stage ranking ndcg@2", fired["alert"]!["summary"]!.GetValue<string>(), StringComparison.Ordinal);

        // The reranker is fixed: once the good traces are mature and the bad ones out of the hour, the alert resolves.
        await SendAsync("good-b", 20, goodRanking: true);
        _clock.Advance(TimeSpan.FromMinutes(61));
        var resolved = await RankingAsync();
        Assert.Equal(StageStatus.Ok, resolved.Reading);
        Assert.Equal(AlertState.Resolved, resolved.Status.State);
        await HookAsync("\"to\":\"resolved\"");
        var status = await _server.GetAsync<StageAlertList>("/v1/pipelines/qa/alerts");
        Assert.Equal(["retrieval", "ranking", "generation", "validation"], status.Stages.Select(s => s.Stage));
        await VigilTestServer.ProblemAsync(await _server.Client.GetAsync("/v1/pipelines/nope/alerts", Ct), 404);
    }

    [Fact]
    public async Task JudgmentWindow_Invalid_IsRefusedWithItsPath()
    {
        var response = await _server.PostJsonAsync("/v1/pipelines", Pipeline.Replace("\"judgment_window\": \"1h\"", "\"judgment_window\": \"soon\"", StringComparison.Ordinal)
            .Replace("\"for\": \"10m\"", "\"for\": \"-1m\"", StringComparison.Ordinal));

        var errors = VigilTestServer.Errors(await VigilTestServer.ProblemAsync(response, 422));
        Assert.Contains("judgment_window: 'soon'", errors, StringComparison.Ordinal);
        Assert.Contains("stages[1].for: '-1m'", errors, StringComparison.Ordinal);
    }

    private async Task SendAsync(string prefix, int count, bool goodRanking)
    {
        var traces = Enumerable.Range(0, count).Select(i => PipelineTests.Trace($"{prefix}-{i}", goodRanking)).ToList();
        await _server.ReadAsync<TraceBatchResponse>(await _server.PostAsync("/v1/pipelines/qa/traces", new TraceBatch(traces)));
        var judgments = Enumerable.Range(0, count).Select(i => PipelineTests.Judgment($"{prefix}-{i}", faithful: true, accepted: true)).ToList();
        await _server.ReadAsync<JudgmentBatchResponse>(await _server.PostAsync("/v1/pipelines/qa/judgments", new JudgmentBatch(judgments)));
    }

    /// <summary>Ticks the stage monitor and reads the ranking stage's alert through the API.</summary>
    private async Task<StageAlertView> RankingAsync()
    {
        await Monitor.TickAsync(Ct);
        var list = await _server.GetAsync<StageAlertList>("/v1/pipelines/qa/alerts");
        return list.Stages.Single(s => s.Stage == "ranking");
    }

    private async Task<JsonObject> HookAsync(string marker)
    {
        for (var i = 0; i < 100; i++)
        {
            if (_hooks.Hooks.FirstOrDefault(h => h.Contains(marker, StringComparison.Ordinal) && h.Contains("ranking", StringComparison.Ordinal)) is { } hook)
            {
                return JsonNode.Parse(hook)!.AsObject();
            }

            await Task.Delay(20, Ct);
        }

        Assert.Fail($"no webhook with {marker}; got: {string.Join(" | ", _hooks.Hooks)}");
        return null!;
    }
}

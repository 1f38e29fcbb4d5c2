using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Vigil.Retraining;
using Vigil.Server.Api;
using Vigil.Server.Releases;
using Vigil.Server.Retraining;

namespace Vigil.Server.Tests;

/// <summary>
/// The whole loop over real HTTP: a performance drop (the trigger a monitor's retrain action sends, here through
/// POST /v1/retrain) retrains with the built-in ML.NET trainer on the logged labelled data, the candidate passes the
/// evaluation against the champion, starts the release template by itself, goes through its canary and is promoted.
/// </summary>
public sealed class RetrainingLoopTests(ITestOutputHelper output) : IAsyncLifetime
{
    private RetrainingHarness _h = null!;

    public async ValueTask InitializeAsync()
    {
        _h = await RetrainingHarness.StartAsync();
        await _h.CreateShopAsync();
    }

    public async ValueTask DisposeAsync() => await _h.DisposeAsync();

    [Fact]
    public async Task PerformanceDrop_Retrains_PassesEvaluation_CanariesAndIsPromoted_WithNoHumanAction()
    {
        await _h.PutPolicyAsync("""
            {"trainer": {"kind": "mlnet"}, "performance": true, "cooldown": "1h", "max_per_day": 4,
             "gate": {"segments": ["country"], "min_segment_rows": 50},
             "release_template": {"service": "shop", "strategy": "canary", "steps": [{"weight": "50%", "hold": "10m"}],
               "min_samples_per_step": 200, "analysis_interval": "5m", "outcome_window": "1m",
               "triggers": [{"metric": "error_rate", "max": "2%"}]}}
            """);
        await _h.SendLabelledAsync(3000);

        var clock = Stopwatch.StartNew();
        var trigger = await _h.RetrainAsync("task completion 0.61 below its threshold 0.70", kind: "performance");
        Assert.Equal("queued", trigger.Result);
        var job = await _h.WaitForJobAsync(trigger.Job!.Id, j => !j.IsActive && j.Details?.Contains("release", StringComparison.Ordinal) == true);
        var toCanary = clock.Elapsed;
        output.WriteLine($"trigger to canary: {toCanary.TotalSeconds:0.00} s");

        Assert.Equal(JobStatus.Succeeded, job.Status);
        Assert.Equal(2, job.Version);
        Assert.Contains("training data: ", job.Log, StringComparison.Ordinal);
        var version = await _h.Server.GetAsync<VersionView>("/v1/services/shop/versions/2");
        Assert.Equal(job.Id, version.Metadata["job_id"]);
        Assert.InRange(int.Parse(version.Metadata["rows"], System.Globalization.CultureInfo.InvariantCulture), 2200, 2600);
        Assert.Equal("mlnet", version.Metadata["trainer"]);
        var report = await _h.Server.GetAsync<EvaluationReport>("/v1/services/shop/versions/2/evaluation");
        Assert.Equal(EvaluationReport.Passed, report.Decision);

        var releases = await _h.Server.GetAsync<ReleaseList>("/v1/releases?service=shop");
        var release = Assert.Single(releases.Releases);
        Assert.Equal(2, release.Challenger);
        Assert.Equal("canary", release.Status);

        // The canary runs on its own: traffic with outcomes, the controller's ticks, promotion.
        for (var round = 0; round < 6 && release.Active; round++)
        {
            await _h.SendLabelledAsync(600);
            _h.Clock.Advance(TimeSpan.FromMinutes(11));
            await _h.Server.App.Services.GetRequiredService<ReleaseController>().TickAsync(RetrainingHarness.Ct);
            release = await _h.Server.GetAsync<ReleaseView>($"/v1/releases/{release.Id}");
        }

        Assert.Equal("promoted", release.Status);
        Assert.Equal(2, (await _h.Server.GetAsync<AliasesView>("/v1/services/shop/aliases")).Champion);

        var timeline = await _h.Server.GetAsync<TimelineView>("/v1/services/shop/timeline");
        var loop = timeline.Entries.SkipWhile(e => e.Stage != "detection").Select(e => e.Stage).Distinct().ToList();
        Assert.Equal(["detection", "trigger", "training", "evaluation", "release", "promotion"], loop);

        var maturity = await _h.Server.GetAsync<MaturityView>("/v1/services/shop/maturity");
        Assert.Equal(2, maturity.Level);
        Assert.All(maturity.Checks, c => Assert.True(c.Met, c.Question + " " + c.Evidence));
        Assert.NotNull(maturity.MedianDetectionToProductionHours);

        // The dashboard's retraining page shows the same job, maturity and timeline.
        var page = await _h.Server.Client.GetStringAsync("/retraining?service=shop", RetrainingHarness.Ct);
        Assert.Contains("data-status=\"succeeded\"", page, StringComparison.Ordinal);
        Assert.Contains("data-maturity=\"shop\" data-level=\"2\"", page, StringComparison.Ordinal);
        Assert.Contains("data-stage=\"evaluation\"", page, StringComparison.Ordinal);
        Assert.DoesNotContain("data-empty=\"retraining\"", page, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TwoManualTriggersAtOnce_StartOneJob_AndTheOtherIsCoalesced_AndAudited()
    {
        await _h.PutPolicyAsync("""{"trainer": {"kind": "webhook", "url": "http://127.0.0.1:9/never"}}""");
        await _h.SendLabelledAsync(100);
        var service = _h.Server.App.Services.GetRequiredService<RetrainingService>();
        var causes = Enumerable.Range(0, 2).Select(i => new RetrainCause("shop", "manual", $"pulled by engineer {i}", $"eng-{i}", null));
        var outcomes = await Task.WhenAll(causes.Select(c => service.RequestAsync(c, RetrainingHarness.Ct)));

        Assert.All(outcomes, o => Assert.True(o.IsSuccess));
        Assert.Equal(["coalesced", "queued"], outcomes.Select(o => o.Value!.Result).Order());
        var audit = await _h.Server.GetAsync<AuditList>("/v1/audit?service=shop");
        Assert.Single(audit.Events, e => e.Action == RetrainActions.Triggered);
        Assert.Single(audit.Events, e => e.Action == RetrainActions.Coalesced);
    }
}

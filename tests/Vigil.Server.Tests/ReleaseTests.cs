using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Vigil.Persistence;
using Vigil.Server.Api;
using Vigil.Server.Releases;
using Vigil.Testing;

namespace Vigil.Server.Tests;

/// <summary>Releases end to end over HTTP, on a fake clock: the controller ticks when the test says so. Runs on both stores.</summary>
public abstract partial class ReleaseTests : IAsyncLifetime
{
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 11, 2, 8, 0, 0, TimeSpan.Zero));
    private RemoteModel _champion = null!;
    private RemoteModel _challenger = null!;
    private VigilTestServer _server = null!;

    public async ValueTask InitializeAsync()
    {
        _champion = await RemoteModel.StartAsync(); // also the webhook receiver
        _challenger = await RemoteModel.StartAsync();
        _server = await VigilTestServer.StartAsync(await CreateStoreAsync(), configure: o =>
        {
            o.TimeProvider = _clock;
            o.ControllerTick = TimeSpan.FromDays(365); // the test ticks by hand
            o.Webhooks.Add(new Uri(_champion.Url, "hook").ToString());
        });
        await _server.CreateShopAsync(_champion);
        await _server.RegisterRemoteAsync(_challenger, "shop", alias: null);
    }

    /// <summary>The store URL, or null for a fresh SQLite file.</summary>
    protected abstract Task<string?> CreateStoreAsync();

    public async ValueTask DisposeAsync()
    {
        await _server.DisposeAsync();
        await _champion.DisposeAsync();
        await _challenger.DisposeAsync();
    }

    [Fact]
    public async Task Canary_ErrorRateAboveTrigger_RollsBackWithinOneTick_AndUsersKeepGettingAnswers()
    {
        var release = await StartAsync("""
            {"service": "shop", "challenger": 2, "strategy": "canary", "steps": [{"weight": "50%", "hold": "1h"}],
             "min_samples_per_step": 100, "analysis_interval": "5m", "outcome_window": "1m",
             "triggers": [{"metric": "error_rate", "max": "2%"}], "fallback_on_error": true}
            """);
        Assert.Equal("canary", release.Status);
        Assert.Equal(500_000, release.Traffic.CanaryWeightPpm);

        _challenger.Failing = true;
        var answered = await SendAsync(600);
        Assert.Equal(600, answered.Count(a => a.Version == 1));

        _clock.Advance(TimeSpan.FromMinutes(5));
        var after = await TickAsync(release.Id);

        Assert.Equal("rolled_back", after.Status);
        Assert.False(after.Active);
        var rollback = after.Events.Last();
        Assert.Equal("vigil:controller", rollback.Actor);
        Assert.Contains("error_rate", rollback.Details);
        Assert.Contains("error_rate", rollback.Reason);

        // The webhook carries the trigger, its numbers and interval, and the time of first breach.
        var hook = await WaitForHookAsync("release.rolled_back");
        Assert.Contains("\"first_breach_at\"", hook);
        Assert.Contains("error_rate", hook);

        // The challenger is out of traffic at once; the aliases did not move.
        _challenger.Failing = false;
        var later = await SendAsync(50, offset: 1000);
        Assert.All(later, a => Assert.Equal("champion", a.Arm));
        var aliases = await _server.GetAsync<AliasesView>("/v1/services/shop/aliases");
        Assert.Equal(1, aliases.Champion);
    }

    [Fact]
    public async Task Canary_HealthyChallenger_AdvancesThroughItsStepsAndIsPromoted()
    {
        var release = await StartAsync("""
            {"service": "shop", "challenger": 2, "strategy": "progressive",
             "steps": [{"weight": "10%", "hold": "1h"}, {"weight": "50%", "hold": "1h"}],
             "min_samples_per_step": 100, "analysis_interval": "5m", "outcome_window": "1m",
             "triggers": [{"metric": "error_rate", "max": "2%"}]}
            """);
        Assert.Equal(100_000, release.Traffic.CanaryWeightPpm);

        var weights = new List<int>();
        for (var hour = 0; hour < 6 && release.Active; hour++)
        {
            await SendAsync(1500, offset: hour * 1500);
            _clock.Advance(TimeSpan.FromMinutes(61));
            release = await TickAsync(release.Id);
            weights.Add(release.Traffic.CanaryWeightPpm);
        }

        Assert.Equal("promoted", release.Status);
        Assert.Contains(500_000, weights);
        var aliases = await _server.GetAsync<AliasesView>("/v1/services/shop/aliases");
        Assert.Equal((2, 1), (aliases.Champion!.Value, aliases.PreviousChampion!.Value));
        var served = await SendAsync(20, offset: 99_000);
        Assert.All(served, a => Assert.Equal(2, a.Version));

        // Rolling the promotion back is a pointer flip: the previous champion answers the next request.
        var rolledBack = await _server.ReadAsync<AliasesView>(await _server.PostJsonAsync("/v1/services/shop/rollback", """{"reason": "revenue dipped"}"""));
        Assert.Equal((1, 2), (rolledBack.Champion!.Value, rolledBack.PreviousChampion!.Value));
        Assert.All(await SendAsync(20, offset: 99_500), a => Assert.Equal(1, a.Version));
    }

    [Fact]
    public async Task ApprovalGate_HoldsTheStepUntilApproved_AndApproveWhenNotWaitingIs409()
    {
        var release = await StartAsync("""
            {"service": "shop", "challenger": 2, "strategy": "progressive",
             "steps": [{"weight": "10%", "hold": "1h"}, {"weight": "50%", "hold": "1h"}], "approval": [{"before_step": 2}],
             "min_samples_per_step": 100, "analysis_interval": "5m", "outcome_window": "1m",
             "triggers": [{"metric": "error_rate", "max": "2%"}]}
            """);
        var early = await _server.PostJsonAsync($"/v1/releases/{release.Id}/approve", "{}");
        Assert.Equal(HttpStatusCode.Conflict, early.StatusCode);

        await SendAsync(1500);
        _clock.Advance(TimeSpan.FromMinutes(61));
        var waiting = await TickAsync(release.Id);
        Assert.Equal("awaiting_approval", waiting.Status);
        Assert.Equal(100_000, waiting.Traffic.CanaryWeightPpm); // holds step 1's weight while it waits
        _clock.Advance(TimeSpan.FromHours(3));
        Assert.Equal("awaiting_approval", (await TickAsync(release.Id)).Status);

        var approved = await _server.ReadAsync<ReleaseView>(await _server.PostJsonAsync($"/v1/releases/{release.Id}/approve", """{"reason": "dashboards look fine"}"""));
        Assert.Equal("canary", approved.Status);
        Assert.Equal(500_000, approved.Traffic.CanaryWeightPpm);
        var audit = await _server.GetAsync<AuditList>("/v1/audit?action=release.approved");
        Assert.Equal("step 2 approved: dashboards look fine", Assert.Single(audit.Events).Reason);
    }

    [Fact]
    public async Task PerSegmentTrigger_RegressionInOneMarketOnly_RollsBackNamingTheSegment_ThoughTheOverallRateIsWithinTheTrigger()
    {
        var release = await StartAsync("""
            {"service": "shop", "challenger": 2, "strategy": "canary", "steps": [{"weight": "50%", "hold": "1h"}],
             "min_samples_per_step": 100, "analysis_interval": "5m", "outcome_window": "1m",
             "triggers": [{"metric": "error_rate", "max": "20%", "per_segment": "country"}], "fallback_on_error": true}
            """);
        _challenger.FailingCountry = "FR";
        await SendAsync(2000, country: "DE");
        await SendAsync(300, offset: 5000, country: "FR"); // about 150 canary requests: above min_samples_per_step whatever the release id

        _clock.Advance(TimeSpan.FromMinutes(5));
        var after = await TickAsync(release.Id);

        Assert.True(after.Status == "rolled_back", $"{after.Status}: {after.LastDecision}; {string.Join(" | ", (after.Triggers ?? []).Select(t => $"{t.Segment} {t.Verdict} {t.Estimate} [{t.Lower}, {t.Upper}] n={t.ChallengerSamples}"))}");
        var rollback = after.Events.Last();
        Assert.Contains("country=FR", rollback.Details);
        Assert.DoesNotContain("country=DE", rollback.Reason);
        var status = await _server.GetAsync<ServiceStatusView>("/v1/services/shop/status");
        var canary = Assert.Single(status.Traffic, t => t.Arm == "canary");
        Assert.True(canary.Errors < 0.2 * canary.Requests, $"overall canary error rate {canary.Errors}/{canary.Requests} should be within the trigger");
    }

    [Fact]
    public async Task FeedbackAfterARollback_IsKept_AndCountedForTheArmThatServedIt()
    {
        var release = await StartAsync("""
            {"service": "shop", "challenger": 2, "strategy": "canary", "steps": [{"weight": "50%", "hold": "1h"}],
             "min_samples_per_step": 100, "analysis_interval": "5m", "outcome_window": "1m",
             "triggers": [{"metric": "error_rate", "max": "2%"}], "fallback_on_error": true}
            """);
        var canaryAnswers = (await SendAsync(100)).Where(a => a.Arm == "canary").ToList();
        Assert.NotEmpty(canaryAnswers);
        _challenger.Failing = true;
        await SendAsync(600, offset: 1000);
        _clock.Advance(TimeSpan.FromMinutes(5));
        Assert.Equal("rolled_back", (await TickAsync(release.Id)).Status);

        var batch = string.Join(",", canaryAnswers.Select(a => $$$"""{"request_id": "{{{a.RequestId}}}", "outcomes": {"task_completed": true}}"""));
        var stored = await _server.ReadAsync<FeedbackResponse>(await _server.PostJsonAsync("/v1/feedback", $"[{batch}]"));

        Assert.Equal(canaryAnswers.Count, stored.Stored);
        Assert.Empty(stored.UnknownRequestIds);
        var status = await _server.GetAsync<ServiceStatusView>("/v1/services/shop/status");
        var canary = Assert.Single(status.Traffic, t => t.Arm == "canary");
        Assert.Equal(2, canary.Version);
        Assert.Equal(canaryAnswers.Count, canary.Outcomes.Single(o => o.Name == "task_completed").Count);
        Assert.DoesNotContain(status.Traffic.Where(t => t.Arm == "champion").SelectMany(t => t.Outcomes), o => o.Name == "task_completed");
    }

    [Fact]
    public async Task ChallengerThatCannotBeLoaded_UsersGetTheChampion_AndTheReleaseRollsBackOnItsErrorRate()
    {
        await _challenger.DisposeAsync(); // its server is gone: version 2 can no longer be loaded or called
        var release = await StartAsync("""
            {"service": "shop", "challenger": 2, "strategy": "canary", "steps": [{"weight": "50%", "hold": "1h"}],
             "min_samples_per_step": 100, "analysis_interval": "5m", "outcome_window": "1m",
             "triggers": [{"metric": "error_rate", "max": "2%"}], "fallback_on_error": true}
            """);

        var answers = await SendAsync(400);
        Assert.All(answers, a => Assert.Equal(("champion", 1), (a.Arm, a.Version)));
        _clock.Advance(TimeSpan.FromMinutes(5));
        var after = await TickAsync(release.Id);

        Assert.Equal("rolled_back", after.Status);
        Assert.Contains("error_rate", after.Events.Last().Reason);
        _challenger = await RemoteModel.StartAsync(); // for DisposeAsync
    }

    [Fact]
    public async Task KillSwitch_TakesTheChallengerOutOfTrafficAtOnce_AndPausesTheRelease()
    {
        var release = await StartAsync("""
            {"service": "shop", "challenger": 2, "strategy": "canary", "steps": [{"weight": "50%", "hold": "1h"}],
             "triggers": [{"metric": "error_rate", "max": "2%"}]}
            """);
        Assert.Contains(await SendAsync(200), a => a.Arm == "canary");

        var killed = await _server.ReadAsync<ReleaseView>(await _server.PostJsonAsync($"/v1/releases/{release.Id}/kill", """{"reason": "pager"}"""));
        Assert.Equal("paused", killed.Status);
        Assert.All(await SendAsync(200, offset: 500), a => Assert.Equal("champion", a.Arm));
    }

    [Fact]
    public async Task InvalidPlan_ListsEveryError_AndASecondReleaseForTheServiceIsAConflict()
    {
        var invalid = await _server.PostJsonAsync("/v1/releases", """
            {"service": "shop", "challenger": 1, "strategy": "progressive", "steps": [{"weight": "50%", "hold": "1h"}, {"weight": "10%", "hold": "0s"}],
             "triggers": [{"metric": "happiness", "max": "2%"}]}
            """);
        var problem = await VigilTestServer.ProblemAsync(invalid, 422);
        Assert.True(problem["errors"]!.AsArray().Count >= 3, VigilTestServer.Errors(problem));

        await StartAsync("""{"service": "shop", "challenger": 2, "strategy": "canary", "steps": [{"weight": "5%", "hold": "1h"}], "triggers": [{"metric": "error_rate", "max": "2%"}]}""");
        var second = await _server.PostJsonAsync("/v1/releases", """{"service": "shop", "challenger": 2, "strategy": "canary", "steps": [{"weight": "5%", "hold": "1h"}], "triggers": [{"metric": "error_rate", "max": "2%"}]}""");
        await VigilTestServer.ProblemAsync(second, 409);
    }

    [Fact]
    public async Task Abort_WithoutReason_Is422_WithReason_EndsTheRelease()
    {
        var release = await StartAsync("""{"service": "shop", "challenger": 2, "strategy": "canary", "steps": [{"weight": "5%", "hold": "1h"}], "triggers": [{"metric": "error_rate", "max": "2%"}]}""");
        await VigilTestServer.ProblemAsync(await _server.PostJsonAsync($"/v1/releases/{release.Id}/abort", "{}"), 422);
        var aborted = await _server.ReadAsync<ReleaseView>(await _server.PostJsonAsync($"/v1/releases/{release.Id}/abort", """{"reason": "wrong model"}"""));
        Assert.Equal("aborted", aborted.Status);
        var audit = await _server.GetAsync<AuditList>("/v1/audit?action=release.aborted");
        Assert.Equal("wrong model", Assert.Single(audit.Events).Reason);
    }

    [Fact]
    public async Task Shadow_SlowOrFailingChallenger_NeverSlowsOrFailsUsers_AndIsRecorded()
    {
        var release = await StartAsync("""
            {"service": "shop", "challenger": 2, "strategy": "shadow", "shadow": {"sample": "100%", "duration": "1d"},
             "triggers": [{"metric": "error_rate", "max": "2%"}]}
            """);
        Assert.Equal("shadowing", release.Status);

        _challenger.DelayMs = 3_000; // its timeout is 1 s
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var slow = await SendAsync(20);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(2.5), $"users waited {clock.Elapsed.TotalMilliseconds:F0} ms for a shadow");
        Assert.All(slow, a => Assert.Equal(("champion", 1), (a.Arm, a.Version)));

        _challenger.DelayMs = 0;
        _challenger.Failing = true;
        Assert.All(await SendAsync(20, offset: 100), a => Assert.Equal("champion", a.Arm));

        // Every copy ends up recorded under the shadow arm (the slow ones as timeouts, the failing ones as errors), or, when
        // all 32 shadow slots were taken by the slow ones, skipped and counted.
        var runner = _server.App.Services.GetRequiredService<ShadowRunner>();
        var deadline = DateTime.UtcNow.AddSeconds(30); // a wait, not a timing: a loaded CI machine once needed more than 10 s
        ServiceStatusView status;
        do
        {
            await Task.Delay(100, TestContext.Current.CancellationToken);
            await _server.App.FlushAsync(TestContext.Current.CancellationToken);
            status = await _server.GetAsync<ServiceStatusView>("/v1/services/shop/status");
        }
        while ((status.Traffic.SingleOrDefault(t => t.Arm == "shadow")?.Requests ?? 0) + runner.Skipped != 40 && DateTime.UtcNow < deadline);

        var shadow = Assert.Single(status.Traffic, t => t.Arm == "shadow");
        Assert.Equal(2, shadow.Version);
        Assert.Equal(40, shadow.Requests + runner.Skipped);
        Assert.Equal(shadow.Requests, shadow.Errors);
        Assert.True(shadow.Requests >= ShadowRunner.MaxConcurrency, $"recorded {shadow.Requests}");
        Assert.Equal(40, status.Traffic.Single(t => t.Arm == "champion").Requests);
    }

    [Fact]
    public async Task Tick_WhenAnotherTickDecidedFirst_ReturnsTheirDecisionInsteadOfAConflict()
    {
        var release = await StartAsync("""
            {"service": "shop", "challenger": 2, "strategy": "canary", "steps": [{"weight": "50%", "hold": "1h"}],
             "min_samples_per_step": 100, "triggers": [{"metric": "error_rate", "max": "2%"}], "fallback_on_error": true}
            """);
        _challenger.Failing = true;
        await SendAsync(600);
        await _server.App.FlushAsync(TestContext.Current.CancellationToken);
        var store = _server.App.Services.GetRequiredService<IVigilStore>();
        var stale = await store.GetReleaseAsync(release.Id, TestContext.Current.CancellationToken);
        var service = _server.App.Services.GetRequiredService<ReleaseService>();

        // Someone else moves the release on (a pause), then a tick still holding the stale copy decides to roll back.
        await _server.ReadAsync<ReleaseView>(await _server.PostJsonAsync($"/v1/releases/{release.Id}/pause", "{}"));
        _clock.Advance(TimeSpan.FromMinutes(5));
        var ticked = await service.TickAsync(stale!, TestContext.Current.CancellationToken);

        Assert.True(ticked.IsSuccess, ticked.Failure?.Message);
        Assert.Equal("paused", ticked.Value!.Status);
    }

    [Fact]
    public async Task ReleaseFlag_IsCreatedOn_OffTakesTheChallengerOutAndPausesTheRelease_OnResumesIt_AndEveryPredictionSaysWhy()
    {
        var release = await StartAsync("""
            {"service": "shop", "challenger": 2, "strategy": "canary", "steps": [{"weight": "50%", "hold": "1h"}],
             "triggers": [{"metric": "error_rate", "max": "2%"}]}
            """);
        var flag = await _server.GetAsync<FlagView>($"/v1/flags/{release.Id}");
        Assert.True(flag.Enabled);
        Assert.Equal("shop", flag.Service);

        var before = await SendAsync(200);
        Assert.Contains(before, a => a.Arm == "canary");
        Assert.Contains(before, a => a.Arm == "champion");
        await _server.App.FlushAsync(TestContext.Current.CancellationToken);
        var store = _server.App.Services.GetRequiredService<IVigilStore>();
        foreach (var answer in before.Take(20))
        {
            var recorded = await store.GetPredictionAsync(answer.RequestId, TestContext.Current.CancellationToken);
            Assert.Equal((release.Id, "SPLIT"), (recorded!.FlagKey, recorded.FlagReason));
        }

        // The kill switch through the flags API, as 'vigil flags off rel-…' does it.
        await _server.ReadAsync<FlagView>(await _server.PostJsonAsync($"/v1/flags/{release.Id}/off", """{"reason": "pager"}"""));
        var killed = await SendAsync(200, offset: 500);
        Assert.All(killed, a => Assert.Equal("champion", a.Arm));
        var paused = await _server.GetAsync<ReleaseView>($"/v1/releases/{release.Id}");
        Assert.Equal("paused", paused.Status);
        Assert.True(paused.State.Pause!.KillSwitch);
        Assert.Equal(0, paused.Traffic.CanaryWeightPpm);
        await _server.App.FlushAsync(TestContext.Current.CancellationToken);
        var off = await store.GetPredictionAsync(killed[0].RequestId, TestContext.Current.CancellationToken);
        Assert.Equal("DISABLED", off!.FlagReason);

        await _server.ReadAsync<FlagView>(await _server.PostJsonAsync($"/v1/flags/{release.Id}/on", "{}"));
        var resumed = await _server.GetAsync<ReleaseView>($"/v1/releases/{release.Id}");
        Assert.Equal("canary", resumed.Status);
        Assert.Contains(await SendAsync(200, offset: 1000), a => a.Arm == "canary");
        var audit = await _server.GetAsync<AuditList>($"/v1/audit?action=flag.disabled");
        Assert.Contains(audit.Events, e => e.Reason == "pager");
    }

    [Fact]
    public async Task ReleaseFlag_TargetingRule_KeepsTheCanaryInsideItsSegment()
    {
        var release = await StartAsync("""
            {"service": "shop", "challenger": 2, "strategy": "canary", "steps": [{"weight": "100%", "hold": "1h"}],
             "triggers": [{"metric": "error_rate", "max": "2%"}]}
            """);
        var flag = await _server.GetAsync<FlagView>($"/v1/flags/{release.Id}");
        var body = $$$"""
            {"key": "{{{release.Id}}}", "revision": {{{flag.Revision}}}, "enabled": true,
             "rules": [{"conditions": [{"attribute": "country", "operator": "in", "values": ["FR"]}]}], "default": false}
            """;
        var put = await _server.Client.PutAsync(
            $"/v1/flags/{release.Id}", new StringContent(body, System.Text.Encoding.UTF8, "application/json"), TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, put.StatusCode);

        var germans = await SendAsync(100, country: "DE");
        var french = await SendAsync(100, offset: 500, country: "FR");
        Assert.All(germans, a => Assert.Equal("champion", a.Arm));
        Assert.All(french, a => Assert.Equal("canary", a.Arm));
        await _server.App.FlushAsync(TestContext.Current.CancellationToken);
        var store = _server.App.Services.GetRequiredService<IVigilStore>();
        Assert.Equal("DEFAULT", (await store.GetPredictionAsync(germans[0].RequestId, TestContext.Current.CancellationToken))!.FlagReason);
        Assert.Equal("SPLIT", (await store.GetPredictionAsync(french[0].RequestId, TestContext.Current.CancellationToken))!.FlagReason);
    }

    [Fact]
    public async Task Shadow_Status_ComparesTheChallengerWithTheChampionOnTheSameRequests()
    {
        var release = await StartAsync("""
            {"service": "shop", "challenger": 2, "strategy": "shadow", "shadow": {"sample": "100%", "duration": "1d"},
             "triggers": [{"metric": "error_rate", "max": "2%"}]}
            """);
        _challenger.Score = 0.9; // the champion answers price / 100 = 0.1 (see RemoteModel)
        await SendAsync(20);

        var deadline = DateTime.UtcNow.AddSeconds(10);
        ReleaseView view;
        do
        {
            await Task.Delay(100, TestContext.Current.CancellationToken);
            await _server.App.FlushAsync(TestContext.Current.CancellationToken);
            view = await _server.GetAsync<ReleaseView>($"/v1/releases/{release.Id}");
        }
        while ((view.Shadow?.Pairs ?? 0) < 20 && DateTime.UtcNow < deadline);

        var shadow = view.Shadow!;
        Assert.Equal(20, shadow.Pairs);
        Assert.Equal(0, shadow.ChallengerErrors);
        Assert.Equal("probability", shadow.ScoreField);
        Assert.Equal(0.8, shadow.MeanAbsoluteDifference!.Value, 9);
        Assert.Equal(0, shadow.LabelAgreement!.Value, 9);
        Assert.True(shadow.ScorePsi > 0.25, $"psi {shadow.ScorePsi}");
        Assert.NotNull(shadow.ChallengerLatencyP99Ms);

        var store = _server.App.Services.GetRequiredService<IVigilStore>();
        var pairs = await store.GetShadowPairsAsync(
            new Vigil.Releases.ShadowPairsQuery("shop", 2, release.CreatedAt, _clock.GetUtcNow().AddMinutes(1)), TestContext.Current.CancellationToken);
        Assert.Equal(20, pairs.Count);
    }

    private async Task<string> WaitForHookAsync(string action)
    {
        for (var i = 0; i < 100; i++)
        {
            if (_champion.Hooks.FirstOrDefault(h => h.Contains(action, StringComparison.Ordinal)) is { } hook)
            {
                return hook;
            }

            await Task.Delay(50, TestContext.Current.CancellationToken);
        }

        throw new Xunit.Sdk.XunitException($"no webhook with {action} arrived; got: {string.Join(" | ", _champion.Hooks)}");
    }

    private async Task<ReleaseView> StartAsync(string plan)
    {
        var response = await _server.PostJsonAsync("/v1/releases", plan);
        return await _server.ReadAsync<ReleaseView>(response);
    }

    private async Task<ReleaseView> TickAsync(string id)
    {
        await _server.App.FlushAsync(TestContext.Current.CancellationToken);
        await _server.App.Services.GetRequiredService<ReleaseController>().TickAsync(TestContext.Current.CancellationToken);
        return await _server.GetAsync<ReleaseView>($"/v1/releases/{id}");
    }

    private async Task<List<PredictResponse>> SendAsync(int count, int offset = 0, string country = "DE")
    {
        var answers = new List<PredictResponse>(count);
        for (var i = 0; i < count; i += 100)
        {
            var instances = Enumerable.Range(i, Math.Min(100, count - i))
                .Select(n => $$$"""{"key": "user-{{{n + offset}}}", "inputs": {"price": 10, "country": "{{{country}}}"}, "attributes": {"country": "{{{country}}}"}}""");
            var response = await _server.PostJsonAsync("/v1/services/shop/predict", "{\"instances\": [" + string.Join(",", instances) + "]}");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            answers.AddRange((await _server.ReadAsync<BatchPredictResponse>(response)).Predictions);
        }

        return answers;
    }
}

public sealed class SqliteReleaseTests : ReleaseTests
{
    protected override Task<string?> CreateStoreAsync() => Task.FromResult<string?>(null);
}

public sealed class PostgresReleaseTests(PostgresFixture postgres) : ReleaseTests
{
    protected override async Task<string?> CreateStoreAsync() => await postgres.CreateDatabaseAsync("releases", TestContext.Current.CancellationToken);
}

using System.Net;
using System.Text.Json.Nodes;
using Vigil.Server.Api;
using Vigil.Server.Releases;

namespace Vigil.Server.Tests;

/// <summary>
/// The remaining items of the releases issue, end to end over HTTP on both stores: label delay, the rollback webhook's
/// content, amendments, concurrent starts and the promotion's audit event.
/// </summary>
public abstract partial class ReleaseTests
{
    [Fact]
    public async Task LabelDelay_OutcomesYoungerThanTheOutcomeWindowAreNotCounted_TheStepHoldsInconclusive_ThenTheMaturedOutcomesRollItBack()
    {
        var release = await StartAsync("""
            {"service": "shop", "challenger": 2, "strategy": "canary", "steps": [{"weight": "50%", "hold": "10m"}],
             "min_samples_per_step": 100, "analysis_interval": "5m", "outcome_window": "1h",
             "triggers": [{"metric": "task_completed", "compare": "control", "max_drop": "3pp"}]}
            """);
        var answers = await SendAsync(600);
        Assert.Contains(answers, a => a.Arm == "canary");
        Assert.Contains(answers, a => a.Arm == "champion");

        // The challenger's users never complete their task, the champion's always do: a regression far beyond 3pp.
        var feedback = string.Join(",", answers.Select(a => $$$"""{"request_id": "{{{a.RequestId}}}", "outcomes": {"task_completed": {{{(a.Arm == "champion" ? "true" : "false")}}}}}"""));
        Assert.Equal(600, (await _server.ReadAsync<FeedbackResponse>(await _server.PostJsonAsync("/v1/feedback", $"[{feedback}]"))).Stored);

        // 15 minutes on: the hold (10m) has passed and the samples are in, but the outcomes are younger than the outcome
        // window (1h), so they count neither as successes nor as failures: the trigger is inconclusive and the step holds.
        _clock.Advance(TimeSpan.FromMinutes(15));
        var early = await TickAsync(release.Id);
        Assert.Equal("canary", early.Status);
        var pending = Assert.Single(early.Triggers!);
        Assert.Equal(Vigil.Releases.TriggerVerdict.Inconclusive, pending.Verdict);
        Assert.Equal((0L, 0L), (pending.ChallengerSamples, pending.ControlSamples));
        Assert.Null(pending.Estimate);

        // Once the predictions are older than the outcome window, the same outcomes count, and the trigger fires.
        _clock.Advance(TimeSpan.FromMinutes(46));
        var late = await TickAsync(release.Id);
        Assert.True(late.Status == "rolled_back", $"{late.Status}: {late.LastDecision}");
        var fired = Assert.Single(late.Triggers!);
        Assert.Equal(Vigil.Releases.TriggerVerdict.Breached, fired.Verdict);
        Assert.Equal(answers.Count(a => a.Arm == "canary"), fired.ChallengerSamples);
        Assert.Equal(answers.Count(a => a.Arm == "champion"), fired.ControlSamples);
        Assert.Equal(-1.0, fired.Estimate!.Value, 9);
        Assert.Contains("task_completed", late.Events.Last().Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Rollback_WebhookCarriesTheTrigger_ItsNumbers_ConfidenceInterval_AndTimeOfFirstBreach()
    {
        var release = await StartAsync("""
            {"service": "shop", "challenger": 2, "strategy": "canary", "steps": [{"weight": "50%", "hold": "1h"}],
             "min_samples_per_step": 100, "analysis_interval": "5m", "outcome_window": "1m",
             "triggers": [{"metric": "error_rate", "max": "2%"}], "fallback_on_error": true}
            """);
        _challenger.Failing = true;
        await SendAsync(600);
        _clock.Advance(TimeSpan.FromMinutes(5));
        var decidedAt = _clock.GetUtcNow();
        Assert.Equal("rolled_back", (await TickAsync(release.Id)).Status);

        var hook = JsonNode.Parse(await WaitForHookAsync("release.rolled_back"))!;
        Assert.Equal("release.rolled_back", hook["event"]!.GetValue<string>());
        Assert.Equal(release.Id, hook["release"]!.GetValue<string>());
        Assert.Equal(("shop", 2), (hook["service"]!.GetValue<string>(), hook["challenger"]!.GetValue<int>()));
        Assert.Contains("error_rate", hook["reason"]!.GetValue<string>(), StringComparison.Ordinal);
        var firstBreach = hook["first_breach_at"]!.GetValue<DateTimeOffset>();
        Assert.Equal(decidedAt, firstBreach); // breached at the first tick that saw the data

        var trigger = Assert.Single(hook["triggers"]!.AsArray())!;
        Assert.Equal("error_rate", trigger["trigger"]!["metric"]!.GetValue<string>());
        Assert.Equal("breached", trigger["verdict"]!.GetValue<string>());
        var (estimate, lower, upper) = (trigger["estimate"]!.GetValue<double>(), trigger["lower"]!.GetValue<double>(), trigger["upper"]!.GetValue<double>());
        Assert.Equal(1.0, estimate, 9); // every canary call failed
        Assert.True(lower > 0.02 && lower <= estimate && estimate <= upper, $"interval [{lower}, {upper}] around {estimate} must lie above the 2% threshold");
        Assert.Equal(0.02, trigger["threshold"]!.GetValue<double>(), 9);
        var samples = trigger["challenger_samples"]!.GetValue<long>();
        Assert.True(samples is >= 100 and < 600, $"{samples} challenger samples");
        Assert.Equal(0.95, trigger["confidence"]!.GetValue<double>(), 9);
        Assert.True(trigger["margin_left"]!.GetValue<double>() < 0, "a fired trigger has no margin left");
    }

    [Fact]
    public async Task Amend_NeedsAReason_IsAuditedWithBeforeAndAfter_AndTheAmendedPlanGovernsTheNextTick()
    {
        var release = await StartAsync("""
            {"service": "shop", "challenger": 2, "strategy": "canary", "steps": [{"weight": "50%", "hold": "1h"}],
             "min_samples_per_step": 100, "analysis_interval": "5m", "outcome_window": "1m",
             "triggers": [{"metric": "error_rate", "max": "2%"}]}
            """);
        const string Amended = """
            {"service": "shop", "challenger": 2, "strategy": "canary", "steps": [{"weight": "50%", "hold": "10m"}],
             "min_samples_per_step": 100, "analysis_interval": "5m", "outcome_window": "1m",
             "triggers": [{"metric": "error_rate", "max": "2%"}]}
            """;

        // Without a reason (empty, or missing), nothing changes.
        var empty = await _server.Client.PutAsync($"/v1/releases/{release.Id}/plan", Json($$"""{"plan": {{Amended}}, "reason": " "}"""), TestContext.Current.CancellationToken);
        Assert.Contains("reason", (await VigilTestServer.ProblemAsync(empty, 422)).ToJsonString(), StringComparison.Ordinal);
        var missing = await _server.Client.PutAsync($"/v1/releases/{release.Id}/plan", Json($$"""{"plan": {{Amended}}}"""), TestContext.Current.CancellationToken);
        Assert.True(missing.StatusCode is HttpStatusCode.BadRequest or HttpStatusCode.UnprocessableEntity, $"{(int)missing.StatusCode}");
        Assert.Equal("1h", (await _server.GetAsync<ReleaseView>($"/v1/releases/{release.Id}")).Plan.StepList[0].Hold.ToString());

        // An amendment that changes the challenger is refused too: that is a new release.
        var otherChallenger = await _server.Client.PutAsync(
            $"/v1/releases/{release.Id}/plan", Json($$"""{"plan": {{Amended.Replace("\"challenger\": 2", "\"challenger\": 1", StringComparison.Ordinal)}}, "reason": "try v1"}"""), TestContext.Current.CancellationToken);
        await VigilTestServer.ProblemAsync(otherChallenger, 422);

        var amended = await _server.ReadAsync<ReleaseView>(await _server.Client.PutAsync(
            $"/v1/releases/{release.Id}/plan", Json($$"""{"plan": {{Amended}}, "reason": "the first hour was enough"}"""), TestContext.Current.CancellationToken));
        Assert.Equal("10m", amended.Plan.StepList[0].Hold.ToString());
        Assert.Equal("canary", amended.Status);
        Assert.Contains(amended.Events, e => e.Reason == "plan amended: the first hour was enough");

        var audit = Assert.Single((await _server.GetAsync<AuditList>("/v1/audit?action=release.amended")).Events);
        Assert.Equal("the first hour was enough", audit.Reason);
        Assert.Contains("\"1h\"", audit.Before, StringComparison.Ordinal);
        Assert.Contains("\"10m\"", audit.After, StringComparison.Ordinal);
        Assert.DoesNotContain("\"1h\"", audit.After, StringComparison.Ordinal);

        // Under the original plan the release would hold for an hour; under the amended one it promotes after 10 minutes.
        await SendAsync(400);
        _clock.Advance(TimeSpan.FromMinutes(15));
        var after = await TickAsync(release.Id);
        Assert.True(after.Status == "promoted", $"{after.Status}: {after.LastDecision}");
    }

    [Fact]
    public async Task ConcurrentStarts_OverHttp_ExactlyOneWins_TheOthersAre409()
    {
        const string Plan = """{"service": "shop", "challenger": 2, "strategy": "canary", "steps": [{"weight": "5%", "hold": "1h"}], "triggers": [{"metric": "error_rate", "max": "2%"}]}""";
        var responses = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() => _server.PostJsonAsync("/v1/releases", Plan))));

        Assert.Single(responses, r => r.IsSuccessStatusCode);
        Assert.Equal(7, responses.Count(r => r.StatusCode == HttpStatusCode.Conflict));
        var active = await _server.GetAsync<ReleaseList>("/v1/releases?service=shop&active=true");
        Assert.Single(active.Releases, r => r.Active);
        // One plan was stored (the person's start, with the plan as "after"); the controller's pending → canary is the other event.
        Assert.Single((await _server.GetAsync<AuditList>("/v1/audit?action=release.started")).Events, e => e.Before is null);
    }

    [Fact]
    public async Task Promotion_MovesTheAliasesAtomically_AndItsAuditEventCarriesThePromotionCriteriasNumbers()
    {
        var release = await StartAsync("""
            {"service": "shop", "challenger": 2, "strategy": "canary", "steps": [{"weight": "50%", "hold": "1h"}],
             "min_samples_per_step": 100, "analysis_interval": "5m", "outcome_window": "1m",
             "triggers": [{"metric": "error_rate", "max": "2%"}],
             "promotion": [{"metric": "error_rate", "compare": "control", "non_inferior_margin": "5pp"}]}
            """);
        await SendAsync(2000);
        _clock.Advance(TimeSpan.FromMinutes(61));
        var promoted = await TickAsync(release.Id);
        Assert.True(promoted.Status == "promoted", $"{promoted.Status}: {promoted.LastDecision}");

        var criterion = Assert.Single(promoted.Promotion!);
        Assert.Equal(Vigil.Releases.PromotionVerdict.Met, criterion.Verdict);
        Assert.NotNull(criterion.Upper);
        Assert.True(criterion.ChallengerSamples > 0 && criterion.ControlSamples > 0);

        var audit = Assert.Single((await _server.GetAsync<AuditList>("/v1/audit?action=release.promoted")).Events);
        Assert.Equal("vigil:controller", audit.Actor);
        Assert.Contains("promotion criteria met", audit.Reason, StringComparison.Ordinal);
        Assert.Contains("error_rate", audit.Reason, StringComparison.Ordinal);
        Assert.Contains(criterion.Reason, audit.Reason, StringComparison.Ordinal);
        var alias = Assert.Single((await _server.GetAsync<AuditList>("/v1/audit?action=alias.promoted")).Events);
        Assert.Contains(release.Id, alias.Reason, StringComparison.Ordinal);
        var aliases = await _server.GetAsync<AliasesView>("/v1/services/shop/aliases");
        Assert.Equal((2, 1), (aliases.Champion!.Value, aliases.PreviousChampion!.Value));

        // The release's history keeps the criterion's numbers (estimate, interval, samples) with the transition.
        var details = JsonNode.Parse(promoted.Events.Last().Details!)!;
        var recorded = Assert.Single(details["promotion"]!.AsArray())!;
        Assert.Equal(criterion.ChallengerSamples, recorded["challenger_samples"]!.GetValue<long>());
        Assert.Equal(criterion.Upper!.Value, recorded["upper"]!.GetValue<double>(), 12);
    }

    [Fact]
    public async Task ManualPromote_NeedsAReason_ThenMovesTheAliases_AndIsAudited()
    {
        var release = await StartAsync("""{"service": "shop", "challenger": 2, "strategy": "canary", "steps": [{"weight": "5%", "hold": "1h"}], "triggers": [{"metric": "error_rate", "max": "2%"}]}""");

        await VigilTestServer.ProblemAsync(await _server.PostJsonAsync($"/v1/releases/{release.Id}/promote", "{}"), 422);
        Assert.Equal(1, (await _server.GetAsync<AliasesView>("/v1/services/shop/aliases")).Champion);

        var promoted = await _server.ReadAsync<ReleaseView>(await _server.PostJsonAsync($"/v1/releases/{release.Id}/promote", """{"reason": "enough evidence"}"""));
        Assert.Equal("promoted", promoted.Status);
        var aliases = await _server.GetAsync<AliasesView>("/v1/services/shop/aliases");
        Assert.Equal((2, 1), (aliases.Champion!.Value, aliases.PreviousChampion!.Value));
        Assert.All(await SendAsync(50, offset: 7000), a => Assert.Equal(2, a.Version));
        var audit = Assert.Single((await _server.GetAsync<AuditList>("/v1/audit?action=release.promoted")).Events);
        Assert.Equal("enough evidence", audit.Reason);
    }

    [Fact]
    public async Task Silence_NoTrafficAtAll_NeverAdvancesAStep_TheTriggersStayInconclusive()
    {
        var release = await StartAsync("""
            {"service": "shop", "challenger": 2, "strategy": "progressive",
             "steps": [{"weight": "10%", "hold": "10m"}, {"weight": "50%", "hold": "10m"}],
             "min_samples_per_step": 100, "analysis_interval": "5m", "outcome_window": "1m",
             "triggers": [{"metric": "error_rate", "max": "2%"}]}
            """);
        for (var tick = 0; tick < 12; tick++)
        {
            _clock.Advance(TimeSpan.FromMinutes(10));
            release = await TickAsync(release.Id);
        }

        Assert.Equal(("canary", 1, 100_000), (release.Status, release.State.Step, release.Traffic.CanaryWeightPpm));
        Assert.Equal(Vigil.Releases.TriggerVerdict.Inconclusive, Assert.Single(release.Triggers!).Verdict);
        Assert.DoesNotContain(release.Events, e => e.Details is { } d && d.Contains("\"to_step\":2", StringComparison.Ordinal));

        // A little traffic, still under min_samples_per_step: the step still holds.
        await SendAsync(300);
        _clock.Advance(TimeSpan.FromMinutes(10));
        var few = await TickAsync(release.Id);
        Assert.True(few.State.Step == 1, $"advanced on {few.Triggers?.FirstOrDefault()?.ChallengerSamples} samples: {few.LastDecision}");
    }

    private static StringContent Json(string json) => new(json, System.Text.Encoding.UTF8, "application/json");
}

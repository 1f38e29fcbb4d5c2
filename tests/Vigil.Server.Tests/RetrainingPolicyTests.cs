using Vigil.Retraining;
using Vigil.Server.Api;
using Vigil.Server.Retraining;

namespace Vigil.Server.Tests;

/// <summary>Retraining policies and their guards on a fake clock: the controller ticks when the test says so.</summary>
public sealed class RetrainingPolicyTests : IAsyncLifetime
{
    private RemoteModel _hooks = null!;
    private RetrainingHarness _h = null!;

    private string Hook => new Uri(_hooks.Url, "hook").ToString();

    public async ValueTask InitializeAsync()
    {
        _hooks = await RemoteModel.StartAsync();
        _h = await RetrainingHarness.StartAsync();
        await _h.CreateShopAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await _h.DisposeAsync();
        await _hooks.DisposeAsync();
    }

    [Fact]
    public async Task Policy_WithACronThatDoesNotParse_IsRefusedWithEveryError_AndNothingIsStored()
    {
        var response = await _h.Server.Client.PutAsync("/v1/services/shop/retraining", new StringContent(
            """{"trainer": {"kind": "command"}, "schedule": {"cron": "61 * * *", "time_zone": "Europe/Nowhere"}}""", System.Text.Encoding.UTF8, "application/json"), RetrainingHarness.Ct);
        var problem = await VigilTestServer.ProblemAsync(response, 422);
        var errors = VigilTestServer.Errors(problem);
        Assert.Contains("schedule.cron: '61 * * *' is not a cron expression", errors, StringComparison.Ordinal);
        Assert.Contains("trainer.command: required", errors, StringComparison.Ordinal);
        await VigilTestServer.ProblemAsync(await _h.Server.Client.GetAsync("/v1/services/shop/retraining", RetrainingHarness.Ct), 404);
    }

    [Fact]
    public async Task Schedule_FiresAtItsLocalTime_Once_AndAJobWithNoLabelledDataFailsClearly()
    {
        await _h.PutPolicyAsync("""{"trainer": {"kind": "mlnet"}, "schedule": {"cron": "0 3 * * *", "time_zone": "Europe/Berlin"}}""");
        var view = await _h.Server.GetAsync<RetrainingPolicyView>("/v1/services/shop/retraining");
        Assert.Equal(new DateTimeOffset(2026, 11, 3, 2, 0, 0, TimeSpan.Zero), view.NextScheduled!.Value.ToUniversalTime());

        _h.Clock.Advance(TimeSpan.FromHours(17)); // 01:00 UTC = 02:00 in Berlin: not yet
        await _h.TickAsync();
        Assert.Empty(await ListJobsAsync());

        _h.Clock.Advance(TimeSpan.FromHours(1)); // 03:00 in Berlin
        await _h.TickAsync();
        await _h.TickAsync(); // a second tick in the same minute does not fire again
        var job = Assert.Single(await ListJobsAsync());
        Assert.Equal("schedule", job.Cause.Kind);
        Assert.Equal(RetrainActions.Scheduler, job.Cause.Actor);

        // No labelled data: a clear message, and the job ends failed (never left running).
        Assert.Equal(JobStatus.Failed, job.Status);
        Assert.Contains("has no labelled data", job.Error, StringComparison.Ordinal);
        Assert.Contains("POST /v1/feedback", job.Error, StringComparison.Ordinal);
        Assert.NotNull(job.FinishedAt);
    }

    [Fact]
    public async Task DataPolicy_FiresAfterNNewLabels_SinceTheLastTraining()
    {
        await _h.PutPolicyAsync($$"""{"trainer": {"kind": "webhook", "url": "{{Hook}}", "timeout": "1h"}, "data": {"new_labels": 300}, "cooldown": "0s"}""");
        _h.Clock.Advance(TimeSpan.FromMinutes(1));
        await _h.SendLabelledAsync(200);
        await _h.TickAsync();
        Assert.Empty(await ListJobsAsync());

        await _h.SendLabelledAsync(150);
        await _h.TickAsync();
        var job = Assert.Single(await ListJobsAsync());
        Assert.Equal("data", job.Cause.Kind);
        Assert.Equal(350, job.Cause.Evidence!["new_labels"]!.GetValue<long>());
        Assert.Equal(JobStatus.Running, job.Status); // handed to the webhook trainer
        Assert.Contains(job.Id, Assert.Single(_hooks.Hooks), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Guards_CooldownHoldsAutomaticTriggersButNotManual_AndTheDailyMaximumHoldsAll_EachAudited()
    {
        await _h.PutPolicyAsync("""{"trainer": {"kind": "mlnet"}, "cooldown": "2h", "max_per_day": 2}""");
        var first = await _h.RetrainAsync("first", kind: "performance");
        await _h.WaitForJobAsync(first.Job!.Id, j => !j.IsActive); // fails at once: no labelled data

        _h.Clock.Advance(TimeSpan.FromMinutes(30));
        var held = await _h.Server.PostJsonAsync("/v1/retrain", """{"service": "shop", "reason": "again", "kind": "performance"}""");
        var problem = await VigilTestServer.ProblemAsync(held, 409);
        Assert.Contains("cooldown", problem["detail"]!.GetValue<string>(), StringComparison.Ordinal);

        var manual = await _h.RetrainAsync("the emergency trigger skips the cooldown");
        await _h.WaitForJobAsync(manual.Job!.Id, j => !j.IsActive);

        var third = await _h.Server.PostJsonAsync("/v1/retrain", """{"service": "shop", "reason": "third today"}""");
        Assert.Contains("daily maximum of 2", (await VigilTestServer.ProblemAsync(third, 409))["detail"]!.GetValue<string>(), StringComparison.Ordinal);

        var audit = await _h.Server.GetAsync<AuditList>("/v1/audit?service=shop&action=retrain.suppressed");
        Assert.Equal(2, audit.Events.Count);
        Assert.All(audit.Events, e => Assert.Contains("\"cause\"", e.After, StringComparison.Ordinal));

        _h.Clock.Advance(TimeSpan.FromDays(1));
        Assert.Equal("queued", (await _h.RetrainAsync("a new day")).Result);
    }

    [Fact]
    public async Task Webhook_JobCompletesWhenTheExternalSystemRegistersWithTheJobId_AndOneThatNeverDoesTimesOut()
    {
        await _h.PutPolicyAsync($$"""{"trainer": {"kind": "webhook", "url": "{{Hook}}", "timeout": "2h"}, "cooldown": "0s"}""");
        await _h.SendLabelledAsync(100);
        var trigger = await _h.RetrainAsync("webhook please");
        var running = await _h.WaitForJobAsync(trigger.Job!.Id, j => j.Status == JobStatus.Running && j.Log.Contains("posted the job", StringComparison.Ordinal));
        var hook = Assert.Single(_hooks.Hooks);
        Assert.Contains("\"register_metadata\":{\"job_id\":\"" + running.Id, hook, StringComparison.Ordinal);

        await _h.RegisterAsync("better", metadata: new() { ["job_id"] = running.Id });
        await _h.TickAsync();
        var done = await _h.JobAsync(running.Id);
        Assert.Equal(JobStatus.Succeeded, done.Status);
        Assert.Equal(2, done.Version);

        var second = await _h.RetrainAsync("nobody will answer");
        await _h.WaitForJobAsync(second.Job!.Id, j => j.Status == JobStatus.Running && j.Log.Contains("posted the job", StringComparison.Ordinal));
        _h.Clock.Advance(TimeSpan.FromHours(2) + TimeSpan.FromMinutes(1));
        await _h.TickAsync();
        var timedOut = await _h.JobAsync(second.Job.Id);
        Assert.Equal(JobStatus.Failed, timedOut.Status);
        Assert.Contains("did not register a model", timedOut.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Cancel_EndsAQueuedOrRunningJob_AndAnEndedJobCannotBeCancelled()
    {
        await _h.PutPolicyAsync($$$"""{"trainer": {"kind": "webhook", "url": "{{{Hook}}}"}}""");
        await _h.SendLabelledAsync(50);
        var trigger = await _h.RetrainAsync("to be cancelled");
        await _h.WaitForJobAsync(trigger.Job!.Id, j => j.Status == JobStatus.Running);

        var cancelled = await _h.Server.ReadAsync<RetrainJob>(await _h.Server.PostJsonAsync($"/v1/jobs/{trigger.Job.Id}/cancel", """{"reason": "wrong data"}"""));
        Assert.Equal(JobStatus.Cancelled, cancelled.Status);
        Assert.Contains("wrong data", cancelled.Error, StringComparison.Ordinal);
        await VigilTestServer.ProblemAsync(await _h.Server.PostJsonAsync($"/v1/jobs/{trigger.Job.Id}/cancel", "{}"), 409);
        await VigilTestServer.ProblemAsync(await _h.Server.PostJsonAsync("/v1/jobs/job-nope/cancel", "{}"), 404);
    }

    private async Task<IReadOnlyList<RetrainJob>> ListJobsAsync() => (await _h.Server.GetAsync<JobList>("/v1/jobs?service=shop")).Jobs;
}

using Vigil.Audit;
using Vigil.Predictions;
using Vigil.Retraining;

namespace Vigil.Storage.Tests;

/// <summary>The retraining part of the store: policies, jobs, labelled rows, evaluation reports.</summary>
public abstract partial class StoreConformanceTests
{
    private static RetrainJob Job(string id, string service = "shop") =>
        new(id, service, JobStatus.Queued, new RetrainCause(service, "manual", "because", "alice", null), "mlnet", 1, 0, null, null, null, "", 1, T0, null, null);

    [Fact]
    public async Task RetrainingPolicy_PutTwice_KeepsTheLatest_WithRevisionAndAuditBeforeAndAfter()
    {
        await Store.CreateServiceAsync(Service("shop"), Alice, Ct);
        var first = (await Store.PutRetrainingPolicyAsync("shop", new RetrainingPolicy(new TrainerSpec(TrainerKind.Mlnet)), Alice, Ct)).Unwrap();
        var second = (await Store.PutRetrainingPolicyAsync("shop", new RetrainingPolicy(new TrainerSpec(TrainerKind.Mlnet), Data: new DataTrigger(500)), Alice, Ct)).Unwrap();

        Assert.Equal((1, 2), (first.Revision, second.Revision));
        var read = await Store.GetRetrainingPolicyAsync("shop", Ct);
        Assert.Equal(500, read!.Policy.Data!.NewLabels);
        Assert.Single(await Store.ListRetrainingPoliciesAsync(Ct));
        var audit = await Store.QueryAuditAsync(new AuditQuery(Action: RetrainActions.PolicySet), Ct);
        Assert.Equal(2, audit.Count);
        Assert.Contains("500", audit[0].After, StringComparison.Ordinal);
        Assert.NotNull(audit[0].Before);
        Assert.Equal(FailureKind.NotFound, (await Store.PutRetrainingPolicyAsync("nope", first.Policy, Alice, Ct)).Failure!.Kind);
    }

    [Fact]
    public async Task Jobs_OneActivePerService_ConcurrentCreatesLetExactlyOneWin()
    {
        await Store.CreateServiceAsync(Service("shop"), Alice, Ct);
        var results = await Task.WhenAll(Enumerable.Range(0, 4).Select(i => Store.CreateJobAsync(Job($"job-{i}"), RetrainActions.Triggered, Alice, Ct)));

        Assert.Single(results, r => r.IsSuccess);
        Assert.All(results.Where(r => !r.IsSuccess), r => Assert.Equal(FailureKind.Conflict, r.Failure!.Kind));
        var active = Assert.Single(await Store.ListJobsAsync("shop", activeOnly: true, 10, Ct));

        // Once it ends, the next job may start.
        var done = (await Store.UpdateJobAsync(active with { Status = JobStatus.Failed, Error = "no data", FinishedAt = T0 }, active.Revision, RetrainActions.JobFailed, Alice, Ct)).Unwrap();
        Assert.Equal(2, done.Revision);
        Assert.True((await Store.CreateJobAsync(Job("job-next"), RetrainActions.Triggered, Alice, Ct)).IsSuccess);
    }

    [Fact]
    public async Task Job_UpdateAtAStaleRevision_IsAConflict_AndLogsAppend()
    {
        await Store.CreateServiceAsync(Service("shop"), Alice, Ct);
        var job = (await Store.CreateJobAsync(Job("job-1"), RetrainActions.Triggered, Alice, Ct)).Unwrap();
        (await Store.UpdateJobAsync(job with { Status = JobStatus.Running, StartedAt = T0 }, 1, RetrainActions.JobStarted, Alice, Ct)).Unwrap();

        var stale = await Store.UpdateJobAsync(job with { Status = JobStatus.Cancelled }, 1, RetrainActions.JobCancelled, Alice, Ct);
        Assert.Equal(FailureKind.Conflict, stale.Failure!.Kind);

        await Store.AppendJobLogAsync("job-1", "line 1\n", Ct);
        await Store.AppendJobLogAsync("job-1", "line 2\n", Ct);
        var read = await Store.GetJobAsync("job-1", Ct);
        Assert.Equal(JobStatus.Running, read!.Status);
        Assert.Equal("line 1\nline 2\n", read.Log);
        Assert.Equal("because", read.Cause.Reason);
        Assert.Equal(T0, read.StartedAt);
    }

    [Fact]
    public async Task LabeledRows_JoinServedPredictionsToTheirNumericLabel_AndLabelsAreCountedSinceATime()
    {
        await CreateServiceWithVersionsAsync("shop", 2);
        await Store.WritePredictionsAsync(
            [Prediction("r1", 1, Arms.Champion), Prediction("r2", 2, Arms.Canary), Prediction("r3", 2, Arms.Shadow), Prediction("r4", 1, Arms.Champion)], Ct);
        await Store.RecordOutcomesAsync(
            [Outcome("r1", "label", "true", 1), Outcome("r2", "label", "false", 0), Outcome("r3", "label", "true", 1), Outcome("r4", "label", "\"maybe\"", null),
             Outcome("r4", "accepted", "true", 1) with { ReceivedAt = T0.AddMinutes(5) }], Ct);

        var rows = await Store.GetLabeledRowsAsync("shop", "label", null, null, 100, Ct);
        Assert.Equal(["r1", "r2"], rows.Select(r => r.RequestId).Order());
        Assert.Equal(1.0, rows.Single(r => r.RequestId == "r1").Label);
        Assert.Equal("{\"price\":10}", rows[0].Inputs);
        Assert.Empty(await Store.GetLabeledRowsAsync("shop", "label", T0.AddSeconds(1), null, 100, Ct));

        Assert.Equal(3, await Store.CountLabelsSinceAsync("shop", "label", T0.AddSeconds(-1), Ct));
        Assert.Equal(1, await Store.CountLabelsSinceAsync("shop", "accepted", T0, Ct));
    }

    [Fact]
    public async Task Evaluation_IsStoredOncePerVersion_WithItsAuditEvent()
    {
        await CreateServiceWithVersionsAsync("shop", 2);
        var report = new EvaluationReport("shop", 2, 1, EvaluationReport.Failed, ["segment country=FR worse"], null, [], 120, T0, T0, T0);

        (await Store.SaveEvaluationAsync(report, Alice, Ct)).Unwrap();
        var again = await Store.SaveEvaluationAsync(report, Alice, Ct);

        Assert.Equal(FailureKind.Conflict, again.Failure!.Kind);
        Assert.Equal(["segment country=FR worse"], (await Store.GetEvaluationAsync("shop", 2, Ct))!.Reasons);
        Assert.Single(await Store.ListEvaluationsAsync("shop", Ct));
        var audit = Assert.Single(await Store.QueryAuditAsync(new AuditQuery(Action: RetrainActions.Evaluated), Ct));
        Assert.Equal("shop/2", audit.Target);
        Assert.Contains("country=FR", audit.After, StringComparison.Ordinal);
    }
}

using Microsoft.Extensions.Time.Testing;
using Vigil.Registry;
using Vigil.Retraining;
using Vigil.Server.Api;
using Vigil.Serving.Training;

namespace Vigil.Server.Tests;

/// <summary>
/// The <c>command</c> trainer as a real process (samples/retraining/copy-trainer.sh): exported data in, a model out, logs
/// captured; and every way it can go wrong ends the job failed with a clear message. Also a restart during a job.
/// </summary>
public sealed class CommandTrainerTests : IAsyncLifetime
{
    private static readonly string Script = Path.Combine(FindRoot(), "samples", "retraining", "copy-trainer.sh");

    private RetrainingHarness _h = null!;
    private string _model = null!;

    public async ValueTask InitializeAsync()
    {
        _h = await RetrainingHarness.StartAsync();
        await _h.CreateShopAsync();
        await _h.SendLabelledAsync(300);
        _model = TrainModel(_h.Server.Directory);
    }

    public async ValueTask DisposeAsync() => await _h.DisposeAsync();

    [Fact]
    public async Task CommandTrainer_RunsAsARealProcess_OnTheExportedData_AndItsModelIsRegistered()
    {
        await PolicyAsync($"sh {Script} {{data}} {{output}} {_model}");
        var job = await RunAsync();

        Assert.Equal(JobStatus.Succeeded, job.Status);
        Assert.Matches(@"training data: 2\d\d rows", job.Log);
        Assert.Contains("columns: request_id,at,version,arm,price,country,tenure,subscriber,attributes,label", job.Log, StringComparison.Ordinal);
        var logs = await _h.Server.Client.GetStringAsync($"/v1/jobs/{job.Id}/logs", RetrainingHarness.Ct);
        Assert.Equal(job.Log, logs);
        var version = await _h.Server.GetAsync<VersionView>($"/v1/services/shop/versions/{job.Version}");
        Assert.Equal(BackendKind.Mlnet, version.Backend.Kind);
        Assert.Equal(job.Id, version.Metadata["job_id"]);
        Assert.True(File.Exists(version.Backend.Location));
    }

    [Fact]
    public async Task NonZeroExit_FailsTheJob_AndKeepsWhatTheProcessSaid()
    {
        await PolicyAsync("sh -c \"echo fitting; echo 'out of memory' >&2; exit 3\" {output}");
        var job = await RunAsync();
        Assert.Equal(JobStatus.Failed, job.Status);
        Assert.Contains("exited with code 3", job.Error, StringComparison.Ordinal);
        Assert.Contains("stderr: out of memory", job.Log, StringComparison.Ordinal);
        Assert.Contains("fitting", job.Log, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CommandNotFound_FailsWithAClearMessage()
    {
        await PolicyAsync("train-that-does-not-exist --out {output}");
        var job = await RunAsync();
        Assert.Equal(JobStatus.Failed, job.Status);
        Assert.Contains("'train-that-does-not-exist' could not be started", job.Error, StringComparison.Ordinal);
        Assert.Contains("PATH", job.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task OutputThatIsNotAModel_FailsTheJob_AndNothingIsRegistered()
    {
        await PolicyAsync("sh -c \"echo not a model > $0\" {output}");
        var job = await RunAsync();
        Assert.Equal(JobStatus.Failed, job.Status);
        Assert.Contains("not a loadable mlnet model", job.Error, StringComparison.Ordinal);
        Assert.Single((await _h.Server.GetAsync<VersionList>("/v1/services/shop/versions")).Versions);
    }

    [Fact]
    public async Task CommandThatHangs_IsKilledAtTheTimeout()
    {
        await PolicyAsync("sh -c \"sleep 600\" {output}", timeout: "5m");
        var trigger = await _h.RetrainAsync("hang");
        await _h.WaitForJobAsync(trigger.Job!.Id, j => j.Log.Contains("$ sh -c sleep 600", StringComparison.Ordinal));
        _h.Clock.Advance(TimeSpan.FromMinutes(6));
        var job = await _h.WaitForJobAsync(trigger.Job.Id, j => !j.IsActive);
        Assert.Equal(JobStatus.Failed, job.Status);
        Assert.Contains("timeout of 5m", job.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ServerStopsDuringAJob_TheJobIsMarkedInterrupted_AndRunAgainOnRestart()
    {
        await PolicyAsync("sh -c \"sleep 600\" {output}", maxAttempts: 2);
        var trigger = await _h.RetrainAsync("long training");
        await _h.WaitForJobAsync(trigger.Job!.Id, j => j.Log.Contains("$ sh -c sleep 600", StringComparison.Ordinal));
        var store = "sqlite:" + Path.Combine(_h.Server.Directory, "vigil.db");
        await _h.Server.App.DisposeAsync(); // the server stops with the job running

        await using var restarted = await VigilTestServer.StartAsync(store, o =>
        {
            o.TimeProvider = new FakeTimeProvider(_h.Clock.GetUtcNow());
            o.ControllerTick = TimeSpan.FromDays(30);
        });
        var job = await WaitAsync(restarted, trigger.Job.Id, j => j.Attempt == 2 && j.Status == JobStatus.Running);
        Assert.Contains("INTERRUPTED: the server stopped while job", job.Log, StringComparison.Ordinal);
        Assert.Contains("attempt 1 of 2", job.Log, StringComparison.Ordinal);
        var audit = await restarted.GetAsync<AuditList>("/v1/audit?service=shop&action=retrain.job_interrupted");
        Assert.Single(audit.Events);

        var cancelled = await restarted.ReadAsync<RetrainJob>(await restarted.PostJsonAsync($"/v1/jobs/{job.Id}/cancel", "{}"));
        Assert.Equal(JobStatus.Cancelled, cancelled.Status);
    }

    private static async Task<RetrainJob> WaitAsync(VigilTestServer server, string id, Func<RetrainJob, bool> condition)
    {
        for (var i = 0; i < 300; i++)
        {
            var job = await server.GetAsync<RetrainJob>($"/v1/jobs/{id}");
            if (condition(job))
            {
                return job;
            }

            await Task.Delay(100, RetrainingHarness.Ct);
        }

        var last = await server.GetAsync<RetrainJob>($"/v1/jobs/{id}");
        Assert.Fail($"job {id}: {last.Status} attempt {last.Attempt}\n{last.Log}");
        return last;
    }

    private async Task PolicyAsync(string command, string timeout = "10m", int maxAttempts = 2) =>
        await _h.PutPolicyAsync(System.Text.Json.JsonSerializer.Serialize(new
        {
            trainer = new { kind = "command", command, timeout },
            max_attempts = maxAttempts,
            cooldown = "0s",
        }));

    private async Task<RetrainJob> RunAsync()
    {
        var trigger = await _h.RetrainAsync("test");
        return await _h.WaitForJobAsync(trigger.Job!.Id, j => !j.IsActive);
    }

    private static string TrainModel(string directory)
    {
        var service = new ServiceDefinition("shop", "", VigilTestServer.Inputs, new OutputSpec(OutputKind.Probability), DateTimeOffset.UnixEpoch);
        var random = new Random(3);
        var rows = new List<InputRow>();
        var labels = new List<bool>();
        for (var i = 0; i < 200; i++)
        {
            var price = random.NextDouble() * 1000;
            rows.Add(new InputRow([FeatureValue.FromNumber(price), FeatureValue.FromText("DE"), FeatureValue.FromNumber(i % 50), FeatureValue.FromBoolean(i % 2 == 0)]));
            labels.Add(random.NextDouble() < ScoringModel.Truth(price));
        }

        var path = Path.Combine(directory, "prepared-model.zip");
        var trained = MlNetTrainer.Train(service, rows, labels, path, new MlNetTrainingOptions { NumberOfTrees = 10 });
        Assert.True(trained.IsSuccess, trained.Failure?.Message);
        return path;
    }

    private static string FindRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "Vigil.slnx")))
        {
            directory = directory.Parent;
        }

        return directory?.FullName ?? throw new InvalidOperationException("the repository root (Vigil.slnx) was not found above the test binaries");
    }
}

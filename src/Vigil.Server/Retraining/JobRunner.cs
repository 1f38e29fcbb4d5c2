using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Vigil.Audit;
using Vigil.Persistence;
using Vigil.Registry;
using Vigil.Retraining;
using Vigil.Serving;
using Vigil.Serving.Training;

namespace Vigil.Server.Retraining;

/// <summary>
/// Runs one job: marks it running (persisted before the trainer starts), exports the training part of the labelled data,
/// runs the trainer, registers the model with the job's metadata, and hands the version to <see cref="HandsOffRelease"/>.
/// Every end — success, a trainer failure, a timeout, a cancellation — is persisted; no job is left running by an error.
/// </summary>
public sealed partial class JobRunner(
    IVigilStore store,
    RetrainingService retraining,
    HandsOffRelease handsOff,
    IBackendLoader loader,
    RetrainingOptions options,
    IHttpClientFactory http,
    TimeProvider time,
    ILogger<JobRunner> logger)
{
    /// <summary>The named HttpClient of the webhook trainer.</summary>
    public const string ClientName = "vigil-retraining-webhook";

    /// <summary>Runs a queued job to its end (or, for a webhook trainer, until the job is handed to the external system).</summary>
    public async Task RunAsync(RetrainJob queued, CancellationToken stoppingToken)
    {
        var now = time.GetUtcNow();
        var started = await store.UpdateJobAsync(queued with { Status = JobStatus.Running, StartedAt = now }, queued.Revision, RetrainActions.JobStarted,
            new AuditContext(RetrainActions.Runner, now, $"attempt {queued.Attempt}, trainer {queued.Trainer}"), stoppingToken);
        if (!started.IsSuccess)
        {
            return; // cancelled or taken meanwhile
        }

        var job = started.Value!;
        var policy = (await store.GetRetrainingPolicyAsync(job.Service, stoppingToken))?.Policy;
        var service = await store.GetServiceAsync(job.Service, stoppingToken);
        if (policy is null || service is null)
        {
            await FailAsync(job.Id, "the service or its retraining policy was removed", stoppingToken);
            return;
        }

        using var timeout = new CancellationTokenSource(policy.Trainer.EffectiveTimeout, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken, timeout.Token);
        retraining.Track(job.Id, linked);
        try
        {
            await LogAsync(job.Id, $"job {job.Id}: {job.Cause.Kind} trigger — {job.Cause.Reason}; trainer {job.Trainer}, attempt {job.Attempt}");
            var outcome = await TrainAsync(job, service, policy, linked.Token);
            if (!outcome.IsSuccess)
            {
                await FailAsync(job.Id, outcome.Failure!.Message, CancellationToken.None);
                return;
            }

            if (outcome.Value is null)
            {
                return; // webhook: the job runs on until the external system registers the model
            }

            await CompleteAsync(job.Id, service.Name, outcome.Value, CancellationToken.None);
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested)
        {
            await FailAsync(job.Id, $"the trainer did not finish within the policy's timeout of {policy.Trainer.Timeout ?? TrainerSpec.DefaultTimeout}", CancellationToken.None);
        }
        catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
        {
            await LogAsync(job.Id, "the job was cancelled");
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogJobCrashed(logger, job.Id, ex);
            await FailAsync(job.Id, $"the job failed unexpectedly: {ex.Message}", CancellationToken.None);
        }
        finally
        {
            retraining.Untrack(job.Id);
        }
    }

    /// <summary>Registers a trained model for its job, marks the job succeeded, then evaluates and maybe releases it.</summary>
    public async Task CompleteAsync(string jobId, string service, TrainedModel model, CancellationToken ct)
    {
        var job = await store.GetJobAsync(jobId, ct);
        if (job is null || !job.IsActive)
        {
            return;
        }

        var metadata = new Dictionary<string, string>(model.Metadata, StringComparer.Ordinal)
        {
            ["job_id"] = jobId,
            ["trainer"] = job.Trainer,
            ["trigger"] = $"{job.Cause.Kind}: {job.Cause.Reason}",
        };
        var version = model.ExistingVersion;
        if (version is null)
        {
            var registered = await store.RegisterVersionAsync(new ModelVersionDraft(service, model.Backend!, metadata, model.Metrics),
                new AuditContext(RetrainActions.Runner, time.GetUtcNow(), $"trained by job {jobId}"), ct);
            if (!registered.IsSuccess)
            {
                await FailAsync(jobId, $"the trained model could not be registered: {registered.Failure!.Message}", ct);
                return;
            }

            version = registered.Value!.Number;
        }

        await LogAsync(jobId, $"registered version {version}");
        var details = new JsonObject
        {
            ["version"] = version,
            ["rows"] = model.Metadata.TryGetValue("rows", out var rows) ? rows : null,
            ["data_from"] = model.Metadata.GetValueOrDefault("data_from"),
            ["data_to"] = model.Metadata.GetValueOrDefault("data_to"),
        };

        // The job stays running through the evaluation (so the controller does not evaluate its version a second time);
        // it succeeds once its model is registered, whatever the evaluation decides.
        var message = $"registered version {version}";
        try
        {
            var (report, releaseId, said) = await handsOff.RunAsync(service, version.Value, jobId, ct);
            message = said;
            await LogAsync(jobId, said);
            details["evaluation"] = report?.Decision ?? "not evaluated";
            details["release"] = releaseId;
        }
        finally
        {
            await FinishAsync(jobId, j => j with { Status = JobStatus.Succeeded, Version = version, FinishedAt = time.GetUtcNow(), Details = details.ToJsonString() },
                RetrainActions.JobSucceeded, message, CancellationToken.None);
        }
    }

    /// <summary>Marks the job failed (if it is still queued or running) with <paramref name="error"/>, and logs it.</summary>
    public async Task FailAsync(string jobId, string error, CancellationToken ct)
    {
        await LogAsync(jobId, "FAILED: " + error);
        await FinishAsync(jobId, j => j with { Status = JobStatus.Failed, Error = error, FinishedAt = time.GetUtcNow() }, RetrainActions.JobFailed, error, ct);
        LogJobFailed(logger, jobId, error);
    }

    private async Task FinishAsync(string jobId, Func<RetrainJob, RetrainJob> change, string action, string reason, CancellationToken ct)
    {
        for (var attempt = 0; attempt < 5; attempt++)
        {
            var job = await store.GetJobAsync(jobId, ct);
            if (job is null || !job.IsActive)
            {
                return;
            }

            var saved = await store.UpdateJobAsync(change(job), job.Revision, action, new AuditContext(RetrainActions.Runner, time.GetUtcNow(), reason), ct);
            if (saved.Failure is not { Kind: FailureKind.Conflict })
            {
                return;
            }
        }
    }

    private Task LogAsync(string jobId, string line) =>
        store.AppendJobLogAsync(jobId, $"[{time.GetUtcNow():yyyy-MM-ddTHH:mm:ssZ}] {line}\n", CancellationToken.None);

    private async Task<Result<TrainedModel?>> TrainAsync(RetrainJob job, ServiceDefinition service, RetrainingPolicy policy, CancellationToken ct)
    {
        var gate = policy.EffectiveGate;
        var since = policy.DataSince(time.GetUtcNow());
        var set = await TrainingData.LoadAsync(store, service, policy.Label, gate, DataPart.Train, since, null, TrainingData.MaxRows, ct);
        if (set.Rows.Count == 0)
        {
            return Failure.Invalid(TrainingData.NoData(service.Name, policy.Label, since));
        }

        await LogAsync(job.Id, $"training data: {set.Rows.Count} labelled rows ({set.Positives} positive) from {set.From:u} to {set.To:u}; the {gate.HoldoutFraction:P0} holdout is kept out for evaluation");
        var directory = options.JobDirectory(service.Name, job.Id);
        Directory.CreateDirectory(directory);
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["rows"] = set.Rows.Count.ToString(CultureInfo.InvariantCulture),
            ["positives"] = set.Positives.ToString(CultureInfo.InvariantCulture),
            ["data_from"] = set.From!.Value.ToString("O", CultureInfo.InvariantCulture),
            ["data_to"] = set.To!.Value.ToString("O", CultureInfo.InvariantCulture),
            ["label"] = policy.Label,
        };
        return policy.Trainer.Kind switch
        {
            TrainerKind.Mlnet => await TrainMlNetAsync(job, service, set, directory, metadata, ct),
            TrainerKind.Command => await RunCommandAsync(job, service, policy.Trainer, set, directory, metadata, ct),
            _ => await CallWebhookAsync(job, service, policy.Trainer, set, directory, metadata, ct),
        };
    }

    private async Task<Result<TrainedModel?>> TrainMlNetAsync(RetrainJob job, ServiceDefinition service, TrainingSet set, string directory, Dictionary<string, string> metadata, CancellationToken ct)
    {
        var path = Path.Combine(directory, "model.zip");
        var trained = await Task.Run(() => MlNetTrainer.Train(service, set.Inputs, set.Labels, path, new MlNetTrainingOptions(), ct), ct);
        if (!trained.IsSuccess)
        {
            return trained.Failure!;
        }

        var metrics = trained.Value!.Metrics;
        await LogAsync(job.Id, "ML.NET model trained: " + string.Join(", ", metrics.Select(m => $"{m.Key}={m.Value:0.####}")));
        return Result<TrainedModel?>.Ok(new TrainedModel(new BackendSpec(BackendKind.Mlnet, path), metadata, metrics, null));
    }

    private async Task<Result<TrainedModel?>> RunCommandAsync(
        RetrainJob job, ServiceDefinition service, TrainerSpec trainer, TrainingSet set, string directory, Dictionary<string, string> metadata, CancellationToken ct)
    {
        var format = trainer.EffectiveFormat;
        var data = Path.Combine(directory, "data." + format);
        var output = Path.Combine(directory, trainer.EffectiveBackend == "onnx" ? "model.onnx" : "model.zip");
        await TrainingData.WriteFileAsync(set, data, format, ct);
        var argv = CommandLine.Split(trainer.Command!).Select(a => a.Replace("{data}", data, StringComparison.Ordinal).Replace("{output}", output, StringComparison.Ordinal)).ToList();
        if (argv.Count == 0)
        {
            return Failure.Invalid("the trainer's command is empty");
        }

        await LogAsync(job.Id, "$ " + string.Join(' ', argv));
        var start = new ProcessStartInfo(argv[0])
        {
            WorkingDirectory = directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in argv.Skip(1))
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment["VIGIL_JOB_ID"] = job.Id;
        start.Environment["VIGIL_SERVICE"] = service.Name;
        using var process = new Process { StartInfo = start };
        var lines = new System.Collections.Concurrent.ConcurrentQueue<string>();
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                lines.Enqueue(e.Data);
            }
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                lines.Enqueue("stderr: " + e.Data);
            }
        };
        try
        {
            process.Start();
        }
        catch (Win32Exception ex)
        {
            return Failure.Invalid($"the trainer command '{argv[0]}' could not be started: {ex.Message}. Check that it is installed and on the PATH of the Vigil server, or give its full path");
        }

        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            var exited = process.WaitForExitAsync(ct);
            while (!exited.IsCompleted)
            {
                await Task.WhenAny(exited, Task.Delay(TimeSpan.FromMilliseconds(200), CancellationToken.None));
                await FlushAsync(job.Id, lines);
            }

            await exited;
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await FlushAsync(job.Id, lines);
            throw;
        }

        process.WaitForExit(); // drains the redirected output
        await FlushAsync(job.Id, lines);
        if (process.ExitCode != 0)
        {
            return Failure.Invalid($"the trainer command exited with code {process.ExitCode}; see 'vigil jobs logs {job.Id}'");
        }

        if (!File.Exists(output))
        {
            return Failure.Invalid($"the trainer command exited 0 but wrote no model to {{output}} ({output})");
        }

        var backend = new BackendSpec(trainer.EffectiveBackend == "onnx" ? BackendKind.Onnx : BackendKind.Mlnet, output);
        var probe = new ModelVersion(service.Name, 0, backend, metadata, new Dictionary<string, double>(), time.GetUtcNow(), RetrainActions.Runner);
        var loaded = await loader.LoadAsync(service, probe, ct);
        if (!loaded.IsSuccess)
        {
            return Failure.Invalid($"the trainer's output is not a loadable {trainer.EffectiveBackend} model for '{service.Name}': {loaded.Failure!.Message}");
        }

        await loaded.Value!.DisposeAsync();
        await LogAsync(job.Id, $"the trainer wrote a loadable {trainer.EffectiveBackend} model: {output}");
        return Result<TrainedModel?>.Ok(new TrainedModel(backend, metadata, null, null));
    }

    private async Task FlushAsync(string jobId, System.Collections.Concurrent.ConcurrentQueue<string> lines)
    {
        if (lines.IsEmpty)
        {
            return;
        }

        var text = new StringBuilder();
        while (lines.TryDequeue(out var line))
        {
            text.Append(line).Append('\n');
        }

        await store.AppendJobLogAsync(jobId, text.ToString(), CancellationToken.None);
    }

    private async Task<Result<TrainedModel?>> CallWebhookAsync(
        RetrainJob job, ServiceDefinition service, TrainerSpec trainer, TrainingSet set, string directory, Dictionary<string, string> metadata, CancellationToken ct)
    {
        var data = Path.Combine(directory, "data." + trainer.EffectiveFormat);
        await TrainingData.WriteFileAsync(set, data, trainer.EffectiveFormat, ct);
        var body = new JsonObject
        {
            ["job_id"] = job.Id,
            ["service"] = service.Name,
            ["cause"] = JsonNode.Parse(VigilJson.Serialize(job.Cause)),
            ["data_path"] = data,
            ["data_url"] = $"/v1/services/{service.Name}/training-data?part=train&format={trainer.EffectiveFormat}",
            ["register_url"] = $"/v1/services/{service.Name}/versions",
            ["register_metadata"] = new JsonObject { ["job_id"] = job.Id },
            ["rows"] = set.Rows.Count,
            ["data_from"] = metadata["data_from"],
            ["data_to"] = metadata["data_to"],
        };
        using var client = http.CreateClient(ClientName);
        client.Timeout = TimeSpan.FromSeconds(30);
        try
        {
            using var response = await client.PostAsJsonAsync(trainer.Url, body, ct);
            if (!response.IsSuccessStatusCode)
            {
                return Failure.Unavailable($"the webhook trainer at {trainer.Url} answered HTTP {(int)response.StatusCode}");
            }
        }
        catch (HttpRequestException ex)
        {
            return Failure.Unavailable($"the webhook trainer at {trainer.Url} could not be reached: {ex.Message}");
        }
        catch (TaskCanceledException) when (!ct.IsCancellationRequested)
        {
            return Failure.Unavailable($"the webhook trainer at {trainer.Url} did not answer within 30s");
        }

        await LogAsync(job.Id, $"posted the job to {trainer.Url}; waiting for a version registered with metadata job_id={job.Id} (timeout {trainer.Timeout ?? TrainerSpec.DefaultTimeout})");
        return Result<TrainedModel?>.Ok(null);
    }

    [LoggerMessage(EventId = 1630, Level = LogLevel.Warning, Message = "Retraining job {Job} failed: {Error}")]
    private static partial void LogJobFailed(ILogger logger, string job, string error);

    [LoggerMessage(EventId = 1631, Level = LogLevel.Error, Message = "Retraining job {Job} crashed")]
    private static partial void LogJobCrashed(ILogger logger, string job, Exception exception);
}

/// <summary>What a trainer produced: a backend to register, or (webhook) a version the external system already registered.</summary>
public sealed record TrainedModel(BackendSpec? Backend, IReadOnlyDictionary<string, string> Metadata, IReadOnlyDictionary<string, double>? Metrics, int? ExistingVersion);

/// <summary>Splits a command line into arguments: whitespace separates, single or double quotes group, no other shell syntax.</summary>
public static class CommandLine
{
    public static List<string> Split(string command)
    {
        var result = new List<string>();
        var current = new StringBuilder();
        var inToken = false;
        char? quote = null;
        foreach (var c in command)
        {
            if (quote is not null)
            {
                if (c == quote)
                {
                    quote = null;
                }
                else
                {
                    current.Append(c);
                }
            }
            else if (c is '"' or '\'')
            {
                quote = c;
                inToken = true;
            }
            else if (char.IsWhiteSpace(c))
            {
                if (inToken)
                {
                    result.Add(current.ToString());
                    current.Clear();
                    inToken = false;
                }
            }
            else
            {
                current.Append(c);
                inToken = true;
            }
        }

        if (inToken)
        {
            result.Add(current.ToString());
        }

        return result;
    }
}

using System.Text.Json.Nodes;
using Vigil.Predictions;
using Vigil.Registry;
using Vigil.Server.Gateway;
using Vigil.Server.Observability;
using Vigil.Server.Recording;
using Vigil.Serving;

namespace Vigil.Server.Releases;

/// <summary>
/// Sends copies of requests to a shadow challenger after the champion has answered, off the response path: bounded
/// concurrency (a copy that finds every slot taken is skipped and counted), the version's timeout, and failures that
/// are recorded but never reach the user.
/// </summary>
public sealed class ShadowRunner(BackendCache backends, PredictionRecorder recorder, VigilMetrics metrics, TimeProvider time)
{
    /// <summary>Most shadow calls in flight at once.</summary>
    public const int MaxConcurrency = 32;

    private readonly SemaphoreSlim _slots = new(MaxConcurrency, MaxConcurrency);
    private long _skipped;

    /// <summary>Copies skipped because every slot was busy.</summary>
    public long Skipped => Interlocked.Read(ref _skipped);

    /// <summary>Starts a shadow call of the champion answer <paramref name="championRequestId"/> and returns at once.</summary>
    public void Enqueue(ServiceDefinition service, ModelVersion challenger, GatewayRequest request, string championRequestId, FlagDecision decision)
    {
        if (!_slots.Wait(0))
        {
            Interlocked.Increment(ref _skipped);
            metrics.ShadowSkipped(service.Name);
            return;
        }

        _ = Task.Run(async () =>
        {
            try
            {
                await RunAsync(service, challenger, request, championRequestId, decision);
            }
            finally
            {
                _slots.Release();
            }
        });
    }

    private async Task RunAsync(ServiceDefinition service, ModelVersion challenger, GatewayRequest request, string championRequestId, FlagDecision decision)
    {
        var at = time.GetUtcNow();
        var started = time.GetTimestamp();
        string? outputs = null;
        string? error = null;
        using var timeout = new CancellationTokenSource(challenger.Backend.Timeout);
        try
        {
            var loaded = await backends.GetAsync(service, challenger, timeout.Token);
            if (!loaded.IsSuccess)
            {
                error = loaded.Failure!.Message;
            }
            else
            {
                // The challenger's latency is its answer's: the first shadow call's model load is not (nobody waits on a
                // shadow call, and a cold start is not the steady-state latency the latency trigger judges).
                started = time.GetTimestamp();
                IReadOnlyList<JsonObject> result = await loaded.Value!.PredictAsync([request.Row], timeout.Token);
                outputs = result[0].ToJsonString();
            }
        }
        catch (OperationCanceledException)
        {
            error = $"shadow call timed out after {challenger.Backend.Timeout.TotalMilliseconds:F0} ms";
        }
        catch (Exception ex)
        {
            error = ex.Message;
        }

        recorder.Record(new PredictionRecord(
            PredictionGateway.NewRequestId(at), at, service.Name, challenger.Number, Arms.Shadow, request.Key, request.Attributes,
            request.Inputs, outputs, time.GetElapsedTime(started).TotalMilliseconds, error, decision.Key, decision.Reason, championRequestId, request.Violations));
    }
}

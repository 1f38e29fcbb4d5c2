using System.Text.Json.Nodes;
using Vigil.Predictions;
using Vigil.Registry;
using Vigil.Routing;
using Vigil.Server.Observability;
using Vigil.Server.Recording;
using Vigil.Serving;

namespace Vigil.Server.Gateway;

/// <summary>One request's parsed parts, ready to route.</summary>
/// <param name="Key">The sticky key, or null.</param>
/// <param name="Attributes">The segment attributes as a JSON object text.</param>
/// <param name="Inputs">The inputs as received, as a JSON object text (what the recorder stores).</param>
/// <param name="Row">The inputs in schema order.</param>
public sealed record GatewayRequest(string? Key, string Attributes, string Inputs, InputRow Row);

/// <summary>One answered request.</summary>
public sealed record GatewayAnswer(string RequestId, int Version, string Arm, JsonObject Outputs);

/// <summary>
/// The request path after parsing: route by the snapshot, call the backend, record, count. Shared by the /v1 and the
/// Open Inference Protocol v2 endpoints so both behave the same.
/// </summary>
public sealed class PredictionGateway(
    BackendCache backends,
    PredictionRecorder recorder,
    VigilMetrics metrics,
    TimeProvider time)
{
    /// <summary>Routes and answers a batch of requests to one service. Failures are returned, never thrown, for expected cases.</summary>
    public async Task<Result<IReadOnlyList<GatewayAnswer>>> PredictAsync(ServiceRoute route, IReadOnlyList<GatewayRequest> requests, CancellationToken cancellationToken)
    {
        var started = time.GetTimestamp();
        var at = time.GetUtcNow();
        var service = route.Service.Name;
        if (route.Champion is not { } champion)
        {
            return Failure.Unavailable($"service '{service}' has no champion yet; register a version with 'vigil models register {service} … --alias champion'");
        }

        const string arm = Arms.Champion;
        var loaded = await backends.GetAsync(route.Service, champion, cancellationToken);
        if (!loaded.IsSuccess)
        {
            metrics.Request(service, champion.Number, arm, "error", time.GetElapsedTime(started).TotalSeconds);
            return Failure.Unavailable($"the champion of '{service}' (version {champion.Number}) cannot be loaded: {loaded.Failure!.Message}");
        }

        var rows = new InputRow[requests.Count];
        for (var i = 0; i < rows.Length; i++)
        {
            rows[i] = requests[i].Row;
        }

        IReadOnlyList<JsonObject> outputs;
        var backendStarted = time.GetTimestamp();
        try
        {
            outputs = await loaded.Value!.PredictAsync(rows, cancellationToken);
        }
        catch (BackendException ex)
        {
            var failedMs = time.GetElapsedTime(backendStarted).TotalMilliseconds;
            foreach (var request in requests)
            {
                recorder.Record(new PredictionRecord(NewRequestId(at), at, service, champion.Number, arm, request.Key, request.Attributes, request.Inputs, null, failedMs, ex.Message));
            }

            metrics.Request(service, champion.Number, arm, "error", time.GetElapsedTime(started).TotalSeconds);
            return new Failure(FailureKind.Unavailable, $"the model backend of '{service}' version {champion.Number} failed: {ex.Message}");
        }

        var backendElapsed = time.GetElapsedTime(backendStarted);
        metrics.Backend(service, champion.Number, champion.Backend.Kind.ToString().ToLowerInvariant(), backendElapsed.TotalSeconds);
        var latencyMs = backendElapsed.TotalMilliseconds / requests.Count;
        var answers = new GatewayAnswer[requests.Count];
        for (var i = 0; i < answers.Length; i++)
        {
            var requestId = NewRequestId(at);
            var request = requests[i];
            answers[i] = new GatewayAnswer(requestId, champion.Number, arm, outputs[i]);
            recorder.Record(new PredictionRecord(requestId, at, service, champion.Number, arm, request.Key, request.Attributes, request.Inputs, outputs[i].ToJsonString(), latencyMs, null));
        }

        metrics.Request(service, champion.Number, arm, "ok", time.GetElapsedTime(started).TotalSeconds);
        return Result<IReadOnlyList<GatewayAnswer>>.Ok(answers);
    }

    /// <summary>A time-ordered unique id (UUID v7, 32 hex digits).</summary>
    public static string NewRequestId(DateTimeOffset at) => Guid.CreateVersion7(at).ToString("N");
}

using System.Text.Json.Nodes;
using Vigil.Predictions;
using Vigil.Registry;
using Vigil.Routing;
using Vigil.Server.Observability;
using Vigil.Server.Recording;
using Vigil.Server.Releases;
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
    ReleaseRouting releases,
    ShadowRunner shadows,
    TimeProvider time)
{
    /// <summary>
    /// Routes and answers a batch of requests to one service: each request goes to the champion, or to the canary when an
    /// active release's step weight takes its key (sticky bucketing salted with the release id); sampled champion requests
    /// are copied to a shadow challenger after the answer. Expected failures are returned, never thrown.
    /// </summary>
    public async Task<Result<IReadOnlyList<GatewayAnswer>>> PredictAsync(ServiceRoute route, IReadOnlyList<GatewayRequest> requests, CancellationToken cancellationToken)
    {
        var service = route.Service.Name;
        if (route.Champion is not { } champion)
        {
            return Failure.Unavailable($"service '{service}' has no champion yet; register a version with 'vigil models register {service} … --alias champion'");
        }

        var at = time.GetUtcNow();
        var release = releases.Find(service);
        var canary = new bool[requests.Count];
        var anyCanary = false;
        if (release is { Traffic: { ReleaseFlagOn: true, CanaryWeightPpm: > 0 } traffic })
        {
            for (var i = 0; i < requests.Count; i++)
            {
                if (requests[i].Key is { } key && Bucketing.IsIn(release.Id, key, traffic.CanaryWeightPpm))
                {
                    canary[i] = true;
                    anyCanary = true;
                }
            }
        }

        var answers = new GatewayAnswer[requests.Count];
        var fallbacks = new List<int>();
        if (anyCanary)
        {
            var served = await ServeAsync(route, release!.Challenger, Arms.Canary, requests, canary, expected: true, answers, at, cancellationToken);
            if (!served.IsSuccess)
            {
                if (!release.FallbackOnError)
                {
                    return served.Failure!;
                }

                // The release says so: the canary's failure is recorded (it counts against the canary), the user gets the champion.
                for (var i = 0; i < canary.Length; i++)
                {
                    if (canary[i])
                    {
                        fallbacks.Add(i);
                        canary[i] = false;
                    }
                }
            }
        }

        var championServed = await ServeAsync(route, champion, Arms.Champion, requests, canary, expected: false, answers, at, cancellationToken);
        if (!championServed.IsSuccess)
        {
            return championServed.Failure!;
        }

        if (release is { Traffic: { ReleaseFlagOn: true, ShadowSamplePpm: > 0 } shadowTraffic })
        {
            for (var i = 0; i < requests.Count; i++)
            {
                if (!canary[i] && Bucketing.IsIn(release.Id, answers[i].RequestId, shadowTraffic.ShadowSamplePpm))
                {
                    shadows.Enqueue(route.Service, release.Challenger, requests[i]);
                }
            }
        }

        return Result<IReadOnlyList<GatewayAnswer>>.Ok(answers);
    }

    /// <summary>Serves the requests whose <paramref name="selected"/> flag equals <paramref name="expected"/> with <paramref name="version"/>.</summary>
    private async Task<Result<bool>> ServeAsync(
        ServiceRoute route,
        ModelVersion version,
        string arm,
        IReadOnlyList<GatewayRequest> requests,
        bool[] selected,
        bool expected,
        GatewayAnswer[] answers,
        DateTimeOffset at,
        CancellationToken cancellationToken)
    {
        var indices = new List<int>(requests.Count);
        for (var i = 0; i < requests.Count; i++)
        {
            if (selected[i] == expected)
            {
                indices.Add(i);
            }
        }

        if (indices.Count == 0)
        {
            return Result<bool>.Ok(true);
        }

        var service = route.Service.Name;
        var started = time.GetTimestamp();
        var loaded = await backends.GetAsync(route.Service, version, cancellationToken);
        if (!loaded.IsSuccess)
        {
            metrics.Request(service, version.Number, arm, "error", time.GetElapsedTime(started).TotalSeconds);
            return Failure.Unavailable($"version {version.Number} of '{service}' ({arm}) cannot be loaded: {loaded.Failure!.Message}");
        }

        var rows = new InputRow[indices.Count];
        for (var j = 0; j < rows.Length; j++)
        {
            rows[j] = requests[indices[j]].Row;
        }

        IReadOnlyList<JsonObject> outputs;
        try
        {
            outputs = await loaded.Value!.PredictAsync(rows, cancellationToken);
        }
        catch (BackendException ex)
        {
            var failedMs = time.GetElapsedTime(started).TotalMilliseconds;
            foreach (var i in indices)
            {
                var request = requests[i];
                recorder.Record(new PredictionRecord(NewRequestId(at), at, service, version.Number, arm, request.Key, request.Attributes, request.Inputs, null, failedMs, ex.Message));
            }

            metrics.Request(service, version.Number, arm, "error", time.GetElapsedTime(started).TotalSeconds);
            return Failure.Unavailable($"the model backend of '{service}' version {version.Number} failed: {ex.Message}");
        }

        var elapsed = time.GetElapsedTime(started);
        metrics.Backend(service, version.Number, version.Backend.Kind.ToString().ToLowerInvariant(), elapsed.TotalSeconds);
        var latencyMs = elapsed.TotalMilliseconds / indices.Count;
        for (var j = 0; j < indices.Count; j++)
        {
            var i = indices[j];
            var request = requests[i];
            var requestId = NewRequestId(at);
            answers[i] = new GatewayAnswer(requestId, version.Number, arm, outputs[j]);
            recorder.Record(new PredictionRecord(requestId, at, service, version.Number, arm, request.Key, request.Attributes, request.Inputs, outputs[j].ToJsonString(), latencyMs, null));
        }

        metrics.Request(service, version.Number, arm, "ok", elapsed.TotalSeconds);
        return Result<bool>.Ok(true);
    }

    /// <summary>A time-ordered unique id (UUID v7, 32 hex digits).</summary>
    public static string NewRequestId(DateTimeOffset at) => Guid.CreateVersion7(at).ToString("N");
}

using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Vigil.Predictions;
using Vigil.Registry;
using Vigil.Routing;
using Vigil.Routing.Flags;
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
/// <param name="ParsedAttributes">The attributes parsed once for flag evaluation; null when the request carried none.</param>
/// <param name="Violations">The schema violations found in the inputs (the request is served under the record policy); null when none.</param>
public sealed record GatewayRequest(string? Key, string Attributes, string Inputs, InputRow Row, RequestAttributes? ParsedAttributes = null, IReadOnlyList<SchemaViolation>? Violations = null)
{
    /// <summary>
    /// The key flags and canary weights bucket this request by: its <see cref="Key"/>, or for a request without one a
    /// random key drawn for this request alone, so keyless traffic is split by the same weights, just not stickily
    /// (the record keeps <see cref="Key"/> null).
    /// </summary>
    public string BucketingKey => Key ?? (_randomKey ??= "~" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8)));

    private string? _randomKey;
}

/// <summary>The flag that decided a request's arm and its evaluation reason (OpenFeature's name), recorded with the prediction.</summary>
public readonly record struct FlagDecision(string? Key, string? Reason);

/// <summary>One answered request.</summary>
/// <param name="RequestId">The request id (UUID v7 hex) feedback is joined by.</param>
/// <param name="Version">The model version that answered (0 for the service's fallback output).</param>
/// <param name="Arm">champion, canary or fallback.</param>
/// <param name="Outputs">The outputs.</param>
/// <param name="OutputsJson">The outputs serialized once (VigilJson's encoder): the recorder stores this text and the /v1 answer writes it as is.</param>
public sealed record GatewayAnswer(string RequestId, int Version, string Arm, JsonObject Outputs, string OutputsJson);

/// <summary>
/// The request path after parsing: route by the snapshot, call the backend, record, count. Shared by the /v1 and the
/// Open Inference Protocol v2 endpoints so both behave the same.
/// </summary>
public sealed class PredictionGateway(
    BackendCache backends,
    PredictionRecorder recorder,
    VigilMetrics metrics,
    ShadowRunner shadows,
    TimeProvider time)
{
    /// <summary>
    /// Routes and answers a batch of requests to one service: first its service flag decides whether the model is called
    /// at all (else the fallback output or 503); then each request goes to the champion, or to the canary when an
    /// active release's step weight takes its key (sticky bucketing salted with the release id); sampled champion requests
    /// are copied to a shadow challenger after the answer. Expected failures are returned, never thrown. In
    /// <see cref="RecorderDurability.Commit"/> the answers are returned only once their records are committed (else 503).
    /// </summary>
    public ValueTask<Result<IReadOnlyList<GatewayAnswer>>> PredictAsync(ServiceRoute route, IReadOnlyList<GatewayRequest> requests, CancellationToken cancellationToken) =>
        recorder.Durability == RecorderDurability.Commit
            ? PredictCommittedAsync(route, requests, cancellationToken)
            : PredictAsync(route, requests, null, cancellationToken);

    /// <summary>Commit durability: answers once every answered request's record is committed; 503 when they are not in time.</summary>
    private async ValueTask<Result<IReadOnlyList<GatewayAnswer>>> PredictCommittedAsync(ServiceRoute route, IReadOnlyList<GatewayRequest> requests, CancellationToken cancellationToken)
    {
        var ticket = new CommitTicket();
        var answered = await PredictAsync(route, requests, ticket, cancellationToken);
        if (!answered.IsSuccess || await recorder.WaitCommittedAsync(ticket, cancellationToken))
        {
            return answered;
        }

        return Failure.Unavailable(
            $"the model answered, but its prediction records of service '{route.Service.Name}' were not committed to the store in time, and this server " +
            "answers only what it has stored (recorder durability 'commit'): the store is slow or down (see /readyz), or the recorder's queue is full. " +
            "The records stay queued and are written when the store can take them; retry the request.");
    }

    private async ValueTask<Result<IReadOnlyList<GatewayAnswer>>> PredictAsync(ServiceRoute route, IReadOnlyList<GatewayRequest> requests, CommitTicket? ticket, CancellationToken cancellationToken)
    {
        // ── Service flag (docs/flags.md, "The service flag") ────────────────────────────────────────────────────────
        // Evaluated first, per request, from the snapshot. Where it is off the model is not called: the request gets the
        // service's declared fallback output (arm 'fallback', version 0), or, with no fallback declared, the whole call
        // gets 503 with the reason. The rest of the requests go on to RouteAsync (releases, champion, shadow) unchanged.
        var decisions = new FlagDecision[requests.Count];
        if (route.ServiceFlag is { } serviceFlag)
        {
            List<int>? off = null;
            var offEvaluation = default(FlagEvaluation);
            for (var i = 0; i < requests.Count; i++)
            {
                var evaluation = serviceFlag.Evaluate(requests[i].BucketingKey, requests[i].ParsedAttributes);
                decisions[i] = new FlagDecision(serviceFlag.Key, EvaluationReasons.Name(evaluation.Reason));
                if (!evaluation.Value)
                {
                    (off ??= []).Add(i);
                    offEvaluation = evaluation;
                }
            }

            if (off is not null)
            {
                return await ServeFallbackAsync(route, serviceFlag.Key, offEvaluation, requests, decisions, off, ticket, cancellationToken);
            }
        }

        // ── End of the service flag ─────────────────────────────────────────────────────────────────────────────────
        return await RouteAsync(route, requests, decisions, ticket, cancellationToken);
    }

    /// <summary>
    /// Answers the requests at <paramref name="off"/> with the service's fallback output (recorded and counted with arm
    /// and result <c>fallback</c>) and routes the others; without a declared fallback, 503 naming the flag and how to turn it on.
    /// </summary>
    private async ValueTask<Result<IReadOnlyList<GatewayAnswer>>> ServeFallbackAsync(
        ServiceRoute route,
        string flagKey,
        FlagEvaluation evaluation,
        IReadOnlyList<GatewayRequest> requests,
        FlagDecision[] decisions,
        List<int> off,
        CommitTicket? ticket,
        CancellationToken cancellationToken)
    {
        var service = route.Service.Name;
        var started = time.GetTimestamp();
        if (route.Service.Output.Fallback is not { } fallback)
        {
            metrics.Request(service, 0, Arms.Fallback, "fallback", time.GetElapsedTime(started).TotalSeconds);
            var why = evaluation.Reason == EvaluationReason.Disabled
                ? "reason DISABLED: the flag is off"
                : $"reason {EvaluationReasons.Name(evaluation.Reason)}: the flag's rules leave this request out";
            return Failure.Unavailable(
                $"service '{service}' is switched off by flag '{flagKey}' ({why}) and declares no fallback output; turn it on with 'vigil flags on {flagKey}'");
        }

        var answers = new GatewayAnswer[requests.Count];
        var at = time.GetUtcNow();
        var fallbackText = fallback.ToJsonString(VigilJson.Options);
        foreach (var i in off)
        {
            var request = requests[i];
            var requestId = NewRequestId(at);
            answers[i] = new GatewayAnswer(requestId, 0, Arms.Fallback, (JsonObject)fallback.DeepClone(), fallbackText);
            recorder.Record(
                new PredictionRecord(
                    requestId, at, service, 0, Arms.Fallback, request.Key, request.Attributes, request.Inputs, fallbackText, 0, null, decisions[i].Key, decisions[i].Reason, Violations: request.Violations),
                ticket);
        }

        metrics.Request(service, 0, Arms.Fallback, "fallback", time.GetElapsedTime(started).TotalSeconds);
        if (off.Count == requests.Count)
        {
            return Result<IReadOnlyList<GatewayAnswer>>.Ok(answers);
        }

        var on = new List<GatewayRequest>(requests.Count - off.Count);
        var onDecisions = new FlagDecision[requests.Count - off.Count];
        var onIndex = new List<int>(requests.Count - off.Count);
        for (int i = 0, o = 0; i < requests.Count; i++)
        {
            if (o < off.Count && off[o] == i)
            {
                o++;
                continue;
            }

            onDecisions[on.Count] = decisions[i];
            on.Add(requests[i]);
            onIndex.Add(i);
        }

        var routed = await RouteAsync(route, on, onDecisions, ticket, cancellationToken);
        if (!routed.IsSuccess)
        {
            return routed.Failure!;
        }

        for (var j = 0; j < onIndex.Count; j++)
        {
            answers[onIndex[j]] = routed.Value![j];
        }

        return Result<IReadOnlyList<GatewayAnswer>>.Ok(answers);
    }

    /// <summary>
    /// Routes requests the service flag let through: champion, canary, shadow. With a release that routes traffic, the
    /// release flag is evaluated per request first (false: the champion, with the flag's reason); where it is true the
    /// release's step weight decides (reason <c>SPLIT</c>): stickily by the request's key, or, for a request without a
    /// key, by a random key of its own (<see cref="GatewayRequest.BucketingKey"/>).
    /// </summary>
    private async ValueTask<Result<IReadOnlyList<GatewayAnswer>>> RouteAsync(ServiceRoute route, IReadOnlyList<GatewayRequest> requests, FlagDecision[] decisions, CommitTicket? ticket, CancellationToken cancellationToken)
    {
        var service = route.Service.Name;
        if (route.Champion is not { } champion)
        {
            return Failure.Unavailable($"service '{service}' has no champion yet; register a version with 'vigil models register {service} … --alias champion'");
        }

        var at = time.GetUtcNow();
        var release = route.Release;
        var canary = new bool[requests.Count];
        var anyCanary = false;
        bool[]? flagOff = null;
        if (release is { Traffic.ReleaseFlagOn: true } && (release.Traffic.CanaryWeightPpm > 0 || release.Traffic.ShadowSamplePpm > 0))
        {
            var flagKey = release.Flag?.Key ?? ReleaseFlag.KeyFor(release.Id);
            for (var i = 0; i < requests.Count; i++)
            {
                if (release.Flag is { } releaseFlag)
                {
                    var evaluation = releaseFlag.Evaluate(requests[i].BucketingKey, requests[i].ParsedAttributes);
                    if (!evaluation.Value)
                    {
                        (flagOff ??= new bool[requests.Count])[i] = true;
                        decisions[i] = new FlagDecision(flagKey, EvaluationReasons.Name(evaluation.Reason));
                        continue;
                    }
                }

                if (release.Traffic.CanaryWeightPpm == 0)
                {
                    continue;
                }

                decisions[i] = new FlagDecision(flagKey, SplitReason);
                if (Bucketing.IsIn(release.Id, requests[i].BucketingKey, release.Traffic.CanaryWeightPpm))
                {
                    canary[i] = true;
                    anyCanary = true;
                }
            }
        }

        else if (release?.Flag is { Definition.Enabled: false } releaseFlagOff)
        {
            // The kill switch: the champion serves because the release flag is off, and the record says so.
            for (var i = 0; i < requests.Count; i++)
            {
                decisions[i] = new FlagDecision(releaseFlagOff.Key, DisabledReason);
            }
        }

        var answers = new GatewayAnswer[requests.Count];
        var fallbacks = new List<int>();
        if (anyCanary)
        {
            var served = await ServeAsync(route, release!.Challenger, Arms.Canary, requests, decisions, canary, expected: true, answers, at, ticket, cancellationToken);
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

        var championServed = await ServeAsync(route, champion, Arms.Champion, requests, decisions, canary, expected: false, answers, at, ticket, cancellationToken);
        if (!championServed.IsSuccess)
        {
            return championServed.Failure!;
        }

        if (release is { Traffic: { ReleaseFlagOn: true, ShadowSamplePpm: > 0 } shadowTraffic })
        {
            for (var i = 0; i < requests.Count; i++)
            {
                if (!canary[i] && flagOff?[i] != true && Bucketing.IsIn(release.Id, answers[i].RequestId, shadowTraffic.ShadowSamplePpm))
                {
                    shadows.Enqueue(route.Service, release.Challenger, requests[i], answers[i].RequestId, decisions[i]);
                }
            }
        }

        return Result<IReadOnlyList<GatewayAnswer>>.Ok(answers);
    }

    /// <summary>Serves the requests whose <paramref name="selected"/> flag equals <paramref name="expected"/> with <paramref name="version"/>.</summary>
    private async ValueTask<Result<bool>> ServeAsync(
        ServiceRoute route,
        ModelVersion version,
        string arm,
        IReadOnlyList<GatewayRequest> requests,
        FlagDecision[] decisions,
        bool[] selected,
        bool expected,
        GatewayAnswer[] answers,
        DateTimeOffset at,
        CommitTicket? ticket,
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
            // A version that cannot be loaded failed these requests: record them, so a canary that does not load counts
            // against its error-rate trigger like one that fails per request.
            var message = $"version {version.Number} of '{service}' ({arm}) cannot be loaded: {loaded.Failure!.Message}";
            RecordFailures(route, version, arm, requests, decisions, indices, at, time.GetElapsedTime(started).TotalMilliseconds, message);
            metrics.Request(service, version.Number, arm, "error", time.GetElapsedTime(started).TotalSeconds);
            return Failure.Unavailable(message);
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
            RecordFailures(route, version, arm, requests, decisions, indices, at, time.GetElapsedTime(started).TotalMilliseconds, ex.Message);
            metrics.Request(service, version.Number, arm, "error", time.GetElapsedTime(started).TotalSeconds);
            return Failure.Unavailable($"the model backend of '{service}' version {version.Number} failed: {ex.Message}");
        }

        var elapsed = time.GetElapsedTime(started);
        metrics.Backend(service, version.Number, BackendLabel(version.Backend.Kind), elapsed.TotalSeconds);
        var latencyMs = elapsed.TotalMilliseconds / indices.Count;
        for (var j = 0; j < indices.Count; j++)
        {
            var i = indices[j];
            var request = requests[i];
            var requestId = NewRequestId(at);
            var outputsJson = outputs[j].ToJsonString(VigilJson.Options);
            answers[i] = new GatewayAnswer(requestId, version.Number, arm, outputs[j], outputsJson);
            recorder.Record(
                new PredictionRecord(
                    requestId, at, service, version.Number, arm, request.Key, request.Attributes, request.Inputs, outputsJson, latencyMs, null,
                    decisions[i].Key, decisions[i].Reason, Violations: request.Violations),
                ticket);
        }

        metrics.Request(service, version.Number, arm, "ok", elapsed.TotalSeconds);
        return Result<bool>.Ok(true);
    }

    private void RecordFailures(
        ServiceRoute route, ModelVersion version, string arm, IReadOnlyList<GatewayRequest> requests, FlagDecision[] decisions, List<int> indices, DateTimeOffset at, double latencyMs, string error)
    {
        foreach (var i in indices)
        {
            var request = requests[i];
            recorder.Record(new PredictionRecord(
                NewRequestId(at), at, route.Service.Name, version.Number, arm, request.Key, request.Attributes, request.Inputs, null, latencyMs, error, decisions[i].Key, decisions[i].Reason, Violations: request.Violations));
        }
    }

    /// <summary>The metric label of a backend kind, without formatting the enum on every request.</summary>
    private static string BackendLabel(BackendKind kind) => kind switch
    {
        BackendKind.Onnx => "onnx",
        BackendKind.Mlnet => "mlnet",
        BackendKind.Http => "http",
        _ => kind.ToString().ToLowerInvariant(),
    };

    private static readonly string SplitReason = EvaluationReasons.Name(EvaluationReason.Split);
    private static readonly string DisabledReason = EvaluationReasons.Name(EvaluationReason.Disabled);

    /// <summary>
    /// A time-ordered unique id: a UUID version 7 (RFC 9562: 48 bits of unix milliseconds, version, 74 random bits,
    /// variant) as 32 lowercase hex digits, the same text as <c>Guid.CreateVersion7(at).ToString("N")</c>. The random bits
    /// come from a per-thread block of cryptographically strong bytes refilled every <see cref="IdsPerRefill"/> ids:
    /// <see cref="Guid.CreateVersion7(DateTimeOffset)"/> asks the operating system for randomness on every call, a system
    /// call on each request.
    /// </summary>
    public static string NewRequestId(DateTimeOffset at)
    {
        var random = _random ??= new byte[IdsPerRefill * RandomBytesPerId];
        if (_used == 0)
        {
            RandomNumberGenerator.Fill(random);
        }

        Span<byte> id = stackalloc byte[16];
        var ms = (ulong)at.ToUnixTimeMilliseconds();
        BinaryPrimitives.WriteUInt64BigEndian(id, ms << 16);
        random.AsSpan(_used * RandomBytesPerId, RandomBytesPerId).CopyTo(id[6..]);
        id[6] = (byte)(0x70 | (id[6] & 0x0F)); // version 7
        id[8] = (byte)(0x80 | (id[8] & 0x3F)); // variant 10xx
        _used = (_used + 1) % IdsPerRefill;
        return Convert.ToHexStringLower(id);
    }

    private const int IdsPerRefill = 64;
    private const int RandomBytesPerId = 10;

    [ThreadStatic]
    private static byte[]? _random;

    [ThreadStatic]
    private static int _used;
}

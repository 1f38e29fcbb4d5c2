using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Vigil.Audit;
using Vigil.Monitoring;
using Vigil.Persistence;
using Vigil.Registry;
using Vigil.Retraining;
using Vigil.Serving;

namespace Vigil.Server.Retraining;

/// <summary>The kinds of synthetic degradation a drill injects.</summary>
public enum DrillDegradation
{
    /// <summary><c>quality=P%</c>: the model's answer is flipped (p → 1 − p) for P% of requests.</summary>
    Quality,

    /// <summary><c>shift=FEATURE:+X%</c>: a numeric feature is multiplied by 1 + X.</summary>
    Shift,

    /// <summary><c>nulls=FEATURE:P%</c>: a feature is null for P% of requests.</summary>
    Nulls,
}

/// <summary>A parsed <c>--degrade</c>.</summary>
public sealed record DrillSpec(DrillDegradation Kind, double Amount, string? Feature)
{
    /// <summary>Parses <c>quality=10%</c>, <c>shift=price:+20%</c> (or <c>-20%</c>) or <c>nulls=price:30%</c>.</summary>
    public static Result<DrillSpec> Parse(string? text)
    {
        const string usage = "use quality=10% (flip 10% of the model's answers), shift=FEATURE:+20% (scale a numeric feature) or nulls=FEATURE:30% (null a feature)";
        if (string.IsNullOrWhiteSpace(text) || text.Split('=', 2) is not [var kind, var rest])
        {
            return Failure.Invalid($"degrade: '{text}' is not a degradation; {usage}");
        }

        string? feature = null;
        if (kind is "shift" or "nulls")
        {
            if (rest.Split(':', 2) is not [var f, var amount] || f.Length == 0)
            {
                return Failure.Invalid($"degrade: '{text}' names no feature; {usage}");
            }

            feature = f;
            rest = amount;
        }

        if (!rest.EndsWith('%') || !double.TryParse(rest[..^1], NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var percent))
        {
            return Failure.Invalid($"degrade: '{rest}' must be a percentage such as 10%; {usage}");
        }

        var share = percent / 100;
        return kind switch
        {
            "quality" or "nulls" when share is <= 0 or > 1 => Failure.Invalid($"degrade: {rest} must be more than 0% and at most 100%"),
            "shift" when share == 0 || Math.Abs(share) > 100 => Failure.Invalid($"degrade: {rest} must be a non-zero shift of at most ±10000%"),
            "quality" => Result<DrillSpec>.Ok(new DrillSpec(DrillDegradation.Quality, share, null)),
            "shift" => Result<DrillSpec>.Ok(new DrillSpec(DrillDegradation.Shift, share, feature)),
            "nulls" => Result<DrillSpec>.Ok(new DrillSpec(DrillDegradation.Nulls, share, feature)),
            _ => Failure.Invalid($"degrade: '{kind}' is not a degradation; {usage}"),
        };
    }

    public override string ToString() => Kind switch
    {
        DrillDegradation.Quality => $"quality={Amount * 100:0.##}%",
        DrillDegradation.Shift => $"shift={Feature}:{Amount * 100:+0.##;-0.##}%",
        _ => $"nulls={Feature}:{Amount * 100:0.##}%",
    };
}

/// <summary>What one layer saw in a drill.</summary>
/// <param name="Layer">input, output, performance or business.</param>
/// <param name="Caught">Whether the layer raised an alert after the injection.</param>
/// <param name="Monitor">The first monitor that fired after the injection.</param>
/// <param name="FiredAt">When it fired, on the replayed traffic's clock.</param>
/// <param name="TimeToDetectSeconds">From the injection to that alert.</param>
/// <param name="AlarmsBeforeInjection">Alerts of this layer before the injection (noise a team should know about).</param>
/// <param name="Note">Why a layer could not catch it, or how it was measured.</param>
public sealed record DrillLayer(string Layer, bool Caught, string? Monitor, DateTimeOffset? FiredAt, double? TimeToDetectSeconds, int AlarmsBeforeInjection, string Note);

/// <summary>The result of <c>vigil drill</c> (docs/retraining.md, "Detection drill"). Nothing served or stored is changed by a drill.</summary>
public sealed record DrillReport(
    string Service,
    int Version,
    string Degrade,
    bool Sandbox,
    long Rows,
    DateTimeOffset From,
    DateTimeOffset To,
    DateTimeOffset InjectedAt,
    long DegradedRows,
    double? MedianLabelDelaySeconds,
    double ReferenceAccuracy,
    double? DegradedAccuracy,
    string? FirstLayer,
    double? FirstTimeToDetectSeconds,
    IReadOnlyList<DrillLayer> Layers,
    string Summary);

/// <summary>
/// The detection drill: replays the service's recent labelled traffic through its champion in a sandbox (the model's
/// backend is called in process; nothing is served, recorded or changed), injects a synthetic degradation from the
/// middle of the window on, and reports which monitoring layer catches it first and after how long:
/// <list type="bullet">
/// <item>input and output: the server's default monitors (<see cref="DefaultMonitors"/>) run by the same
/// <see cref="Backtester"/> as <c>vigil backtest</c>, against a baseline profiled from the first half;</item>
/// <item>performance: accuracy (answer ≥ 0.5 against the label) over a sliding window, counting only labels that had
/// arrived at each moment (the traffic's own label delays), firing when it falls below the first half's accuracy by
/// more than max(0.02, 3 binomial standard errors) on at least 30 labels;</item>
/// <item>business: a replay cannot know how users would have reacted, so it is reported as not simulated.</item>
/// </list>
/// </summary>
public sealed class DetectionDrill(IVigilStore store, BackendCache backends, TimeProvider time, Monitoring.Layers.LayerSettingsCache? settings = null)
{
    /// <summary>Most rows a drill replays (the newest).</summary>
    public const int MaxRows = 20_000;

    /// <summary>Fewest labelled rows a drill needs.</summary>
    public const int MinRows = 100;

    public async Task<Result<DrillReport>> RunAsync(string serviceName, DrillSpec spec, TimeSpan window, string actor, CancellationToken ct)
    {
        var service = await store.GetServiceAsync(serviceName, ct);
        if (service is null)
        {
            return Failure.NotFound($"there is no service '{serviceName}'");
        }

        if (spec.Kind == DrillDegradation.Quality && service.Output.Kind != OutputKind.Probability)
        {
            return Failure.Invalid($"a quality drill flips probability answers; service '{serviceName}' answers {service.Output.Kind.ToString().ToLowerInvariant()}");
        }

        var featureIndex = -1;
        if (spec.Feature is { } feature)
        {
            featureIndex = service.Inputs.ToList().FindIndex(f => f.Name == feature);
            if (featureIndex < 0)
            {
                return Failure.Invalid($"degrade: service '{serviceName}' has no feature '{feature}' (its features: {string.Join(", ", service.Inputs.Select(f => f.Name))})");
            }

            if (spec.Kind == DrillDegradation.Shift && service.Inputs[featureIndex].Type is not (FeatureType.Number or FeatureType.Integer))
            {
                return Failure.Invalid($"degrade: a shift scales a numeric feature; '{feature}' is {service.Inputs[featureIndex].Type.ToString().ToLowerInvariant()}");
            }
        }

        if ((await store.GetAliasesAsync(serviceName, ct)).Champion is not { } championNumber || await store.GetVersionAsync(serviceName, championNumber, ct) is not { } champion)
        {
            return Failure.Invalid($"service '{serviceName}' has no champion to drill");
        }

        var label = (await store.GetRetrainingPolicyAsync(serviceName, ct))?.Policy.Label ?? RetrainingPolicy.DefaultLabel;
        var now = time.GetUtcNow();
        var rows = (await store.GetLabeledRowsAsync(serviceName, label, now - window, null, MaxRows, ct)).OrderBy(r => r.At).ToList();
        if (rows.Count < MinRows)
        {
            return Failure.Invalid(
                $"a drill replays labelled traffic: service '{serviceName}' has {rows.Count} request(s) with a '{label}' outcome in the last {window.TotalHours:0.#} h, fewer than {MinRows}; widen --window or send feedback first");
        }

        var from = rows[0].At;
        var to = rows[^1].At;
        var injectedAt = from + ((to - from) / 2);

        // The sandbox: inputs as logged, degraded from the injection on; the champion's answers to them; labels as logged.
        var inputs = new List<JsonObject>(rows.Count);
        var degraded = new bool[rows.Count];
        for (var i = 0; i < rows.Count; i++)
        {
            var input = JsonNode.Parse(rows[i].Inputs) as JsonObject ?? [];
            if (rows[i].At >= injectedAt && Picked(rows[i].RequestId, spec))
            {
                degraded[i] = true;
                if (spec.Kind == DrillDegradation.Nulls)
                {
                    input[spec.Feature!] = null;
                }
                else if (spec.Kind == DrillDegradation.Shift && input[spec.Feature!] is JsonValue value && value.TryGetValue<double>(out var number))
                {
                    input[spec.Feature!] = number * (1 + spec.Amount);
                }
            }

            inputs.Add(input);
        }

        var scores = await ReplayAsync(service, champion, inputs, ct);
        if (!scores.IsSuccess)
        {
            return scores.Failure!;
        }

        var answers = scores.Value!;
        for (var i = 0; i < rows.Count; i++)
        {
            if (degraded[i] && spec.Kind == DrillDegradation.Quality)
            {
                answers[i] = 1 - answers[i];
            }
        }

        var layers = new List<DrillLayer>();
        layers.AddRange(MonitorLayers(rows, inputs, answers, injectedAt));
        var labels = rows.Select(r => r.Label >= 0.5).ToArray();
        var (performance, referenceAccuracy, degradedAccuracy) = PerformanceLayer(rows, answers, labels, injectedAt, to);
        layers.Add(performance);
        layers.Add(BusinessLayer(serviceName, performance));

        var delays = rows.Select(r => (r.LabelledAt - r.At).TotalSeconds).Where(d => d >= 0).Order().ToArray();
        double? medianDelay = delays.Length == 0 ? null : Statistics.Quantiles.Linear(delays, 0.5);
        var first = layers.Where(l => l.Caught).OrderBy(l => l.TimeToDetectSeconds).FirstOrDefault();
        var summary = first is null
            ? $"{spec} injected at {injectedAt:yyyy-MM-dd HH:mm}Z into {degraded.Count(d => d):N0} of {rows.Count:N0} replayed requests: no layer caught it."
            : $"{spec} injected at {injectedAt:yyyy-MM-dd HH:mm}Z: the {first.Layer} layer caught it first ({first.Monitor}) after {TimeSpan.FromSeconds(Math.Round(first.TimeToDetectSeconds!.Value))}"
              + string.Concat(layers.Where(l => l.Caught && l != first).Select(l => $"; {l.Layer} after {TimeSpan.FromSeconds(Math.Round(l.TimeToDetectSeconds!.Value))}"))
              + $"; not caught by {string.Join(", ", layers.Where(l => !l.Caught).Select(l => l.Layer))}.";
        var report = new DrillReport(
            serviceName, championNumber, spec.ToString(), true, rows.Count, from, to, injectedAt, degraded.Count(d => d), medianDelay,
            referenceAccuracy, degradedAccuracy, first?.Layer, first?.TimeToDetectSeconds, layers, summary);
        await store.AppendAuditAsync(
            new AuditEvent(0, now, actor, "drill.run", serviceName, $"{serviceName}/drill", null, VigilJson.Serialize(report),
                $"DRILL (sandbox: nothing served or stored was changed): {summary}"),
            ct);
        return Result<DrillReport>.Ok(report);
    }

    /// <summary>Whether a request is one of the degraded share: bucketed by its id as flags do (salted), so a drill is repeatable.</summary>
    /// <summary>
    /// The business layer is not simulated (a replay cannot know how users would have reacted to worse answers), but how
    /// long it would take follows roughly from the service's business monitors: the degraded period must fill most of a
    /// monitor's window and then hold for its <c>for</c>.
    /// </summary>
    private DrillLayer BusinessLayer(string service, DrillLayer performance)
    {
        var monitors = settings?.For(service).EffectiveMonitors.Where(m => m.Layer == MonitorLayer.Business).ToList() ?? [];
        if (monitors.Count == 0)
        {
            return new DrillLayer("business", false, null, null, null, 0,
                "not simulated, and the service has no business monitor: the business layer would not alert (add one with 'vigil monitors apply')");
        }

        var fastest = monitors.OrderBy(m => m.Window.Value + (m.For?.Value ?? TimeSpan.Zero)).First();
        var estimate = fastest.Window.Value + (fastest.For?.Value ?? TimeSpan.Zero);
        var slower = performance.Caught && performance.TimeToDetectSeconds is { } seconds && estimate.TotalSeconds > seconds
            ? $", {TimeSpan.FromSeconds(Math.Round(estimate.TotalSeconds - seconds))} after the performance layer"
            : string.Empty;
        return new DrillLayer("business", false, fastest.Name, null, null, 0,
            $"not simulated (a replay cannot know how users would have reacted); estimate: about {estimate} after the injection "
            + $"(monitor {fastest.Name}: its window {fastest.Window} filled with the change, then its for {fastest.For ?? default}){slower}");
    }

    private static bool Picked(string requestId, DrillSpec spec) =>
        spec.Kind == DrillDegradation.Shift || Vigil.Routing.Flags.Bucketing.IsIn("vigil-drill", requestId, (int)Math.Round(spec.Amount * 1_000_000));

    private async Task<Result<double[]>> ReplayAsync(ServiceDefinition service, ModelVersion version, List<JsonObject> inputs, CancellationToken ct)
    {
        var loaded = await backends.GetAsync(service, version, ct);
        if (!loaded.IsSuccess)
        {
            return loaded.Failure!;
        }

        var scores = new double[inputs.Count];
        var violations = new List<SchemaViolation>();
        for (var start = 0; start < inputs.Count; start += 256)
        {
            var batch = inputs.Skip(start).Take(256).Select(i =>
            {
                using var document = JsonDocument.Parse(i.ToJsonString());
                return InputReader.Read(service, document.RootElement, violations);
            }).ToList();
            IReadOnlyList<JsonObject> outputs;
            try
            {
                outputs = await loaded.Value!.PredictAsync(batch, ct);
            }
            catch (BackendException ex)
            {
                return Failure.Unavailable($"version {version.Number} failed on the replayed traffic: {ex.Message}");
            }

            for (var i = 0; i < outputs.Count; i++)
            {
                var node = outputs[i]["probability"] ?? outputs[i]["score"];
                scores[start + i] = node is not null && node.GetValueKind() == JsonValueKind.Number ? node.GetValue<double>() : double.NaN;
            }
        }

        return Result<double[]>.Ok(scores);
    }

    /// <summary>The input and output layers: the default monitors over one-minute windows, baseline = the first half.</summary>
    private static IEnumerable<DrillLayer> MonitorLayers(List<LabeledRow> rows, List<JsonObject> inputs, double[] answers, DateTimeOffset injectedAt)
    {
        var baseline = new WindowProfiles(rows[0].At, TimeSpan.FromDays(3650));
        for (var i = 0; i < rows.Count && rows[i].At < injectedAt; i++)
        {
            Fold(baseline, inputs[i], answers[i]);
        }

        var backtester = new Backtester(DefaultMonitors.All, baseline.Profiles);
        for (var i = 0; i < rows.Count; i++)
        {
            if (backtester.WindowFor(rows[i].At) is { } window)
            {
                Fold(window, inputs[i], answers[i]);
            }
        }

        var alerts = backtester.Finish().Alerts;
        foreach (var layer in new[] { MonitorLayer.Input, MonitorLayer.Output })
        {
            var name = layer == MonitorLayer.Input ? "input" : "output";
            var before = alerts.Count(a => a.Layer == layer && a.FiredAt < injectedAt);
            var caught = alerts.Where(a => a.Layer == layer && a.FiredAt >= injectedAt).OrderBy(a => a.FiredAt).FirstOrDefault();
            yield return caught is null
                ? new DrillLayer(name, false, null, null, null, before, "the default monitors raised nothing after the injection")
                : new DrillLayer(name, true, caught.Monitor + (caught.Feature is { } f ? $" ({f})" : string.Empty), caught.FiredAt,
                    (caught.FiredAt - injectedAt).TotalSeconds, before, caught.Summary);
        }
    }

    private static void Fold(WindowProfiles window, JsonObject input, double answer)
    {
        window.Requests++;
        foreach (var (name, value) in input)
        {
            switch (value)
            {
                case null:
                    window.Numeric(name).AddNull();
                    break;
                case JsonValue v when v.GetValueKind() == JsonValueKind.Number:
                    window.Numeric(name).Add(v.GetValue<double>());
                    break;
                default:
                    window.Categorical(name).Add(value.GetValueKind() == JsonValueKind.String ? value.GetValue<string>() : value.ToJsonString());
                    break;
            }
        }

        if (double.IsFinite(answer))
        {
            window.Numeric(MonitorMetrics.Score).Add(answer);
            window.Numeric(MonitorMetrics.Confidence).Add(Math.Max(answer, 1 - answer));
        }
    }

    /// <summary>Accuracy over a sliding window of the labels that had arrived, stepped from the injection to the last label.</summary>
    private static (DrillLayer Layer, double Reference, double? Degraded) PerformanceLayer(List<LabeledRow> rows, double[] answers, bool[] labels, DateTimeOffset injectedAt, DateTimeOffset to)
    {
        bool Correct(int i) => answers[i] >= 0.5 == labels[i];
        var before = Enumerable.Range(0, rows.Count).Where(i => rows[i].At < injectedAt).ToList();
        var after = Enumerable.Range(0, rows.Count).Where(i => rows[i].At >= injectedAt).ToList();
        var reference = before.Count == 0 ? 0 : before.Count(Correct) / (double)before.Count;
        double? degraded = after.Count == 0 ? null : after.Count(Correct) / (double)after.Count;
        var span = to - injectedAt;
        var slide = span / 4 < TimeSpan.FromMinutes(10) ? TimeSpan.FromMinutes(10) : span / 4;
        var step = span / 200 < TimeSpan.FromMinutes(1) ? TimeSpan.FromMinutes(1) : span / 200;
        var lastLabel = rows.Max(r => r.LabelledAt);
        const string How = "accuracy (answer ≥ 0.5 against the label) over a sliding window of the labels that had arrived, against the first half";
        for (var t = injectedAt + step; t <= lastLabel + step; t += step)
        {
            var seen = Enumerable.Range(0, rows.Count).Where(i => rows[i].At >= t - slide && rows[i].At < t && rows[i].LabelledAt <= t).ToList();
            if (seen.Count < 30)
            {
                continue;
            }

            var accuracy = seen.Count(Correct) / (double)seen.Count;
            var bar = Math.Max(0.02, 3 * Math.Sqrt(reference * (1 - reference) / seen.Count));
            if (accuracy < reference - bar)
            {
                return (new DrillLayer("performance", true, "accuracy-drop", t, (t - injectedAt).TotalSeconds, 0,
                    $"{How}: {accuracy:0.000} on {seen.Count} labels vs {reference:0.000} (bar {bar:0.000})"), reference, degraded);
            }
        }

        return (new DrillLayer("performance", false, null, null, null, 0, $"{How}: never below the first half's {reference:0.000} by more than the bar"), reference, degraded);
    }
}

using System.Text.Json;
using System.Text.Json.Nodes;
using Vigil.Audit;
using Vigil.Persistence;
using Vigil.Registry;
using Vigil.Retraining;
using Vigil.Serving;

namespace Vigil.Server.Retraining;

/// <summary>
/// The evaluation harness (docs/retraining.md, "Evaluation"): replays the same holdout of logged, labelled production
/// requests in process through the candidate's and the champion's backends (loaded by the <see cref="BackendCache"/>),
/// computes AUC, accuracy and log loss (class outputs: accuracy and macro-F1; score outputs: MAE, RMSE, Spearman) overall
/// and per segment with 95% intervals, lets the policy's gate decide, and
/// stores the report with its audit event (<c>version.evaluated</c>).
/// </summary>
public sealed partial class CandidateEvaluator(IVigilStore store, BackendCache backends, TimeProvider time, ILogger<CandidateEvaluator> logger)
{
    /// <summary>Most holdout rows replayed. Default 20,000 (the newest).</summary>
    public const int MaxHoldoutRows = 20_000;

    private const int BatchSize = 256;
    private const int MaxAutoSegmentValues = 20;

    /// <summary>Evaluates <paramref name="version"/> of <paramref name="service"/> against the champion and stores the report.</summary>
    public async Task<Result<EvaluationReport>> EvaluateAsync(string service, int version, string actor, CancellationToken ct)
    {
        var definition = await store.GetServiceAsync(service, ct);
        if (definition is null)
        {
            return Failure.NotFound($"there is no service '{service}'");
        }

        var candidate = await store.GetVersionAsync(service, version, ct);
        if (candidate is null)
        {
            return Failure.NotFound($"service '{service}' has no version {version}; list them with 'vigil models list {service}'");
        }

        var policy = (await store.GetRetrainingPolicyAsync(service, ct))?.Policy;
        var gate = policy?.EffectiveGate ?? new EvaluationGate();
        var label = policy?.Label ?? RetrainingPolicy.DefaultLabel;
        var aliases = await store.GetAliasesAsync(service, ct);
        var now = time.GetUtcNow();
        var report = await BuildAsync(definition, candidate, aliases.Champion, gate, label, now, policy?.DataSince(now), ct);
        var saved = await store.SaveEvaluationAsync(report, new AuditContext(actor, now, $"version {version} {report.Decision}: {string.Join("; ", report.Reasons)}"), ct);
        if (saved.IsSuccess)
        {
            LogEvaluated(logger, service, version, report.Decision, string.Join("; ", report.Reasons));
        }

        return saved;
    }

    private async Task<EvaluationReport> BuildAsync(
        ServiceDefinition service, ModelVersion candidate, int? championNumber, EvaluationGate gate, string label, DateTimeOffset now, DateTimeOffset? since, CancellationToken ct)
    {
        EvaluationReport Inconclusive(string reason, int rows = 0) =>
            new(service.Name, candidate.Number, championNumber, EvaluationReport.Inconclusive, [reason], null, [], rows, null, null, now);

        if (service.Output.Kind is not (OutputKind.Probability or OutputKind.Class or OutputKind.Score))
        {
            return Inconclusive($"the evaluation harness compares probability, class and score outputs; service '{service.Name}' answers {service.Output.Kind.ToString().ToLowerInvariant()}");
        }

        if (championNumber is not { } champion)
        {
            return Inconclusive("the service has no champion to compare with");
        }

        if (champion == candidate.Number)
        {
            return Inconclusive($"version {candidate.Number} is the champion");
        }

        var set = await TrainingData.LoadAsync(store, service, label, gate, DataPart.Holdout, since, null, MaxHoldoutRows * 5, ct);
        if (set.Rows.Count > MaxHoldoutRows)
        {
            set = set with { Rows = [.. set.Rows.Take(MaxHoldoutRows)], Inputs = [.. set.Inputs.Take(MaxHoldoutRows)], Labels = [.. set.Labels.Take(MaxHoldoutRows)] };
        }

        if (set.Rows.Count == 0)
        {
            return Inconclusive(TrainingData.NoData(service.Name, label, since));
        }

        var championVersion = await store.GetVersionAsync(service.Name, champion, ct);
        if (service.Output.Kind != OutputKind.Probability)
        {
            return await BuildForOutputsAsync(service, candidate, championVersion!, gate, set, now, ct);
        }

        var candidateScores = await ReplayAsync(service, candidate, set, ct);
        if (!candidateScores.IsSuccess)
        {
            return new EvaluationReport(service.Name, candidate.Number, champion, EvaluationReport.Failed,
                [$"the candidate could not answer the holdout: {candidateScores.Failure!.Message}"], null, [], set.Rows.Count, set.From, set.To, now);
        }

        var championScores = await ReplayAsync(service, championVersion!, set, ct);
        if (!championScores.IsSuccess)
        {
            return Inconclusive($"the champion could not answer the holdout: {championScores.Failure!.Message}", set.Rows.Count);
        }

        var overall = Compare("overall", Enumerable.Range(0, set.Rows.Count).ToList(), set, candidateScores.Value!, championScores.Value!);
        var segments = new List<SliceComparison>();
        var attributes = set.Rows.Select(r => ParseAttributes(r.Attributes)).ToList();
        var names = gate.Segments ?? [.. attributes.SelectMany(a => a.Keys).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)
            .Where(k => attributes.Select(a => a.GetValueOrDefault(k)).Where(v => v is not null).Distinct(StringComparer.Ordinal).Count() <= MaxAutoSegmentValues)];
        foreach (var name in names)
        {
            var groups = Enumerable.Range(0, set.Rows.Count)
                .Where(i => attributes[i].GetValueOrDefault(name) is not null)
                .GroupBy(i => attributes[i][name]!, StringComparer.Ordinal)
                .OrderBy(g => g.Key, StringComparer.Ordinal);
            foreach (var group in groups)
            {
                segments.Add(Compare($"{name}={group.Key}", [.. group], set, candidateScores.Value!, championScores.Value!));
            }
        }

        SliceComparison? golden = null;
        if (gate.GoldenSet is { } goldenPath)
        {
            var goldenSet = GoldenSet.Read(service, goldenPath);
            if (!goldenSet.IsSuccess)
            {
                return Inconclusive($"the golden set could not be read: {goldenSet.Failure!.Message}", set.Rows.Count);
            }

            var goldenCandidate = await ReplayAsync(service, candidate, goldenSet.Value!, ct);
            var goldenChampion = await ReplayAsync(service, championVersion!, goldenSet.Value!, ct);
            if (!goldenCandidate.IsSuccess || !goldenChampion.IsSuccess)
            {
                return Inconclusive($"the golden set could not be replayed: {(goldenCandidate.Failure ?? goldenChampion.Failure)!.Message}", set.Rows.Count);
            }

            golden = Compare("golden", Enumerable.Range(0, goldenSet.Value!.Rows.Count).ToList(), goldenSet.Value, goldenCandidate.Value!, goldenChampion.Value!);
        }

        var ((decision, reasons, judgedOverall, judgedSegments), judgedGolden) = EvaluationJudge.Judge(gate, overall, segments, golden);
        return new EvaluationReport(service.Name, candidate.Number, champion, decision, reasons, judgedOverall, judgedSegments, set.Rows.Count, set.From, set.To, now, judgedGolden);
    }

    private static SliceComparison Compare(string name, List<int> rows, TrainingSet set, double[] candidate, double[] champion)
    {
        var labels = rows.Select(i => set.Labels[i]).ToList();
        return new SliceComparison(
            name,
            rows.Count,
            labels.Count(l => l),
            ModelMetrics.Compute(rows.Select(i => candidate[i]).ToList(), labels),
            ModelMetrics.Compute(rows.Select(i => champion[i]).ToList(), labels),
            Gated: false,
            Passed: true);
    }

    private async Task<Result<double[]>> ReplayAsync(ServiceDefinition service, ModelVersion version, TrainingSet set, CancellationToken ct)
    {
        // The serving side may unload a backend it does not route to while the replay uses it: load it again and start over.
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                return await ReplayOnceAsync(service, version, set, ct);
            }
            catch (ObjectDisposedException) when (attempt < 3)
            {
            }
        }
    }

    private async Task<Result<double[]>> ReplayOnceAsync(ServiceDefinition service, ModelVersion version, TrainingSet set, CancellationToken ct)
    {
        var loaded = await backends.GetAsync(service, version, ct);
        if (!loaded.IsSuccess)
        {
            return loaded.Failure!;
        }

        var scores = new double[set.Rows.Count];
        for (var start = 0; start < set.Rows.Count; start += BatchSize)
        {
            var batch = set.Inputs.Skip(start).Take(BatchSize).ToList();
            IReadOnlyList<JsonObject> outputs;
            try
            {
                outputs = await loaded.Value!.PredictAsync(batch, ct);
            }
            catch (BackendException ex)
            {
                return Failure.Unavailable($"version {version.Number} failed on the holdout: {ex.Message}");
            }

            for (var i = 0; i < outputs.Count; i++)
            {
                var node = outputs[i]["probability"] ?? outputs[i]["score"];
                if (node is null || node.GetValueKind() != JsonValueKind.Number)
                {
                    return Failure.Invalid($"version {version.Number} answered without a numeric probability: {outputs[i].ToJsonString()}");
                }

                scores[start + i] = node.GetValue<double>();
            }
        }

        return Result<double[]>.Ok(scores);
    }

    private static Dictionary<string, string?> ParseAttributes(string json)
    {
        var result = new Dictionary<string, string?>(StringComparer.Ordinal);
        using var document = JsonDocument.Parse(json);
        if (document.RootElement.ValueKind != JsonValueKind.Object)
        {
            return result;
        }

        foreach (var property in document.RootElement.EnumerateObject())
        {
            result[property.Name] = property.Value.ValueKind switch
            {
                JsonValueKind.String => property.Value.GetString(),
                JsonValueKind.Null or JsonValueKind.Undefined => null,
                _ => property.Value.GetRawText(),
            };
        }

        return result;
    }

    [LoggerMessage(EventId = 1610, Level = LogLevel.Information, Message = "Version {Version} of {Service} evaluated: {Decision} — {Reasons}")]
    private static partial void LogEvaluated(ILogger logger, string service, int version, string decision, string reasons);
}

using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Vigil.Registry;
using Vigil.Retraining;
using Vigil.Serving;

namespace Vigil.Server.Retraining;

/// <summary>
/// Class and score outputs (docs/retraining.md, "Evaluation of class and score outputs"): both models answer the same
/// holdout; class outputs are compared on accuracy and macro-F1 (the label outcome is the class index into the service's
/// <c>classes</c>, or the class's number when it declares none), score outputs on MAE, RMSE and Spearman's rank
/// correlation against the numeric label; <see cref="OutputJudge"/> decides.
/// </summary>
public sealed partial class CandidateEvaluator
{
    private async Task<EvaluationReport> BuildForOutputsAsync(
        ServiceDefinition service, ModelVersion candidate, ModelVersion champion, EvaluationGate gate, TrainingSet set, DateTimeOffset now, CancellationToken ct)
    {
        var kind = service.Output.Kind;
        var candidateAnswers = await AnswersAsync(service, candidate, set, ct);
        if (!candidateAnswers.IsSuccess)
        {
            return new EvaluationReport(service.Name, candidate.Number, champion.Number, EvaluationReport.Failed,
                [$"the candidate could not answer the holdout: {candidateAnswers.Failure!.Message}"], null, [], set.Rows.Count, set.From, set.To, now);
        }

        var championAnswers = await AnswersAsync(service, champion, set, ct);
        if (!championAnswers.IsSuccess)
        {
            return new EvaluationReport(service.Name, candidate.Number, champion.Number, EvaluationReport.Inconclusive,
                [$"the champion could not answer the holdout: {championAnswers.Failure!.Message}"], null, [], set.Rows.Count, set.From, set.To, now);
        }

        SliceComparison Slice(string name, List<int> rows)
        {
            ModelMetrics Metrics(IReadOnlyList<JsonObject> answers) => kind == OutputKind.Class
                ? ModelMetrics.ForClasses([.. rows.Select(i => ClassOf(service.Output, set.Rows[i].Label))], [.. rows.Select(i => PredictedClass(answers[i]))])
                : ModelMetrics.ForScores([.. rows.Select(i => set.Rows[i].Label)], [.. rows.Select(i => PredictedScore(answers[i]))]);
            return new SliceComparison(name, rows.Count, 0, Metrics(candidateAnswers.Value!), Metrics(championAnswers.Value!), Gated: false, Passed: true);
        }

        var overall = Slice("overall", [.. Enumerable.Range(0, set.Rows.Count)]);
        var attributes = set.Rows.Select(r => ParseAttributes(r.Attributes)).ToList();
        var names = gate.Segments ?? [.. attributes.SelectMany(a => a.Keys).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)
            .Where(k => attributes.Select(a => a.GetValueOrDefault(k)).Where(v => v is not null).Distinct(StringComparer.Ordinal).Count() <= MaxAutoSegmentValues)];
        var segments = new List<SliceComparison>();
        foreach (var name in names)
        {
            foreach (var group in Enumerable.Range(0, set.Rows.Count).Where(i => attributes[i].GetValueOrDefault(name) is not null)
                .GroupBy(i => attributes[i][name]!, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal))
            {
                segments.Add(Slice($"{name}={group.Key}", [.. group]));
            }
        }

        var (decision, reasons, judgedOverall, judgedSegments) = OutputJudge.Judge(gate, kind, overall, segments);
        if (gate.GoldenSet is not null)
        {
            reasons.Add("golden set: not used for class and score outputs yet");
        }

        return new EvaluationReport(service.Name, candidate.Number, champion.Number, decision, reasons, judgedOverall, judgedSegments, set.Rows.Count, set.From, set.To, now);
    }

    /// <summary>The true class of a label outcome: the class at that index when the service declares classes, else the number.</summary>
    internal static string ClassOf(OutputSpec output, double label) =>
        output.Classes is { } classes && double.IsInteger(label) && label >= 0 && label < classes.Count
            ? classes[(int)label]
            : label.ToString(CultureInfo.InvariantCulture);

    private static string PredictedClass(JsonObject answer) => answer["label"] switch
    {
        JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>(),
        null => "",
        var other => other.ToJsonString(),
    };

    private static double PredictedScore(JsonObject answer) =>
        answer["score"] is JsonValue v && v.GetValueKind() == JsonValueKind.Number ? v.GetValue<double>() : double.NaN;

    private async Task<Result<IReadOnlyList<JsonObject>>> AnswersAsync(ServiceDefinition service, ModelVersion version, TrainingSet set, CancellationToken ct)
    {
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                var loaded = await backends.GetAsync(service, version, ct);
                if (!loaded.IsSuccess)
                {
                    return loaded.Failure!;
                }

                var answers = new List<JsonObject>(set.Rows.Count);
                for (var start = 0; start < set.Rows.Count; start += BatchSize)
                {
                    answers.AddRange(await loaded.Value!.PredictAsync([.. set.Inputs.Skip(start).Take(BatchSize)], ct));
                }

                return Result<IReadOnlyList<JsonObject>>.Ok(answers);
            }
            catch (BackendException ex)
            {
                return Failure.Unavailable($"version {version.Number} failed on the holdout: {ex.Message}");
            }
            catch (ObjectDisposedException) when (attempt < 3)
            {
                // The serving side unloaded the backend while the replay used it: load it again and start over.
            }
        }
    }
}

namespace Vigil.Pipelines;

/// <summary>The end-to-end success definitions.</summary>
public enum EndToEndSuccess
{
    /// <summary>A human accepted the final output (a judgment with <c>accepted</c>).</summary>
    Accepted,

    /// <summary>Every stage met its per-request bar (each stage judged).</summary>
    AllStages,
}

/// <summary>A validated stage, ready to evaluate.</summary>
public sealed record CompiledStage(string Name, StageKind Kind, StageMetric Metric, StageBar Threshold, TimeSpan Window, StageBar? PerRequest, string? Service, TimeSpan For = default, TimeSpan KeepFiringFor = default);

/// <summary>A validated pipeline, ready to evaluate.</summary>
public sealed record CompiledPipeline(string Name, IReadOnlyList<CompiledStage> Stages, TimeSpan Window, EndToEndSuccess Success, JudgeDefinition? Judge = null, string StageAttribute = OpenInferenceMapper.StageAttribute, TimeSpan JudgmentWindow = default)
{
    /// <summary>The newest trace time that counts at <paramref name="now"/>: traces younger than the judgment window are not mature yet.</summary>
    public DateTimeOffset MatureBefore(DateTimeOffset now) => now - JudgmentWindow;

    public CompiledStage? Stage(string name) => Stages.FirstOrDefault(s => s.Name == name);
}

/// <summary>Checks a <see cref="PipelineDefinition"/> and reports every error it finds, each with its path.</summary>
public static class PipelineValidator
{
    public const int MaxStages = 16;
    public const int MaxNameLength = 64;

    /// <summary>The default window of a pipeline's metrics and report.</summary>
    public static readonly TimeSpan DefaultWindow = TimeSpan.FromDays(7);

    public static bool IsValidName(string? name) =>
        name is { Length: > 0 and <= MaxNameLength } && name.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c is '-' or '_')
        && char.IsAsciiLetterOrDigit(name[0]);

    public static IReadOnlyList<string> Validate(PipelineDefinition definition) => CompileCore(definition).Errors;

    /// <summary>The compiled pipeline, or every error.</summary>
    public static Result<CompiledPipeline> Compile(PipelineDefinition definition)
    {
        var (compiled, errors) = CompileCore(definition);
        return errors.Count == 0
            ? Result<CompiledPipeline>.Ok(compiled!)
            : Failure.Invalid($"pipeline '{definition?.Name}' is not valid: {errors.Count} error(s)", errors);
    }

    private static (CompiledPipeline? Pipeline, List<string> Errors) CompileCore(PipelineDefinition definition)
    {
        ArgumentNullException.ThrowIfNull(definition);
        var errors = new List<string>();
        if (!IsValidName(definition.Name))
        {
            errors.Add($"name: '{definition.Name}' must be 1–{MaxNameLength} lower-case letters, digits, '-' or '_', starting with a letter or digit");
        }

        if (definition.Description is { Length: > 1000 })
        {
            errors.Add("description: at most 1000 characters");
        }

        var window = ParseWindow(definition.Window, "window", errors) ?? DefaultWindow;
        var judgmentWindow = ParseDelay(definition.JudgmentWindow, "judgment_window", errors);
        var success = EndToEndSuccess.Accepted;
        switch (definition.Success)
        {
            case null or "accepted":
                break;
            case "all-stages" or "all_stages":
                success = EndToEndSuccess.AllStages;
                break;
            default:
                errors.Add($"success: '{definition.Success}' is not an end-to-end success definition; use 'accepted' (a human accepted the final output) or 'all-stages'");
                break;
        }

        if (definition.OtlpStageAttribute is { } attribute && (attribute.Length is 0 or > 128 || attribute.Any(char.IsWhiteSpace)))
        {
            errors.Add($"otlp_stage_attribute: '{attribute}' must be an attribute name of 1–128 characters without spaces, such as vigil.stage");
        }

        if (definition.Judge is { } judge)
        {
            if (!Uri.TryCreate(judge.Endpoint, UriKind.Absolute, out var endpoint) || endpoint.Scheme is not ("http" or "https"))
            {
                errors.Add($"judge.endpoint: '{judge.Endpoint}' must be an http(s) address of an OpenAI-compatible API, such as https://api.openai.com/v1");
            }

            if (string.IsNullOrWhiteSpace(judge.Model))
            {
                errors.Add("judge.model: required, the model to ask");
            }

            if (judge.Samples is < 1 or > 9)
            {
                errors.Add($"judge.samples: {judge.Samples} must be from 1 to 9");
            }

            if (judge.MaxCalls is < 1 or > 1_000_000)
            {
                errors.Add($"judge.max_calls: {judge.MaxCalls} must be from 1 to 1,000,000");
            }
        }

        if (definition.Stages is null || definition.Stages.Count == 0)
        {
            errors.Add("stages: declare at least one stage, in request order");
            return (null, errors);
        }

        if (definition.Stages.Count > MaxStages)
        {
            errors.Add($"stages: at most {MaxStages} stages (got {definition.Stages.Count})");
        }

        var stages = new List<CompiledStage>();
        var names = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < definition.Stages.Count; i++)
        {
            var stage = definition.Stages[i];
            var path = $"stages[{i}]";
            if (stage is null)
            {
                errors.Add($"{path}: is null");
                continue;
            }

            if (!IsValidName(stage.Name))
            {
                errors.Add($"{path}.name: '{stage.Name}' must be 1–{MaxNameLength} lower-case letters, digits, '-' or '_'");
            }
            else if (!names.Add(stage.Name))
            {
                errors.Add($"{path}.name: '{stage.Name}' is used by an earlier stage; stage names are unique");
            }

            StageKind? kind = stage.Kind switch
            {
                "retrieval" => StageKind.Retrieval,
                "ranking" => StageKind.Ranking,
                "generation" => StageKind.Generation,
                "validation" => StageKind.Validation,
                "custom" => StageKind.Custom,
                _ => null,
            };
            if (kind is null)
            {
                errors.Add($"{path}.kind: '{stage.Kind}' is not a stage kind; use retrieval, ranking, generation, validation or custom");
            }

            StageMetric? metric = null;
            if (!StageMetric.TryParse(stage.Metric, out var parsedMetric, out var metricError))
            {
                errors.Add($"{path}.metric: {metricError}");
            }
            else
            {
                metric = parsedMetric;
                if (kind is { } k && !Fits(k, parsedMetric))
                {
                    errors.Add($"{path}.metric: {parsedMetric} does not measure a {stage.Kind} stage; use {Allowed(k)}");
                }
            }

            StageBar? threshold = null;
            if (!StageBar.TryParse(stage.Threshold, out var parsedThreshold))
            {
                errors.Add($"{path}.threshold: '{stage.Threshold}' must be a direction and a number, such as \">= 0.85\" or \"<= 0.05\"");
            }
            else if (parsedThreshold.Value is < 0 or > 1)
            {
                errors.Add($"{path}.threshold: {parsedThreshold.Value} is outside 0–1; every stage metric is a share");
            }
            else
            {
                threshold = parsedThreshold;
            }

            StageBar? perRequest = threshold;
            if (stage.PerRequest is not null)
            {
                if (kind == StageKind.Validation)
                {
                    errors.Add($"{path}.per_request: a validation stage has no per-request bar (a request succeeds there when the verdict agrees with the human); remove it");
                }
                else if (!StageBar.TryParse(stage.PerRequest, out var bar) || bar.Value is < 0 or > 1)
                {
                    errors.Add($"{path}.per_request: '{stage.PerRequest}' must be a direction and a number from 0 to 1, such as \">= 0.6\"");
                }
                else
                {
                    perRequest = bar;
                }
            }

            if (kind == StageKind.Validation)
            {
                perRequest = null;
            }

            var stageWindow = ParseWindow(stage.Window, $"{path}.window", errors) ?? window;
            var forDelay = ParseDelay(stage.For, $"{path}.for", errors);
            var keepFiringFor = ParseDelay(stage.KeepFiringFor, $"{path}.keep_firing_for", errors);
            if (stage.Service is { } service && (service.Length is 0 or > 128))
            {
                errors.Add($"{path}.service: a service name of 1–128 characters");
            }

            if (kind is { } kk && metric is { } m && threshold is { } t)
            {
                stages.Add(new CompiledStage(stage.Name, kk, m, t, stageWindow, perRequest, stage.Service, forDelay, keepFiringFor));
            }
        }

        return errors.Count == 0
            ? (new CompiledPipeline(definition.Name, stages, window, success, definition.Judge, definition.OtlpStageAttribute ?? OpenInferenceMapper.StageAttribute, judgmentWindow), errors)
            : (null, errors);
    }

    private static TimeSpan? ParseWindow(string? text, string path, List<string> errors)
    {
        if (text is null)
        {
            return null;
        }

        if (!Duration.TryParse(text, out var duration) || duration.Value <= TimeSpan.Zero || duration.Value > TimeSpan.FromDays(366))
        {
            errors.Add($"{path}: '{text}' must be a duration from 1s to 366d, such as 7d, 24h or 30m");
            return null;
        }

        return duration.Value;
    }

    /// <summary>A delay that may be zero: <c>for</c>, <c>keep_firing_for</c>, <c>judgment_window</c> (absent = zero).</summary>
    private static TimeSpan ParseDelay(string? text, string path, List<string> errors)
    {
        if (text is null)
        {
            return TimeSpan.Zero;
        }

        if (text.Trim() == "0")
        {
            return TimeSpan.Zero;
        }

        if (!Duration.TryParse(text, out var duration) || duration.Value < TimeSpan.Zero || duration.Value > TimeSpan.FromDays(366))
        {
            errors.Add($"{path}: '{text}' must be a duration from 0 to 366d, such as 0, 30m, 2h or 3d");
            return TimeSpan.Zero;
        }

        return duration.Value;
    }

    private static bool Fits(StageKind kind, StageMetric metric) => kind switch
    {
        StageKind.Retrieval or StageKind.Ranking => metric.IsRanked,
        StageKind.Generation => metric.Kind == StageMetricKind.Faithfulness,
        StageKind.Validation => metric.IsValidationRate,
        _ => metric.Kind == StageMetricKind.PassRate || metric.IsRanked,
    };

    private static string Allowed(StageKind kind) => kind switch
    {
        StageKind.Retrieval or StageKind.Ranking => "precision@K, recall@K, hit_rate@K, mrr, ndcg@K or map@K",
        StageKind.Generation => "faithfulness",
        StageKind.Validation => "false_negative_rate or false_positive_rate",
        _ => "pass_rate or a ranked-list metric",
    };
}

namespace Vigil.Pipelines;

/// <summary>Checks batches of traces and judgments against a pipeline; every problem is reported with its path.</summary>
public static class PipelineInputValidator
{
    public const int MaxBatch = 1000;
    public const int MaxIdLength = 200;
    public const int MaxItems = 1000;
    public const int MaxTextLength = 100_000;
    public const int MaxStatements = 200;

    public static List<string> ValidateTraces(CompiledPipeline pipeline, IReadOnlyList<PipelineTrace>? traces)
    {
        ArgumentNullException.ThrowIfNull(pipeline);
        var errors = new List<string>();
        if (traces is null || traces.Count == 0)
        {
            errors.Add("traces: send at least one trace");
            return errors;
        }

        if (traces.Count > MaxBatch)
        {
            errors.Add($"traces: at most {MaxBatch} per batch (got {traces.Count}); send smaller batches");
            return errors;
        }

        var ids = new HashSet<string>(StringComparer.Ordinal);
        for (var t = 0; t < traces.Count; t++)
        {
            var trace = traces[t];
            var path = $"traces[{t}]";
            if (!IsId(trace.TraceId))
            {
                errors.Add($"{path}.trace_id: required, 1–{MaxIdLength} characters");
            }
            else if (!ids.Add(trace.TraceId))
            {
                errors.Add($"{path}.trace_id: '{trace.TraceId}' appears twice in this batch; a trace id names one request");
            }

            if (trace.Stages is null || trace.Stages.Count == 0)
            {
                errors.Add($"{path}.stages: send the output of at least one stage");
                continue;
            }

            var lastIndex = -1;
            string? lastName = null;
            var seen = new HashSet<string>(StringComparer.Ordinal);
            for (var s = 0; s < trace.Stages.Count; s++)
            {
                var output = trace.Stages[s];
                var where = $"{path}.stages[{s}]";
                var stage = pipeline.Stage(output.Stage);
                if (stage is null)
                {
                    errors.Add($"{where}.stage: '{output.Stage}' is not a stage of pipeline '{pipeline.Name}' (its stages: {string.Join(", ", pipeline.Stages.Select(x => x.Name))})");
                    continue;
                }

                if (!seen.Add(stage.Name))
                {
                    errors.Add($"{where}.stage: '{stage.Name}' appears twice in this trace");
                    continue;
                }

                var index = pipeline.Stages.ToList().IndexOf(stage);
                if (index < lastIndex)
                {
                    errors.Add($"{where}.stage: '{stage.Name}' comes after '{lastName}' in this trace, but before it in the pipeline; send stages in pipeline order ({string.Join(" → ", pipeline.Stages.Select(x => x.Name))})");
                }

                lastIndex = Math.Max(lastIndex, index);
                lastName = index == lastIndex ? stage.Name : lastName;
                ValidateOutput(stage, output, where, errors);
            }
        }

        return errors;
    }

    public static List<string> ValidateJudgments(IReadOnlyList<PipelineJudgment>? judgments)
    {
        var errors = new List<string>();
        if (judgments is null || judgments.Count == 0)
        {
            errors.Add("judgments: send at least one judgment");
            return errors;
        }

        if (judgments.Count > MaxBatch)
        {
            errors.Add($"judgments: at most {MaxBatch} per batch (got {judgments.Count}); send smaller batches");
            return errors;
        }

        for (var j = 0; j < judgments.Count; j++)
        {
            var judgment = judgments[j];
            var path = $"judgments[{j}]";
            if (!IsId(judgment.TraceId))
            {
                errors.Add($"{path}.trace_id: required, 1–{MaxIdLength} characters");
            }

            if (judgment.Relevance is null && judgment.Statements is null && judgment.Accepted is null && judgment.RelevantTotal is null)
            {
                errors.Add($"{path}: judges nothing; send relevance, statements or accepted");
            }

            if (judgment.Relevance is { } relevance)
            {
                if (relevance.Count > MaxItems)
                {
                    errors.Add($"{path}.relevance: at most {MaxItems} labels");
                }

                foreach (var (id, grade) in relevance)
                {
                    if (!double.IsFinite(grade) || grade < 0)
                    {
                        errors.Add($"{path}.relevance['{id}']: {grade} must be a number ≥ 0 (0 = not relevant)");
                    }
                }
            }

            if (judgment.RelevantTotal is < 0)
            {
                errors.Add($"{path}.relevant_total: must be ≥ 0");
            }

            if (judgment.Statements is { } statements)
            {
                if (statements.Count > MaxStatements)
                {
                    errors.Add($"{path}.statements: at most {MaxStatements}");
                }

                for (var s = 0; s < statements.Count; s++)
                {
                    if (statements[s].Text is null || statements[s].Text.Length > MaxTextLength)
                    {
                        errors.Add($"{path}.statements[{s}].text: required, at most {MaxTextLength} characters");
                    }
                }
            }

            if (judgment.Source is { Length: > 64 })
            {
                errors.Add($"{path}.source: at most 64 characters");
            }
        }

        return errors;
    }

    private static void ValidateOutput(CompiledStage stage, StageOutput output, string where, List<string> errors)
    {
        if (output.RequestId is { } requestId && !IsId(requestId))
        {
            errors.Add($"{where}.request_id: 1–{MaxIdLength} characters");
        }

        switch (stage.Kind)
        {
            case StageKind.Retrieval or StageKind.Ranking:
            case StageKind.Custom when stage.Metric.IsRanked:
                if (output.Items is null)
                {
                    errors.Add($"{where}.items: a {stage.Kind.ToString().ToLowerInvariant()} stage sends its items in served order ([] when it found none)");
                }
                else if (output.Items.Count > MaxItems)
                {
                    errors.Add($"{where}.items: at most {MaxItems}");
                }
                else
                {
                    var ids = new HashSet<string>(StringComparer.Ordinal);
                    for (var i = 0; i < output.Items.Count; i++)
                    {
                        var item = output.Items[i];
                        if (!IsId(item.Id))
                        {
                            errors.Add($"{where}.items[{i}].id: required, 1–{MaxIdLength} characters");
                        }
                        else if (!ids.Add(item.Id))
                        {
                            errors.Add($"{where}.items[{i}].id: '{item.Id}' appears twice");
                        }

                        if (item.Score is { } score && !double.IsFinite(score))
                        {
                            errors.Add($"{where}.items[{i}].score: must be a finite number");
                        }
                    }
                }

                break;
            case StageKind.Generation:
                if (output.Output is null)
                {
                    errors.Add($"{where}.output: a generation stage sends the generated text");
                }
                else if (output.Output.Length > MaxTextLength)
                {
                    errors.Add($"{where}.output: at most {MaxTextLength} characters");
                }

                break;
            case StageKind.Validation:
                if (output.Verdict is null)
                {
                    errors.Add($"{where}.verdict: a validation stage sends its verdict, 'pass' or 'block'");
                }

                break;
            case StageKind.Custom:
                if (output.Passed is null)
                {
                    errors.Add($"{where}.passed: a custom stage measured by pass_rate sends passed: true or false");
                }

                break;
        }
    }

    private static bool IsId(string? id) => id is { Length: > 0 and <= MaxIdLength };
}

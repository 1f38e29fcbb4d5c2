using System.Globalization;
using System.Text.Json.Nodes;
using Vigil.Registry;

namespace Vigil.Serving.Outputs;

/// <summary>
/// Turns a model's named outputs into Vigil's response objects, one per row, following the service's
/// <see cref="OutputSpec"/>. The plan is chosen once per model from the output names it offers:
/// <list type="bullet">
/// <item><b>probability</b>: <c>{"probability": p, "label": bool, "score": raw}</c>. p is the first of
/// <c>Probability.output</c> (ML.NET's ONNX export), <c>Probability</c> (ML.NET), <c>probability</c>,
/// <c>probabilities</c>, <c>output_probability</c> (sklearn-onnx); an output with two values per row gives the second
/// (the positive class). label is the first of <c>PredictedLabel.output</c>, <c>PredictedLabel</c>, <c>label</c>,
/// <c>predicted_label</c>, <c>output_label</c>, else p ≥ 0.5. score (omitted when absent) is <c>Score.output</c>,
/// <c>Score</c> or <c>score</c>.</item>
/// <item><b>class</b>: <c>{"label": "...", "scores": {class: value}}</c>; label from the label names above (a number is
/// mapped to <see cref="OutputSpec.Classes"/> when it indexes it), else the class of the highest score; scores from the
/// score or probability names above when they hold several values per row, keyed by the declared classes or by index.</item>
/// <item><b>score</b>: <c>{"score": x}</c> from <c>Score.output</c>, <c>Score</c>, <c>score</c>, <c>variable</c>
/// (sklearn-onnx regressors), <c>predictions</c>, <c>output</c>, or the model's only output.</item>
/// <item><b>anything else</b>: every output by its name.</item>
/// </list>
/// </summary>
internal sealed class OutputShape
{
    private static readonly string[] ProbabilityNames = ["Probability.output", "Probability", "probability", "probabilities", "output_probability"];
    private static readonly string[] LabelNames = ["PredictedLabel.output", "PredictedLabel", "label", "predicted_label", "output_label"];
    private static readonly string[] ScoreNames = ["Score.output", "Score", "score"];
    private static readonly string[] RegressionNames = ["Score.output", "Score", "score", "variable", "predictions", "prediction", "output"];
    private static readonly string[] ClassScoreNames = ["Score.output", "Score", "scores", "probabilities", "output_probability", "probability", "Probability.output", "Probability"];

    private readonly OutputSpec _spec;
    private readonly string? _probability;
    private readonly string? _label;
    private readonly string? _score;
    private readonly IReadOnlyList<string> _all;

    private OutputShape(OutputSpec spec, string? probability, string? label, string? score, IReadOnlyList<string> all, IReadOnlyList<string> required)
    {
        _spec = spec;
        _probability = probability;
        _label = label;
        _score = score;
        _all = all;
        Required = required;
    }

    /// <summary>The outputs the plan reads; an in-process runtime computes only these.</summary>
    public IReadOnlyList<string> Required { get; }

    /// <summary>Chooses the outputs to read among <paramref name="available"/>, or says why the model cannot serve the output kind.</summary>
    public static Result<OutputShape> Create(OutputSpec spec, IReadOnlyList<string> available)
    {
        ArgumentNullException.ThrowIfNull(spec);
        string? Find(string[] names) => names.FirstOrDefault(n => available.Contains(n, StringComparer.Ordinal));
        string Offered() => available.Count == 0 ? "none" : string.Join(", ", available.Select(n => $"'{n}'"));

        switch (spec.Kind)
        {
            case OutputKind.Probability:
                {
                    var probability = Find(ProbabilityNames);
                    if (probability is null)
                    {
                        return Failure.Invalid(
                            $"the model has no probability output (looked for {string.Join(", ", ProbabilityNames)}); its outputs are {Offered()}");
                    }

                    var label = Find(LabelNames);
                    var score = Find(ScoreNames);
                    return Result<OutputShape>.Ok(new OutputShape(spec, probability, label, score, [], Compact(probability, label, score)));
                }

            case OutputKind.Class:
                {
                    var label = Find(LabelNames);
                    var scores = Find(ClassScoreNames);
                    if (label is null && scores is null)
                    {
                        return Failure.Invalid(
                            $"the model has neither a label output ({string.Join(", ", LabelNames)}) nor class scores; its outputs are {Offered()}");
                    }

                    return Result<OutputShape>.Ok(new OutputShape(spec, null, label, scores, [], Compact(label, scores)));
                }

            case OutputKind.Score:
                {
                    var score = Find(RegressionNames) ?? (available.Count == 1 ? available[0] : null);
                    if (score is null)
                    {
                        return Failure.Invalid(
                            $"the model has no score output (looked for {string.Join(", ", RegressionNames)}, or a single output); its outputs are {Offered()}");
                    }

                    return Result<OutputShape>.Ok(new OutputShape(spec, null, null, score, [], [score]));
                }

            default:
                return Result<OutputShape>.Ok(new OutputShape(spec, null, null, null, available, available));
        }
    }

    /// <summary>Builds one object per row from <paramref name="columns"/>, which hold at least <see cref="Required"/>.</summary>
    public JsonObject[] Apply(IReadOnlyDictionary<string, OutputColumn> columns, int rows)
    {
        var results = new JsonObject[rows];
        for (var row = 0; row < rows; row++)
        {
            results[row] = _spec.Kind switch
            {
                OutputKind.Probability => ProbabilityRow(columns, row),
                OutputKind.Class => ClassRow(columns, row),
                OutputKind.Score => new JsonObject { ["score"] = ScalarNumber(columns[_score!], row) },
                _ => AllRow(columns, row),
            };
        }

        return results;
    }

    private JsonObject ProbabilityRow(IReadOnlyDictionary<string, OutputColumn> columns, int row)
    {
        var probabilityColumn = columns[_probability!];
        var p = probabilityColumn.GetNumber(row, probabilityColumn.WidthOf(row) >= 2 ? 1 : 0);
        bool label;
        if (_label is not null && columns[_label].GetBoolean(row, 0) is { } predicted)
        {
            label = predicted;
        }
        else
        {
            label = p >= 0.5;
        }

        var result = new JsonObject
        {
            ["probability"] = OutputColumn.Number(p),
            ["label"] = label,
        };
        if (_score is not null)
        {
            var scoreColumn = columns[_score];
            result["score"] = OutputColumn.Number(scoreColumn.GetNumber(row, scoreColumn.WidthOf(row) >= 2 ? 1 : 0));
        }

        return result;
    }

    private JsonObject ClassRow(IReadOnlyDictionary<string, OutputColumn> columns, int row)
    {
        var classes = _spec.Classes;
        var result = new JsonObject();
        JsonObject? scores = null;
        var best = -1;
        if (_score is not null && columns[_score] is var scoreColumn && scoreColumn.WidthOf(row) > 1)
        {
            scores = new JsonObject();
            var bestValue = double.NegativeInfinity;
            var width = scoreColumn.WidthOf(row);
            for (var j = 0; j < width; j++)
            {
                var value = scoreColumn.GetNumber(row, j);
                scores[ClassName(classes, j)] = OutputColumn.Number(value);
                if (value > bestValue)
                {
                    bestValue = value;
                    best = j;
                }
            }
        }

        string? label = null;
        if (_label is not null)
        {
            var labelColumn = columns[_label];
            var number = labelColumn.GetNumber(row, 0);
            label = classes is not null && double.IsInteger(number) && number >= 0 && number < classes.Count
                ? classes[(int)number]
                : labelColumn.GetText(row, 0);
        }
        else if (best >= 0)
        {
            label = ClassName(classes, best);
        }

        result["label"] = label;
        if (scores is not null)
        {
            result["scores"] = scores;
        }

        return result;
    }

    private JsonObject AllRow(IReadOnlyDictionary<string, OutputColumn> columns, int row)
    {
        var result = new JsonObject();
        foreach (var name in _all)
        {
            if (columns.TryGetValue(name, out var column))
            {
                result[name] = column.GetRowNode(row);
            }
        }

        return result;
    }

    private static JsonNode? ScalarNumber(OutputColumn column, int row) =>
        column.WidthOf(row) == 1 ? OutputColumn.Number(column.GetNumber(row, 0)) : column.GetRowNode(row);

    private static string ClassName(IReadOnlyList<string>? classes, int index) =>
        classes is not null && index < classes.Count ? classes[index] : index.ToString(CultureInfo.InvariantCulture);

    private static string[] Compact(params string?[] names) => names.OfType<string>().Distinct(StringComparer.Ordinal).ToArray();
}

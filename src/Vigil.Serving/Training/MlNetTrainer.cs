using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Trainers;
using Microsoft.ML.Trainers.FastTree;
using Microsoft.ML.Transforms;
using Vigil.Registry;
using Vigil.Serving.MlNet;

namespace Vigil.Serving.Training;

/// <summary>
/// The built-in trainer: fits a binary classifier on a service's rows and saves it as an ML.NET model that the
/// <c>mlnet</c> backend serves (and <see cref="OnnxExporter"/> converts to ONNX).
/// <para>
/// Featurization, in place so that the model's input columns are the feature names: Number and Integer features as floats
/// with missing values replaced by the training mean; Boolean features converted to 1/0 floats; String and Category
/// features one-hot encoded (a value not seen in training encodes as all zeros). Then everything is concatenated into
/// <c>Features</c> and the chosen learner is fitted on the training part of a seeded split; the held-out part gives the
/// metrics. Learners run single-threaded so that a seed fixes the model.
/// </para>
/// </summary>
public static class MlNetTrainer
{
    /// <summary>The smallest number of rows the trainer accepts.</summary>
    public const int MinimumRows = 20;

    private static readonly string[] ReservedNames = [InputRowsDataView.LabelColumn, "Features", "Score", "Probability", "PredictedLabel"];

    /// <summary>
    /// Trains on <paramref name="rows"/> (in the order of <paramref name="service"/>'s inputs) and <paramref name="labels"/>,
    /// and saves the model to <paramref name="modelPath"/> (its folder is created; the file is replaced atomically).
    /// Rows that are too few, a single class, reserved feature names or invalid options give a <see cref="Failure"/>.
    /// </summary>
    public static Result<MlNetTrainingResult> Train(
        ServiceDefinition service,
        IReadOnlyList<InputRow> rows,
        IReadOnlyList<bool> labels,
        string modelPath,
        MlNetTrainingOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(service);
        ArgumentNullException.ThrowIfNull(rows);
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentException.ThrowIfNullOrWhiteSpace(modelPath);
        options ??= new MlNetTrainingOptions();

        var errors = Check(service, rows, labels, options);
        if (errors.Count > 0)
        {
            return Failure.Invalid($"cannot train a model for service '{service.Name}': {string.Join("; ", errors)}", errors);
        }

        cancellationToken.ThrowIfCancellationRequested();
        var ml = new MLContext(seed: options.Seed);
        var columns = FeatureColumn.Defaults(service);
        var data = new InputRowsDataView(columns, rows, labels);
        var split = ml.Data.TrainTestSplit(data, options.TestFraction, seed: options.Seed);

        var pipeline = Featurize(ml, service, options).Append(Learner(ml, options));
        ITransformer model;
        try
        {
            model = pipeline.Fit(split.TrainSet);
        }
        catch (Exception e) when (e is InvalidOperationException or ArgumentException)
        {
            return Failure.Invalid($"training failed for service '{service.Name}': {e.Message}");
        }

        cancellationToken.ThrowIfCancellationRequested();
        var metrics = new Dictionary<string, double>(StringComparer.Ordinal);
        try
        {
            var evaluated = ml.BinaryClassification.Evaluate(model.Transform(split.TestSet), InputRowsDataView.LabelColumn);
            metrics["auc"] = evaluated.AreaUnderRocCurve;
            metrics["accuracy"] = evaluated.Accuracy;
            metrics["log_loss"] = evaluated.LogLoss;
            metrics["f1"] = evaluated.F1Score;
            metrics["precision"] = evaluated.PositivePrecision;
            metrics["recall"] = evaluated.PositiveRecall;
        }
        catch (Exception e) when (e is InvalidOperationException or ArgumentException)
        {
            return Failure.Invalid($"the held-out rows of service '{service.Name}' cannot be evaluated ({e.Message}); give more rows of both classes");
        }

        metrics["train_rows"] = Count(split.TrainSet);
        metrics["test_rows"] = Count(split.TestSet);

        Save(ml, model, FeatureColumn.BuildSchema(columns), modelPath);
        return Result<MlNetTrainingResult>.Ok(new MlNetTrainingResult(modelPath, metrics));
    }

    private static List<string> Check(ServiceDefinition service, IReadOnlyList<InputRow> rows, IReadOnlyList<bool> labels, MlNetTrainingOptions options)
    {
        var errors = new List<string>(options.Validate());
        if (rows.Count != labels.Count)
        {
            errors.Add($"{rows.Count} rows but {labels.Count} labels; give one label per row");
        }

        if (rows.Count < MinimumRows)
        {
            errors.Add($"{rows.Count} rows; at least {MinimumRows} are needed");
        }

        var positives = labels.Count(l => l);
        if (labels.Count > 0 && (positives == 0 || positives == labels.Count))
        {
            errors.Add("every label is the same; both classes are needed");
        }

        foreach (var feature in service.Inputs.Where(f => ReservedNames.Contains(f.Name, StringComparer.Ordinal)))
        {
            errors.Add($"feature '{feature.Name}' uses a name the trainer reserves ({string.Join(", ", ReservedNames)})");
        }

        var width = service.Inputs.Count;
        for (var i = 0; i < rows.Count; i++)
        {
            if (rows[i].Values.Length != width)
            {
                errors.Add($"row {i} has {rows[i].Values.Length} values but the service has {width} features");
                break;
            }
        }

        return errors;
    }

    private static EstimatorChain<ITransformer> Featurize(MLContext ml, ServiceDefinition service, MlNetTrainingOptions options)
    {
        var chain = new EstimatorChain<ITransformer>();
        foreach (var feature in service.Inputs)
        {
            chain = feature.Type switch
            {
                FeatureType.Number or FeatureType.Integer => chain.Append<ITransformer>(
                    ml.Transforms.ReplaceMissingValues(feature.Name, replacementMode: MissingValueReplacingEstimator.ReplacementMode.Mean)),
                FeatureType.Boolean => chain.Append<ITransformer>(ml.Transforms.Conversion.ConvertType(feature.Name, outputKind: DataKind.Single)),
                _ => chain.Append<ITransformer>(ml.Transforms.Categorical.OneHotEncoding(feature.Name)),
            };
        }

        chain = chain.Append<ITransformer>(ml.Transforms.Concatenate("Features", service.Inputs.Select(f => f.Name).ToArray()));
        if (options.Algorithm == MlNetAlgorithm.SdcaLogisticRegression)
        {
            chain = chain.Append<ITransformer>(ml.Transforms.NormalizeMinMax("Features"));
        }

        return chain;
    }

    private static IEstimator<ITransformer> Learner(MLContext ml, MlNetTrainingOptions options) => options.Algorithm switch
    {
        MlNetAlgorithm.SdcaLogisticRegression => ml.BinaryClassification.Trainers.SdcaLogisticRegression(new SdcaLogisticRegressionBinaryTrainer.Options
        {
            LabelColumnName = InputRowsDataView.LabelColumn,
            FeatureColumnName = "Features",
            NumberOfThreads = 1,
        }),
        _ => ml.BinaryClassification.Trainers.FastTree(new FastTreeBinaryTrainer.Options
        {
            LabelColumnName = InputRowsDataView.LabelColumn,
            FeatureColumnName = "Features",
            NumberOfTrees = options.NumberOfTrees,
            NumberOfLeaves = options.NumberOfLeaves,
            MinimumExampleCountPerLeaf = options.MinimumExampleCountPerLeaf,
            LearningRate = options.LearningRate,
            NumberOfThreads = 1,
            Seed = options.Seed,
        }),
    };

    private static void Save(MLContext ml, ITransformer model, DataViewSchema inputSchema, string path)
    {
        var directory = Path.GetDirectoryName(Path.GetFullPath(path))!;
        Directory.CreateDirectory(directory);
        var temporary = Path.Combine(directory, $".{Path.GetFileName(path)}.{Guid.NewGuid():N}.tmp");
        try
        {
            ml.Model.Save(model, inputSchema, temporary);
            File.Move(temporary, path, overwrite: true);
        }
        finally
        {
            File.Delete(temporary);
        }
    }

    private static double Count(IDataView view)
    {
        long count = 0;
        using var cursor = view.GetRowCursor([]);
        while (cursor.MoveNext())
        {
            count++;
        }

        return count;
    }
}

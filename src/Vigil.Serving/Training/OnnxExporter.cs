using Microsoft.ML;
using Vigil.Registry;
using Vigil.Serving.MlNet;

namespace Vigil.Serving.Training;

/// <summary>
/// Converts an ML.NET model trained by <see cref="MlNetTrainer"/> to ONNX with ML.NET's ONNX converter, so the same model
/// can be served by the <c>onnx</c> backend. The ONNX model has one input per feature (named as the feature, shape
/// [N, 1]) and ML.NET's outputs (<c>PredictedLabel.output</c>, <c>Score.output</c>, <c>Probability.output</c>).
/// </summary>
public static class OnnxExporter
{
    /// <summary>The outputs kept in the exported graph.</summary>
    private static readonly string[] Outputs = ["PredictedLabel", "Score", "Probability"];

    /// <summary>
    /// Reads the ML.NET model at <paramref name="mlnetModelPath"/> and writes it as ONNX to <paramref name="onnxPath"/>
    /// (replaced atomically). A model that does not load or that the converter cannot translate gives a <see cref="Failure"/>.
    /// </summary>
    public static Result<string> Export(ServiceDefinition service, string mlnetModelPath, string onnxPath)
    {
        ArgumentNullException.ThrowIfNull(service);
        ArgumentException.ThrowIfNullOrWhiteSpace(mlnetModelPath);
        ArgumentException.ThrowIfNullOrWhiteSpace(onnxPath);
        var ml = new MLContext(seed: 0);
        ITransformer model;
        try
        {
            model = ml.Model.Load(mlnetModelPath, out _);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return Failure.Invalid($"model file '{mlnetModelPath}' does not load as an ML.NET model: {e.Message}");
        }

        // The converter needs the input schema only: an empty view with one column per feature and no label column, so
        // that the ONNX graph's inputs are exactly the features.
        var input = new InputRowsDataView(FeatureColumn.Defaults(service), [], labels: null);
        var outputs = Outputs.Where(o => model.GetOutputSchema(input.Schema).GetColumnOrNull(o) is not null).ToArray();
        var directory = Path.GetDirectoryName(Path.GetFullPath(onnxPath))!;
        Directory.CreateDirectory(directory);
        var temporary = Path.Combine(directory, $".{Path.GetFileName(onnxPath)}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var stream = File.Create(temporary))
            {
                ml.Model.ConvertToOnnx(model, input, stream, outputs);
            }

            File.Move(temporary, onnxPath, overwrite: true);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return Failure.Invalid($"the ML.NET model '{mlnetModelPath}' cannot be converted to ONNX: {e.Message}");
        }
        finally
        {
            File.Delete(temporary);
        }

        return Result<string>.Ok(onnxPath);
    }
}

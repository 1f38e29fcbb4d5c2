using Microsoft.ML.OnnxRuntime;
using Vigil.Registry;
using Vigil.Serving.Outputs;

namespace Vigil.Serving.Onnx;

/// <summary>
/// Loads an ONNX model and binds its inputs to the service schema.
/// <para>
/// Inputs are matched <b>by name</b>: each model input must have a feature of the same name (exactly, else the one feature
/// whose name differs only in case), as ML.NET's ONNX export names its inputs after the columns. Such an input is a tensor
/// of shape [N, 1] or [N] of float or double (number, integer or boolean features), int64 or int32 (integer or boolean
/// features), bool (boolean features) or string (string and category features). Features the model does not read are
/// ignored.
/// </para>
/// <para>
/// The one exception is a model with exactly one input whose name is not a feature, of float type and shape [N, F]: it gets
/// the service's number, integer and boolean features (booleans as 1/0) in schema order, so F must equal their count (or be
/// dynamic); string and category features are then not sent.
/// </para>
/// </summary>
internal static class OnnxBackendLoader
{
    public static Result<IModelBackend> Load(ServiceDefinition service, ModelVersion version)
    {
        var path = version.Backend.Location;
        if (!File.Exists(path))
        {
            return Failure.Invalid($"model file '{path}' does not load as ONNX: the file does not exist");
        }

        InferenceSession session;
        try
        {
            using var options = new SessionOptions { IntraOpNumThreads = 1, InterOpNumThreads = 1 };
            session = new InferenceSession(path, options);
        }
        catch (Exception e) when (e is OnnxRuntimeException or IOException or UnauthorizedAccessException or InvalidOperationException)
        {
            return Failure.Invalid($"model file '{path}' does not load as ONNX: {e.Message}");
        }

        var result = Bind(service, version, session, path);
        if (!result.IsSuccess)
        {
            session.Dispose();
        }

        return result;
    }

    private static Result<IModelBackend> Bind(ServiceDefinition service, ModelVersion version, InferenceSession session, string path)
    {
        var errors = new List<string>();
        var inputs = new List<OnnxInput>();
        var maxBatch = int.MaxValue;
        foreach (var (name, metadata) in session.InputMetadata)
        {
            var dimensions = metadata.Dimensions;
            if (dimensions.Length > 0 && dimensions[0] > 0)
            {
                maxBatch = Math.Min(maxBatch, dimensions[0]);
            }

            var index = FindFeature(service, name);
            if (index < 0)
            {
                var before = errors.Count;
                if (session.InputMetadata.Count == 1 && Matrix(service, name, metadata, errors) is { } matrix)
                {
                    inputs.Add(matrix);
                }
                else if (errors.Count == before)
                {
                    errors.Add($"model input '{name}' ({Describe(metadata)}) has no feature of that name in service '{service.Name}'");
                }

                continue;
            }

            var feature = service.Inputs[index];
            var rank1 = dimensions.Length == 1;
            if (metadata.OnnxValueType != OnnxValueType.ONNX_TYPE_TENSOR || !(rank1 || (dimensions.Length == 2 && dimensions[1] is 1 or -1)))
            {
                errors.Add($"model input '{name}' is {Describe(metadata)}; a feature input must be a tensor of shape [N, 1] or [N]");
                continue;
            }

            if (!OnnxInput.IsCompatible(feature, metadata.ElementType)
                || OnnxInput.ForFeature(name, index, metadata.ElementType, rank1) is not { } input)
            {
                errors.Add($"model input '{name}' is {Describe(metadata)} but feature '{feature.Name}' is {feature.Type.ToString().ToLowerInvariant()}");
                continue;
            }

            inputs.Add(input);
        }

        if (errors.Count > 0)
        {
            return Failure.Invalid($"the ONNX model '{path}' does not match the schema of service '{service.Name}': {string.Join("; ", errors)}", errors);
        }

        var shape = OutputShape.Create(service.Output, session.OutputMetadata.Keys.ToList());
        if (!shape.IsSuccess)
        {
            return Failure.Invalid($"the ONNX model '{path}' cannot serve service '{service.Name}': {shape.Failure!.Message}");
        }

        var backend = new OnnxBackend($"'{version.Service}' v{version.Number}", session, [.. inputs], shape.Value!, maxBatch);
        return Result<IModelBackend>.Ok(backend);
    }

    private static OnnxInput? Matrix(ServiceDefinition service, string name, NodeMetadata metadata, List<string> errors)
    {
        var dimensions = metadata.Dimensions;
        if (metadata.OnnxValueType != OnnxValueType.ONNX_TYPE_TENSOR || metadata.ElementType != typeof(float) || dimensions.Length != 2)
        {
            return null;
        }

        var numeric = Enumerable.Range(0, service.Inputs.Count)
            .Where(i => service.Inputs[i].IsNumeric || service.Inputs[i].Type == FeatureType.Boolean)
            .ToArray();
        if (dimensions[1] > 0 && dimensions[1] != numeric.Length)
        {
            errors.Add(
                $"model input '{name}' is float [N, {dimensions[1]}] but service '{service.Name}' has {numeric.Length} number, integer and boolean features; "
                + "a single matrix input takes exactly those, in schema order");
            return null;
        }

        return numeric.Length == 0 ? null : new OnnxInput.Matrix(name, numeric);
    }

    private static int FindFeature(ServiceDefinition service, string name)
    {
        var folded = -1;
        for (var i = 0; i < service.Inputs.Count; i++)
        {
            var feature = service.Inputs[i].Name;
            if (string.Equals(feature, name, StringComparison.Ordinal))
            {
                return i;
            }

            if (string.Equals(feature, name, StringComparison.OrdinalIgnoreCase))
            {
                folded = folded == -1 ? i : -2;
            }
        }

        return folded >= 0 ? folded : -1;
    }

    private static string Describe(NodeMetadata metadata)
    {
        var element = metadata.ElementType;
        var type = metadata.OnnxValueType != OnnxValueType.ONNX_TYPE_TENSOR ? metadata.OnnxValueType.ToString()
            : element == typeof(float) ? "float"
            : element == typeof(double) ? "double"
            : element == typeof(long) ? "int64"
            : element == typeof(int) ? "int32"
            : element == typeof(bool) ? "bool"
            : element == typeof(string) ? "string"
            : element.Name.ToLowerInvariant();
        var shape = string.Join(", ", metadata.Dimensions.Select(d => d < 0 ? "N" : d.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        return $"{type} [{shape}]";
    }
}

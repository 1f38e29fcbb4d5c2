using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Vigil.Registry;

namespace Vigil.Serving.Onnx;

/// <summary>
/// How one input of an ONNX model is filled from a batch of rows: a per-feature tensor of shape [N, 1] (or [N]) of float,
/// double, int64, int32, bool or string, or a single float matrix [N, F] of the numeric features. Nulls are NaN for
/// floating point, 0 for integers, false for booleans and the empty string for text.
/// </summary>
internal abstract class OnnxInput
{
    protected OnnxInput(string name)
    {
        Name = name;
    }

    /// <summary>The model input's name.</summary>
    public string Name { get; }

    /// <summary>The tensor for rows <paramref name="start"/> to <paramref name="start"/> + <paramref name="count"/> − 1.</summary>
    public abstract NamedOnnxValue Create(IReadOnlyList<InputRow> rows, int start, int count);

    /// <summary>A per-feature input of element type <paramref name="elementType"/>, or null when the type is not supported.</summary>
    public static OnnxInput? ForFeature(string name, int featureIndex, Type elementType, bool rank1) => elementType switch
    {
        _ when elementType == typeof(float) => new Column<float>(name, featureIndex, rank1, v => v.AsSingle()),
        _ when elementType == typeof(double) => new Column<double>(name, featureIndex, rank1, v => v.IsNull ? double.NaN : v.Number),
        _ when elementType == typeof(long) => new Column<long>(name, featureIndex, rank1, v => v.IsNull ? 0 : (long)v.Number),
        _ when elementType == typeof(int) => new Column<int>(name, featureIndex, rank1, v => v.IsNull ? 0 : (int)v.Number),
        _ when elementType == typeof(bool) => new Column<bool>(name, featureIndex, rank1, v => v.Kind == FeatureValueKind.Boolean && v.Number != 0),
        _ when elementType == typeof(string) => new Column<string>(name, featureIndex, rank1, v => v.Text ?? string.Empty),
        _ => null,
    };

    /// <summary>True when a <paramref name="feature"/> can fill a tensor of <paramref name="elementType"/>.</summary>
    public static bool IsCompatible(FeatureSpec feature, Type elementType) => elementType switch
    {
        _ when elementType == typeof(float) || elementType == typeof(double) => feature.IsNumeric || feature.Type == FeatureType.Boolean,
        _ when elementType == typeof(long) || elementType == typeof(int) => feature.Type is FeatureType.Integer or FeatureType.Boolean,
        _ when elementType == typeof(bool) => feature.Type == FeatureType.Boolean,
        _ when elementType == typeof(string) => feature.Type is FeatureType.String or FeatureType.Category,
        _ => false,
    };

    /// <summary>One feature as a column tensor.</summary>
    private sealed class Column<T>(string name, int featureIndex, bool rank1, Func<FeatureValue, T> convert) : OnnxInput(name)
    {
        public override NamedOnnxValue Create(IReadOnlyList<InputRow> rows, int start, int count)
        {
            var values = new T[count];
            for (var i = 0; i < count; i++)
            {
                values[i] = convert(rows[start + i].Values[featureIndex]);
            }

            var tensor = new DenseTensor<T>(values, rank1 ? [count] : [count, 1]);
            return NamedOnnxValue.CreateFromTensor(Name, tensor);
        }
    }

    /// <summary>The numeric and boolean features, in schema order, as one float matrix [N, F].</summary>
    internal sealed class Matrix(string name, int[] featureIndexes) : OnnxInput(name)
    {
        public override NamedOnnxValue Create(IReadOnlyList<InputRow> rows, int start, int count)
        {
            var width = featureIndexes.Length;
            var values = new float[count * width];
            for (var i = 0; i < count; i++)
            {
                var row = rows[start + i].Values;
                for (var j = 0; j < width; j++)
                {
                    values[(i * width) + j] = row[featureIndexes[j]].AsSingle();
                }
            }

            return NamedOnnxValue.CreateFromTensor(Name, new DenseTensor<float>(values, [count, width]));
        }
    }
}

using System.Text.Json.Nodes;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Vigil.Registry;
using Vigil.Serving.Outputs;

namespace Vigil.Serving.Onnx;

/// <summary>
/// An ONNX model run in process by ONNX Runtime: one <see cref="InferenceSession"/> per version, shared by every call
/// (<c>Run</c> is thread-safe). A batch is one <c>Run</c> (split only when the model fixes its batch dimension), computing
/// only the outputs the service's output kind reads. Sessions run with one intra-op and one inter-op thread: on the request
/// path parallelism comes from concurrent requests, and a per-run thread pool only adds hand-off latency for small models.
/// </summary>
internal sealed class OnnxBackend : IModelBackend
{
    private readonly string _name;
    private readonly InferenceSession _session;
    private readonly OnnxInput[] _inputs;
    private readonly OutputShape _shape;
    private readonly int _maxBatch;
    private readonly InFlightGuard _guard;

    public OnnxBackend(string name, InferenceSession session, OnnxInput[] inputs, OutputShape shape, int maxBatch)
    {
        _name = name;
        _session = session;
        _inputs = inputs;
        _shape = shape;
        _maxBatch = maxBatch;
        _guard = new InFlightGuard(name, session.Dispose);
    }

    public BackendKind Kind => BackendKind.Onnx;

    public ValueTask<IReadOnlyList<JsonObject>> PredictAsync(IReadOnlyList<InputRow> rows, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(rows);
        cancellationToken.ThrowIfCancellationRequested();
        if (rows.Count == 0)
        {
            return ValueTask.FromResult<IReadOnlyList<JsonObject>>([]);
        }

        _guard.Enter();
        try
        {
            if (rows.Count <= _maxBatch)
            {
                return ValueTask.FromResult<IReadOnlyList<JsonObject>>(Run(rows, 0, rows.Count));
            }

            var results = new List<JsonObject>(rows.Count);
            for (var start = 0; start < rows.Count; start += _maxBatch)
            {
                results.AddRange(Run(rows, start, Math.Min(_maxBatch, rows.Count - start)));
            }

            return ValueTask.FromResult<IReadOnlyList<JsonObject>>(results);
        }
        catch (OnnxRuntimeException e)
        {
            throw new BackendException($"the ONNX model {_name} failed to predict: {e.Message}", e);
        }
        finally
        {
            _guard.Exit();
        }
    }

    public ValueTask DisposeAsync()
    {
        _guard.Dispose();
        return ValueTask.CompletedTask;
    }

    private JsonObject[] Run(IReadOnlyList<InputRow> rows, int start, int count)
    {
        var inputs = new NamedOnnxValue[_inputs.Length];
        for (var i = 0; i < inputs.Length; i++)
        {
            inputs[i] = _inputs[i].Create(rows, start, count);
        }

        using var results = _session.Run(inputs, _shape.Required);
        var columns = new Dictionary<string, OutputColumn>(results.Count, StringComparer.Ordinal);
        foreach (var result in results)
        {
            columns[result.Name] = ToColumn(result, count);
        }

        return _shape.Apply(columns, count);
    }

    private OutputColumn ToColumn(DisposableNamedOnnxValue value, int rows)
    {
        if (value.ValueType == OnnxValueType.ONNX_TYPE_SEQUENCE)
        {
            return SequenceOfMaps(value, rows);
        }

        if (value.ValueType != OnnxValueType.ONNX_TYPE_TENSOR)
        {
            throw new BackendException($"the ONNX model {_name} returned output '{value.Name}' of type {value.ValueType}, which Vigil cannot read");
        }

        return value.ElementType switch
        {
            TensorElementType.Float => Tensor<float>(value, rows),
            TensorElementType.Double => Tensor<double>(value, rows),
            TensorElementType.Int64 => Tensor<long>(value, rows),
            TensorElementType.Int32 => Tensor<int>(value, rows),
            TensorElementType.Bool => Tensor<bool>(value, rows),
            TensorElementType.String => Tensor<string>(value, rows),
            var other => throw new BackendException($"the ONNX model {_name} returned output '{value.Name}' of element type {other}, which Vigil cannot read"),
        };
    }

    private static ArrayOutputColumn<T> Tensor<T>(NamedOnnxValue value, int rows)
    {
        var tensor = value.AsTensor<T>();
        var values = tensor.ToArray();
        var width = rows == 0 ? 1 : Math.Max(1, values.Length / rows);
        return new ArrayOutputColumn<T>(value.Name, values, width);
    }

    /// <summary>sklearn-onnx's ZipMap output: one map of class to probability per row, read in ascending key order.</summary>
    private ArrayOutputColumn<float> SequenceOfMaps(NamedOnnxValue value, int rows)
    {
        var maps = value.AsEnumerable<NamedOnnxValue>().ToList();
        float[]? values = null;
        var width = 0;
        for (var i = 0; i < maps.Count && i < rows; i++)
        {
            float[] row;
            try
            {
                row = maps[i].AsDictionary<long, float>().OrderBy(p => p.Key).Select(p => p.Value).ToArray();
            }
            catch (Exception e) when (e is InvalidCastException or NotSupportedException or OnnxRuntimeException)
            {
                row = maps[i].AsDictionary<string, float>().OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => p.Value).ToArray();
            }

            if (values is null)
            {
                width = Math.Max(1, row.Length);
                values = new float[rows * width];
            }

            row.AsSpan(0, Math.Min(width, row.Length)).CopyTo(values.AsSpan(i * width, width));
        }

        return new ArrayOutputColumn<float>(value.Name, values ?? new float[rows], Math.Max(1, width));
    }
}

using System.Text.Json;
using System.Text.Json.Nodes;
using Vigil.Registry;
using Vigil.Serving.Outputs;

namespace Vigil.Serving.Http;

/// <summary>
/// A remote model spoken to with the Open Inference Protocol v2 (KServe, Triton, MLServer). A batch is one
/// <c>POST {location}/v2/models/{model}/infer</c> with one input per feature, shape [N, 1]:
/// <c>{"inputs":[{"name": feature, "shape": [N, 1], "datatype": "FP64", "data": [...]}]}</c>. The datatypes are those the
/// model's metadata declares; without metadata, number → FP64, integer → INT64, boolean → BOOL, string and category → BYTES.
/// Nulls are sent as JSON null for numbers, false for BOOL and "" for BYTES. The answer's outputs are read by name (see
/// <see cref="OutputShape"/>), row i being element i of an output of shape [N] or the i-th slice of shape [N, k].
/// </summary>
internal sealed class V2HttpBackend : IModelBackend
{
    private readonly RemoteModelClient _client;
    private readonly Uri _inferUri;
    private readonly OutputSpec _output;
    private readonly IReadOnlyList<V2Input> _inputs;

    public V2HttpBackend(RemoteModelClient client, Uri inferUri, OutputSpec output, IReadOnlyList<V2Input> inputs)
    {
        _client = client;
        _inferUri = inferUri;
        _output = output;
        _inputs = inputs;
    }

    public BackendKind Kind => BackendKind.Http;

    public async ValueTask<IReadOnlyList<JsonObject>> PredictAsync(IReadOnlyList<InputRow> rows, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(rows);
        if (rows.Count == 0)
        {
            return [];
        }

        var response = await _client.SendAsync(HttpMethod.Post, _inferUri, BuildRequest(rows), cancellationToken);
        return ReadResponse(response, rows.Count);
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private JsonObject BuildRequest(IReadOnlyList<InputRow> rows)
    {
        var inputs = new JsonArray();
        foreach (var input in _inputs)
        {
            var data = new JsonArray();
            foreach (var row in rows)
            {
                data.Add(input.Encode(row.Values[input.FeatureIndex]));
            }

            inputs.Add(new JsonObject
            {
                ["name"] = input.Name,
                ["shape"] = new JsonArray(rows.Count, 1),
                ["datatype"] = input.Datatype,
                ["data"] = data,
            });
        }

        return new JsonObject { ["inputs"] = inputs };
    }

    private JsonObject[] ReadResponse(JsonNode? response, int rows)
    {
        if (response?["outputs"] is not JsonArray outputs)
        {
            throw new BackendException($"remote model at {_inferUri} answered without an 'outputs' array");
        }

        var columns = new Dictionary<string, OutputColumn>(StringComparer.Ordinal);
        foreach (var output in outputs)
        {
            if (output?["name"]?.GetValueKind() != JsonValueKind.String || output["data"] is not JsonArray data)
            {
                throw new BackendException($"remote model at {_inferUri} answered an output without a name or a 'data' array");
            }

            var name = output["name"]!.GetValue<string>();
            var flat = new List<JsonNode?>();
            Flatten(data, flat);
            if (flat.Count < rows || flat.Count % rows != 0)
            {
                throw new BackendException($"remote model at {_inferUri} answered output '{name}' with {flat.Count} values for {rows} rows");
            }

            var width = flat.Count / rows;
            var perRow = new JsonNode?[rows];
            for (var i = 0; i < rows; i++)
            {
                perRow[i] = width == 1 ? flat[i] : new JsonArray(flat.Skip(i * width).Take(width).Select(n => n?.DeepClone()).ToArray());
            }

            columns[name] = new JsonOutputColumn(name, perRow);
        }

        var shape = OutputShape.Create(_output, columns.Keys.ToList());
        if (!shape.IsSuccess)
        {
            throw new BackendException($"remote model at {_inferUri}: {shape.Failure!.Message}");
        }

        return shape.Value!.Apply(columns, rows);
    }

    private static void Flatten(JsonArray array, List<JsonNode?> into)
    {
        foreach (var node in array)
        {
            if (node is JsonArray inner)
            {
                Flatten(inner, into);
            }
            else
            {
                into.Add(node);
            }
        }
    }
}

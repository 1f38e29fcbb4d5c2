using System.Text.Json.Nodes;
using Vigil.Registry;
using Vigil.Serving.Outputs;

namespace Vigil.Serving.Http;

/// <summary>
/// A remote model spoken to with plain JSON: a batch is one <c>POST {location}</c> with
/// <c>{"instances": [{feature: value, …}, …]}</c> (nulls as JSON null) and the answer is
/// <c>{"predictions": [p, …]}</c>, one element per instance. An element that is an object gives its properties as outputs
/// (read by name, see <see cref="OutputShape"/>); a bare value is the service's main output: <c>probability</c>,
/// <c>label</c> or <c>score</c> by output kind (<c>prediction</c> otherwise).
/// </summary>
internal sealed class JsonHttpBackend : IModelBackend
{
    private readonly RemoteModelClient _client;
    private readonly Uri _uri;
    private readonly ServiceDefinition _service;

    public JsonHttpBackend(RemoteModelClient client, Uri uri, ServiceDefinition service)
    {
        _client = client;
        _uri = uri;
        _service = service;
    }

    public BackendKind Kind => BackendKind.Http;

    public async ValueTask<IReadOnlyList<JsonObject>> PredictAsync(IReadOnlyList<InputRow> rows, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(rows);
        if (rows.Count == 0)
        {
            return [];
        }

        var response = await _client.SendAsync(HttpMethod.Post, _uri, BuildRequest(rows), cancellationToken);
        var result = ReadResponse(response, rows.Count);
        return result.IsSuccess ? result.Value! : throw new BackendException(result.Failure!.Message);
    }

    /// <summary>Sends <paramref name="rows"/>; a remote that does not answer throws, an answer of the wrong shape is a failure.</summary>
    internal async Task<Result<JsonObject[]>> ProbeAsync(IReadOnlyList<InputRow> rows, CancellationToken cancellationToken)
    {
        var response = await _client.SendAsync(HttpMethod.Post, _uri, BuildRequest(rows), cancellationToken);
        return ReadResponse(response, rows.Count);
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private JsonObject BuildRequest(IReadOnlyList<InputRow> rows)
    {
        var features = _service.Inputs;
        var instances = new JsonArray();
        foreach (var row in rows)
        {
            var instance = new JsonObject();
            for (var i = 0; i < features.Count; i++)
            {
                var value = row.Values[i];
                instance[features[i].Name] = value.Kind switch
                {
                    FeatureValueKind.Number => JsonValue.Create(value.Number),
                    FeatureValueKind.Boolean => JsonValue.Create(value.Number != 0),
                    FeatureValueKind.Text => JsonValue.Create(value.Text),
                    _ => null,
                };
            }

            instances.Add(instance);
        }

        return new JsonObject { ["instances"] = instances };
    }

    private Result<JsonObject[]> ReadResponse(JsonNode? response, int rows)
    {
        if (response?["predictions"] is not JsonArray predictions)
        {
            return Failure.Invalid($"remote model at {_uri} answered without a 'predictions' array");
        }

        if (predictions.Count != rows)
        {
            return Failure.Invalid($"remote model at {_uri} answered {predictions.Count} predictions for {rows} instances");
        }

        var bare = _service.Output.Kind switch
        {
            OutputKind.Probability => "probability",
            OutputKind.Class => "label",
            OutputKind.Score => "score",
            _ => "prediction",
        };
        var names = new List<string>();
        var values = new Dictionary<string, JsonNode?[]>(StringComparer.Ordinal);
        for (var i = 0; i < rows; i++)
        {
            if (predictions[i] is JsonObject prediction)
            {
                foreach (var (name, value) in prediction)
                {
                    Slot(name)[i] = value;
                }
            }
            else
            {
                Slot(bare)[i] = predictions[i];
            }
        }

        var columns = values.ToDictionary(p => p.Key, p => (OutputColumn)new JsonOutputColumn(p.Key, p.Value), StringComparer.Ordinal);
        var shape = OutputShape.Create(_service.Output, names);
        if (!shape.IsSuccess)
        {
            return Failure.Invalid($"remote model at {_uri}: {shape.Failure!.Message}");
        }

        return Result<JsonObject[]>.Ok(shape.Value!.Apply(columns, rows));

        JsonNode?[] Slot(string name)
        {
            if (!values.TryGetValue(name, out var slot))
            {
                slot = new JsonNode?[rows];
                values[name] = slot;
                names.Add(name);
            }

            return slot;
        }
    }
}

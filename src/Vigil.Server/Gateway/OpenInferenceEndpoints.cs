using System.Buffers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;
using Vigil.Access;
using Vigil.Monitoring.Layers;
using Vigil.Registry;
using Vigil.Server.Access;
using Vigil.Server.Api;
using Vigil.Server.Hosting;
using Vigil.Server.Monitoring.Layers;
using Vigil.Server.Observability;
using Vigil.Server.Routing;

namespace Vigil.Server.Gateway;

/// <summary>
/// Open Inference Protocol v2 (KServe, Triton, MLServer) in front of any backend, so existing v2 clients can point at Vigil:
/// the model name is the service name; each input tensor is one feature, shape [N] or [N, 1]; outputs are one tensor per
/// output field. Routing, recording and metrics are the same as /v1.
/// </summary>
public static class OpenInferenceEndpoints
{
    public static void MapOpenInferenceEndpoints(this IEndpointRouteBuilder app)
    {
        var v2 = app.MapGroup("/v2").WithTags("Open Inference Protocol v2");
        v2.MapGet("/health/live", () => TypedResults.Json(new JsonObject { ["live"] = true }));
        v2.MapGet("/health/ready", (RoutingState routing) => TypedResults.Json(new JsonObject { ["ready"] = true }));
        v2.MapGet("/models/{service}", Metadata).RequireScope(ApiScopes.Predict);
        v2.MapGet("/models/{service}/ready", (string service, RoutingState routing) =>
            routing.Current.Find(service) is { Champion: not null }
                ? Results.Json(new JsonObject { ["name"] = service, ["ready"] = true })
                : Problems.NotFound($"model '{service}' is not ready: the service does not exist or has no champion")).RequireScope(ApiScopes.Predict);
        v2.MapPost("/models/{service}/infer", InferAsync).RequireScope(ApiScopes.Predict);
        v2.MapPost("/models/{service}/versions/{version}/infer", (string service, string version, HttpRequest request, RoutingState routing, PredictionGateway gateway, VigilMetrics metrics, IOptions<VigilServerOptions> options, LayerSettingsCache layers, CancellationToken ct) =>
            InferAsync(service, request, routing, gateway, metrics, options, layers, ct)).RequireScope(ApiScopes.Predict);
    }

    private static IResult Metadata(string service, RoutingState routing)
    {
        if (routing.Current.Find(service) is not { } route)
        {
            return Problems.NotFound($"there is no model '{service}'");
        }

        var inputs = new JsonArray();
        foreach (var feature in route.Service.Inputs)
        {
            inputs.Add(new JsonObject
            {
                ["name"] = feature.Name,
                ["datatype"] = DataType(feature.Type),
                ["shape"] = new JsonArray(-1, 1),
            });
        }

        var versions = new JsonArray();
        if (route.Champion is { } champion)
        {
            versions.Add(champion.Number.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        return TypedResults.Json(new JsonObject
        {
            ["name"] = service,
            ["versions"] = versions,
            ["platform"] = "vigil",
            ["inputs"] = inputs,
        });
    }

    private static async Task<IResult> InferAsync(
        string service,
        HttpRequest request,
        RoutingState routing,
        PredictionGateway gateway,
        VigilMetrics metrics,
        IOptions<VigilServerOptions> options,
        LayerSettingsCache layers,
        CancellationToken cancellationToken)
    {
        if (routing.Current.Find(service) is not { } route)
        {
            return Problems.NotFound($"there is no model '{service}'");
        }

        var (document, error) = await RequestBody.ReadDocumentAsync(request, cancellationToken);
        if (error is not null)
        {
            return error;
        }

        using (document)
        {
            var root = document!.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("inputs", out var tensors) || tensors.ValueKind != JsonValueKind.Array)
            {
                return Problems.BadRequest("an inference request is {\"inputs\": [{\"name\": …, \"shape\": [N, 1], \"datatype\": …, \"data\": [ … ]}]}");
            }

            string? id = root.TryGetProperty("id", out var idElement) && idElement.ValueKind == JsonValueKind.String ? idElement.GetString() : null;
            var errors = new List<string>();
            var columns = new List<(string Name, JsonElement[] Data)>();
            var rows = -1;
            foreach (var tensor in tensors.EnumerateArray())
            {
                if (tensor.ValueKind != JsonValueKind.Object
                    || !tensor.TryGetProperty("name", out var name) || name.ValueKind != JsonValueKind.String
                    || !tensor.TryGetProperty("data", out var data) || data.ValueKind != JsonValueKind.Array)
                {
                    errors.Add("each input needs a string 'name' and an array 'data'");
                    continue;
                }

                var values = Flatten(data);
                if (rows >= 0 && values.Length != rows)
                {
                    errors.Add($"input '{name.GetString()}' has {values.Length} values but others have {rows}; every input needs one value per row");
                }

                rows = Math.Max(rows, values.Length);
                columns.Add((name.GetString()!, values));
            }

            if (rows <= 0 && errors.Count == 0)
            {
                errors.Add("the request has no rows");
            }

            if (rows > options.Value.MaxBatchSize)
            {
                return Problems.Problem(StatusCodes.Status413PayloadTooLarge, Problems.Title(413), $"a batch holds at most {options.Value.MaxBatchSize} rows, got {rows}");
            }

            if (errors.Count > 0)
            {
                metrics.Invalid(service);
                return Problems.Validation("the inference request is malformed", errors, StatusCodes.Status400BadRequest);
            }

            var reject = layers.For(service).InputPolicy == InputPolicy.Reject;
            var requests = new List<GatewayRequest>(rows);
            for (var r = 0; r < rows; r++)
            {
                var violations = new List<SchemaViolation>();
                var builder = new InputReader.RowBuilder(route.Service, violations);
                var buffer = new ArrayBufferWriter<byte>();
                using (var writer = new Utf8JsonWriter(buffer))
                {
                    writer.WriteStartObject();
                    foreach (var (name, data) in columns)
                    {
                        builder.Add(name, data[r]);
                        writer.WritePropertyName(name);
                        data[r].WriteTo(writer);
                    }

                    writer.WriteEndObject();
                }

                var row = builder.Build();
                foreach (var violation in violations)
                {
                    metrics.SchemaViolation(service, violation);
                    if (violation.PreventsServing || reject)
                    {
                        errors.Add($"row {r}: {violation.Message}");
                    }
                }

                requests.Add(new GatewayRequest(null, "{}", Encoding.UTF8.GetString(buffer.WrittenSpan), row, Violations: violations.Count == 0 ? null : violations));
            }

            if (errors.Count > 0)
            {
                metrics.Invalid(service);
                return Problems.Validation($"the request does not match the schema of '{service}'", errors);
            }

            var result = await gateway.PredictAsync(route, requests, cancellationToken);
            if (!result.IsSuccess)
            {
                return Problems.From(result.Failure!);
            }

            return TypedResults.Json(BuildResponse(service, id, result.Value!));
        }
    }

    private static JsonElement[] Flatten(JsonElement data)
    {
        var values = new List<JsonElement>();
        foreach (var item in data.EnumerateArray())
        {
            if (item.ValueKind == JsonValueKind.Array)
            {
                // Row-major nested form: [[v], [v], …] for shape [N, 1].
                foreach (var inner in item.EnumerateArray())
                {
                    values.Add(inner);
                }
            }
            else
            {
                values.Add(item);
            }
        }

        return [.. values];
    }

    private static JsonObject BuildResponse(string service, string? id, IReadOnlyList<GatewayAnswer> answers)
    {
        var names = new List<string>();
        foreach (var answer in answers)
        {
            foreach (var (name, _) in answer.Outputs)
            {
                if (!names.Contains(name))
                {
                    names.Add(name);
                }
            }
        }

        var outputs = new JsonArray();
        foreach (var name in names)
        {
            var data = new JsonArray();
            var datatype = "FP64";
            foreach (var answer in answers)
            {
                var node = answer.Outputs[name];
                switch (node?.GetValueKind())
                {
                    case JsonValueKind.True or JsonValueKind.False:
                        datatype = "BOOL";
                        data.Add(node.GetValue<bool>());
                        break;
                    case JsonValueKind.Number:
                        data.Add(node.GetValue<double>());
                        break;
                    case JsonValueKind.String:
                        datatype = "BYTES";
                        data.Add(node.GetValue<string>());
                        break;
                    default:
                        datatype = "BYTES";
                        data.Add(node?.ToJsonString() ?? "null");
                        break;
                }
            }

            outputs.Add(new JsonObject
            {
                ["name"] = name,
                ["datatype"] = datatype,
                ["shape"] = new JsonArray(answers.Count, 1),
                ["data"] = data,
            });
        }

        var requestIds = new JsonArray();
        foreach (var answer in answers)
        {
            requestIds.Add(answer.RequestId);
        }

        return new JsonObject
        {
            ["model_name"] = service,
            ["model_version"] = answers[0].Version.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["id"] = id ?? answers[0].RequestId,
            ["parameters"] = new JsonObject { ["vigil_request_ids"] = requestIds, ["vigil_arm"] = answers[0].Arm },
            ["outputs"] = outputs,
        };
    }

    private static string DataType(FeatureType type) => type switch
    {
        FeatureType.Number => "FP64",
        FeatureType.Integer => "INT64",
        FeatureType.Boolean => "BOOL",
        _ => "BYTES",
    };
}

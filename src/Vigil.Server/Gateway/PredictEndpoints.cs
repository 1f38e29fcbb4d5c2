using System.Buffers;
using System.Text.Json;
using Microsoft.Extensions.Options;
using Vigil.Access;
using Vigil.Monitoring.Layers;
using Vigil.Registry;
using Vigil.Routing.Flags;
using Vigil.Server.Access;
using Vigil.Server.Api;
using Vigil.Server.Hosting;
using Vigil.Server.Monitoring.Layers;
using Vigil.Server.Observability;
using Vigil.Server.Routing;

namespace Vigil.Server.Gateway;

/// <summary><c>POST /v1/services/{service}/predict</c>: one request or a batch of <c>instances</c>.</summary>
public static class PredictEndpoints
{
    public const int MaxKeyLength = 256;
    public const int MaxAttributes = RequestAttributes.MaxAttributes;
    public const int MaxAttributeLength = RequestAttributes.MaxLength;

    public static void MapPredictEndpoints(this IEndpointRouteBuilder app)
    {
        // The request path's singletons are captured once here instead of being bound per request from RequestServices.
        var services = app.ServiceProvider;
        var routing = services.GetRequiredService<RoutingState>();
        var gateway = services.GetRequiredService<PredictionGateway>();
        var metrics = services.GetRequiredService<VigilMetrics>();
        var options = services.GetRequiredService<IOptions<VigilServerOptions>>();
        var layers = services.GetRequiredService<LayerSettingsCache>();
        app.MapPost(
            "/v1/services/{service}/predict",
            (string service, HttpRequest request, CancellationToken cancellationToken) =>
                PredictAsync(service, request, routing, gateway, metrics, options, layers, cancellationToken))
            .RequireScope(ApiScopes.Predict)
            .WithName("Predict")
            .WithTags("Data plane")
            .WithSummary("Predict with the service's model")
            .Accepts<PredictRequest>("application/json")
            .Produces<PredictResponse>()
            .Produces<BatchPredictResponse>()
            .ProducesProblem(400).ProducesProblem(404).ProducesProblem(413).ProducesProblem(415).ProducesProblem(422).ProducesProblem(503);
    }

    private static async Task<IResult> PredictAsync(
        string service,
        HttpRequest request,
        RoutingState routing,
        PredictionGateway gateway,
        VigilMetrics metrics,
        IOptions<VigilServerOptions> options,
        LayerSettingsCache layers,
        CancellationToken cancellationToken)
    {
        var route = routing.Current.Find(service);
        if (route is null)
        {
            return Problems.NotFound($"there is no service '{service}'; list them with 'vigil services list'");
        }

        var (document, error) = await RequestBody.ReadDocumentAsync(request, cancellationToken);
        if (error is not null)
        {
            metrics.Invalid(service);
            return error;
        }

        using (document)
        {
            var root = document!.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                metrics.Invalid(service);
                return Problems.BadRequest("the body must be a JSON object: {\"key\": …, \"attributes\": {…}, \"inputs\": {…}} or {\"instances\": [ … ]}");
            }

            var reject = layers.For(service).InputPolicy == InputPolicy.Reject;
            var batch = root.TryGetProperty("instances", out var instances);
            var requests = new List<GatewayRequest>();
            var errors = new List<string>();
            var violations = new List<SchemaViolation>();
            if (batch)
            {
                if (instances.ValueKind != JsonValueKind.Array)
                {
                    return Problems.BadRequest("'instances' must be an array");
                }

                var count = instances.GetArrayLength();
                if (count == 0)
                {
                    return Problems.BadRequest("'instances' is empty; send at least one");
                }

                if (count > options.Value.MaxBatchSize)
                {
                    return Problems.Problem(StatusCodes.Status413PayloadTooLarge, Problems.Title(413), $"a batch holds at most {options.Value.MaxBatchSize} instances, got {count}; split it");
                }

                foreach (var property in root.EnumerateObject())
                {
                    if (property.Name != "instances")
                    {
                        errors.Add($"unknown property '{property.Name}' next to 'instances'; put key, attributes and inputs inside each instance");
                    }
                }

                var index = 0;
                foreach (var instance in instances.EnumerateArray())
                {
                    var prefix = $"instances[{index}]";
                    requests.Add(ReadOne(route.Service, instance, prefix, errors, violations, bareInputsAllowed: true, reject));
                    index++;
                }
            }
            else
            {
                requests.Add(ReadOne(route.Service, root, prefix: null, errors, violations, bareInputsAllowed: false, reject));
            }

            foreach (var violation in violations)
            {
                metrics.SchemaViolation(service, violation);
            }

            if (errors.Count > 0)
            {
                metrics.Invalid(service);
                return Problems.Validation($"the request does not match the schema of '{service}' ({errors.Count} problem{(errors.Count == 1 ? "" : "s")})", errors);
            }

            var result = await gateway.PredictAsync(route, requests, cancellationToken);
            if (!result.IsSuccess)
            {
                return Problems.From(result.Failure!);
            }

            return new PredictResult(service, result.Value!, batch);
        }
    }

    /// <summary>
    /// Writes <see cref="PredictResponse"/> (or <see cref="BatchPredictResponse"/>) straight to the response body, with
    /// each answer's outputs as the JSON text the gateway serialized once for the recorder; the serializer would
    /// serialize the same outputs a second time. Same names and encoder as <see cref="VigilJson.Options"/>.
    /// </summary>
    private sealed class PredictResult(string service, IReadOnlyList<GatewayAnswer> answers, bool batch) : IResult
    {
        private const int KeptBufferBytes = 64 * 1024;
        private static readonly JsonWriterOptions WriterOptions = new() { Encoder = VigilJson.Options.Encoder, SkipValidation = true };

        // One buffer and writer per thread, reused: the answer is built whole, so it goes out with a Content-Length
        // (no chunked framing) and no writer is allocated per request. The bytes are copied into the response pipe
        // before ExecuteAsync returns, so the next request on this thread may reuse them at once.
        [ThreadStatic]
        private static ArrayBufferWriter<byte>? _buffer;

        [ThreadStatic]
        private static Utf8JsonWriter? _writer;

        public Task ExecuteAsync(HttpContext httpContext)
        {
            var buffer = _buffer ??= new ArrayBufferWriter<byte>(1024);
            buffer.ResetWrittenCount();
            var writer = _writer ??= new Utf8JsonWriter(buffer, WriterOptions);
            writer.Reset(buffer);
            if (batch)
            {
                writer.WriteStartObject();
                writer.WriteString("service"u8, service);
                writer.WriteStartArray("predictions"u8);
                foreach (var answer in answers)
                {
                    Write(writer, answer);
                }

                writer.WriteEndArray();
                writer.WriteEndObject();
            }
            else
            {
                Write(writer, answers[0]);
            }

            writer.Flush();
            var response = httpContext.Response;
            response.ContentType = "application/json; charset=utf-8";
            response.ContentLength = buffer.WrittenCount;
            var body = response.BodyWriter;
            buffer.WrittenSpan.CopyTo(body.GetSpan(buffer.WrittenCount));
            body.Advance(buffer.WrittenCount);
            if (buffer.Capacity > KeptBufferBytes)
            {
                _buffer = null; // a large batch's answer: do not keep its buffer for every later request on this thread
                _writer = null;
            }

            return body.FlushAsync(httpContext.RequestAborted).AsTask();
        }

        private void Write(Utf8JsonWriter writer, GatewayAnswer answer)
        {
            writer.WriteStartObject();
            writer.WriteString("request_id"u8, answer.RequestId);
            writer.WriteString("service"u8, service);
            writer.WriteNumber("version"u8, answer.Version);
            writer.WriteString("arm"u8, answer.Arm);
            writer.WritePropertyName("outputs"u8);
            writer.WriteRawValue(answer.OutputsJson, skipInputValidation: true);
            writer.WriteEndObject();
        }
    }

    private static GatewayRequest ReadOne(
        ServiceDefinition service,
        JsonElement element,
        string? prefix,
        List<string> errors,
        List<SchemaViolation> violations,
        bool bareInputsAllowed,
        bool reject)
    {
        var where = prefix is null ? string.Empty : prefix + ": ";
        string? key = null;
        var attributes = "{}";
        RequestAttributes? parsedAttributes = null;
        JsonElement? inputs = null;
        if (element.ValueKind != JsonValueKind.Object)
        {
            errors.Add($"{where}must be a JSON object");
            return Empty(service);
        }

        var wrapped = element.TryGetProperty("inputs", out _);
        if (!wrapped && bareInputsAllowed)
        {
            inputs = element;
        }
        else
        {
            foreach (var property in element.EnumerateObject())
            {
                // NameEquals compares the UTF-8 name in place; property.Name would allocate a string per property.
                if (property.NameEquals("key"u8))
                {
                    if (property.Value.ValueKind == JsonValueKind.String && property.Value.GetString() is { Length: > 0 and <= MaxKeyLength } k)
                    {
                        key = k;
                    }
                    else if (property.Value.ValueKind != JsonValueKind.Null)
                    {
                        errors.Add($"{where}'key' must be a string of 1–{MaxKeyLength} characters");
                    }
                }
                else if (property.NameEquals("attributes"u8))
                {
                    (attributes, parsedAttributes) = ReadAttributes(property.Value, where, errors);
                }
                else if (property.NameEquals("inputs"u8))
                {
                    inputs = property.Value;
                }
                else
                {
                    errors.Add($"{where}unknown property '{property.Name}': a request has key, attributes and inputs");
                }
            }
        }

        if (inputs is not { } value)
        {
            errors.Add($"{where}'inputs' is missing: send {{\"inputs\": {{\"feature\": value, …}}}}");
            return Empty(service);
        }

        var own = new List<SchemaViolation>();
        var row = InputReader.Read(service, value, own);
        foreach (var violation in own)
        {
            violations.Add(violation);
            // Under the reject policy every violation refuses the request (docs/monitoring.md, "Input layer").
            if (violation.PreventsServing || reject)
            {
                errors.Add($"{where}{violation.Message}");
            }
        }

        return new GatewayRequest(key, attributes, value.ValueKind == JsonValueKind.Object ? value.GetRawText() : "{}", row, parsedAttributes, own.Count == 0 ? null : own);
    }

    /// <summary>
    /// Parses the request's attributes once (<see cref="RequestAttributes.FromJson"/>: the flags evaluate them) and keeps
    /// their raw text for the recorder; every problem goes to <paramref name="errors"/>.
    /// </summary>
    private static (string Text, RequestAttributes? Parsed) ReadAttributes(JsonElement value, string where, List<string> errors)
    {
        var parsed = RequestAttributes.FromJson(value);
        if (!parsed.IsSuccess)
        {
            foreach (var error in parsed.Failure!.Errors.Count > 0 ? parsed.Failure.Errors : [parsed.Failure.Message])
            {
                errors.Add(where + error);
            }

            return ("{}", null);
        }

        return (value.ValueKind == JsonValueKind.Object ? value.GetRawText() : "{}", parsed.Value);
    }

    private static GatewayRequest Empty(ServiceDefinition service)
    {
        var values = new FeatureValue[service.Inputs.Count];
        Array.Fill(values, FeatureValue.Null);
        return new GatewayRequest(null, "{}", "{}", new InputRow(values));
    }
}

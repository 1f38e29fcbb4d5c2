using System.IO.Compression;
using System.Text.Json;
using Google.Protobuf;
using Vigil.Access;
using Vigil.Persistence;
using Vigil.Pipelines;
using Vigil.Server.Access;
using Vigil.Server.Api;

namespace Vigil.Server.Pipelines.Otlp;

/// <summary>
/// <c>POST /v1/traces</c>: OTLP/HTTP trace export (protobuf <c>application/x-protobuf</c> or JSON <c>application/json</c>,
/// optionally gzip), mapped to pipeline traces by <see cref="OpenInferenceMapper"/> (docs/pipelines.md, "OpenTelemetry").
/// Answers as the OTLP/HTTP specification says: 200 with an <c>ExportTraceServiceResponse</c> in the request's encoding,
/// with <c>partial_success</c> counting the spans rejected (no <c>vigil.pipeline</c> attribute, or an unknown pipeline) and why.
/// Spans of one trace that arrive in several exports are merged into one trace.
/// </summary>
public static class OtlpEndpoints
{
    public static void MapOtlpEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapPost("/v1/traces", ExportAsync).RequireScope(ApiScopes.Ingest).WithTags("Pipelines")
            .WithSummary("OTLP/HTTP trace export: OpenInference spans become pipeline traces");
    }

    private static async Task<IResult> ExportAsync(HttpContext context, IVigilStore store, PipelineAnalyzer analyzer, CancellationToken ct)
    {
        var request = context.Request;
        var contentType = request.ContentType ?? string.Empty;
        var protobuf = contentType.StartsWith("application/x-protobuf", StringComparison.OrdinalIgnoreCase);
        var json = contentType.StartsWith("application/json", StringComparison.OrdinalIgnoreCase);
        if (!protobuf && !json)
        {
            return Problems.Problem(415, Problems.Title(415), $"send OTLP/HTTP as 'application/x-protobuf' or 'application/json' (got '{(contentType.Length == 0 ? "none" : contentType)}')");
        }

        byte[] body;
        try
        {
            using var buffer = new MemoryStream();
            Stream source = request.Body;
            if (string.Equals(request.Headers.ContentEncoding, "gzip", StringComparison.OrdinalIgnoreCase))
            {
                source = new GZipStream(request.Body, CompressionMode.Decompress);
            }

            await using (source)
            {
                await source.CopyToAsync(buffer, ct);
            }

            body = buffer.ToArray();
        }
        catch (InvalidDataException)
        {
            return Problems.BadRequest("the body is marked gzip but is not gzip");
        }

        List<OtlpSpan> spans;
        try
        {
            if (protobuf)
            {
                spans = OtlpTraceReader.ReadProtobuf(body);
            }
            else
            {
                using var document = JsonDocument.Parse(body);
                spans = OtlpTraceReader.ReadJson(document.RootElement);
            }
        }
        catch (Exception ex) when (ex is InvalidProtocolBufferException or JsonException or FormatException or InvalidOperationException or KeyNotFoundException)
        {
            return Problems.BadRequest($"the body is not an OTLP ExportTraceServiceRequest in {(protobuf ? "protobuf" : "JSON")}: {ex.Message}");
        }

        long rejected = 0;
        var reasons = new List<string>();
        foreach (var group in spans.GroupBy(OpenInferenceMapper.PipelineOf))
        {
            if (group.Key is null)
            {
                rejected += group.Count();
                reasons.Add($"{group.Count()} span(s) have no '{OpenInferenceMapper.PipelineAttribute}' attribute (set it on the resource or the span)");
                continue;
            }

            var loaded = await analyzer.LoadAsync(group.Key, ct);
            if (!loaded.IsSuccess)
            {
                rejected += group.Count();
                reasons.Add($"{group.Count()} span(s) name pipeline '{group.Key}', which does not exist");
                continue;
            }

            var pipeline = loaded.Value!;
            foreach (var trace in OpenInferenceMapper.ToTraces(pipeline, group))
            {
                await store.MergeTraceAsync(
                    pipeline.Name,
                    new StoredTrace(trace.TraceId, trace.At!.Value, VigilJson.Serialize(trace.Stages)),
                    (stored, later) => Merge(pipeline, stored, later),
                    ct);
            }
        }

        var message = string.Join("; ", reasons);
        if (protobuf)
        {
            return Results.Bytes(EncodeResponse(rejected, message), "application/x-protobuf");
        }

        return rejected == 0
            ? Results.Text("{}", "application/json")
            : Results.Json(new Dictionary<string, object> { ["partialSuccess"] = new Dictionary<string, object> { ["rejectedSpans"] = rejected.ToString(System.Globalization.CultureInfo.InvariantCulture), ["errorMessage"] = message } });
    }

    /// <summary>The stored stages plus those of <paramref name="later"/> the stored trace lacks, in pipeline order.</summary>
    private static string Merge(CompiledPipeline pipeline, string stored, string later)
    {
        var existing = VigilJson.Deserialize<List<StageOutput>>(stored) ?? [];
        var added = VigilJson.Deserialize<List<StageOutput>>(later) ?? [];
        var order = pipeline.Stages.Select(s => s.Name).ToList();
        return VigilJson.Serialize(existing.Concat(added.Where(s => existing.All(e => e.Stage != s.Stage))).OrderBy(s => order.IndexOf(s.Stage)).ToList());
    }

    /// <summary>ExportTraceServiceResponse { ExportTracePartialSuccess partial_success = 1 { int64 rejected_spans = 1; string error_message = 2; } }.</summary>
    private static byte[] EncodeResponse(long rejected, string message)
    {
        if (rejected == 0)
        {
            return [];
        }

        using var inner = new MemoryStream();
        var innerOut = new CodedOutputStream(inner);
        innerOut.WriteTag(1, WireFormat.WireType.Varint);
        innerOut.WriteInt64(rejected);
        innerOut.WriteTag(2, WireFormat.WireType.LengthDelimited);
        innerOut.WriteString(message);
        innerOut.Flush();
        using var outer = new MemoryStream();
        var output = new CodedOutputStream(outer);
        output.WriteTag(1, WireFormat.WireType.LengthDelimited);
        output.WriteBytes(ByteString.CopyFrom(inner.ToArray()));
        output.Flush();
        return outer.ToArray();
    }
}

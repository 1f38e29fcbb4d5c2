using System.Globalization;

namespace Vigil.Pipelines;

/// <summary>One span as OTLP carries it, with the attributes Vigil reads (resource attributes merged under span attributes).</summary>
/// <param name="TraceId">The trace id, lower-case hex.</param>
/// <param name="SpanId">The span id, lower-case hex.</param>
/// <param name="Name">The span's name.</param>
/// <param name="StartUnixNano">Start time in nanoseconds since the epoch.</param>
/// <param name="IsError">Whether the span's status is ERROR.</param>
/// <param name="Attributes">String, long, double or bool values by key; span attributes override resource attributes.</param>
public sealed record OtlpSpan(string TraceId, string SpanId, string Name, ulong StartUnixNano, bool IsError, IReadOnlyDictionary<string, object> Attributes);

/// <summary>
/// Maps OpenTelemetry spans that follow the OpenInference semantic conventions to pipeline traces (docs/pipelines.md,
/// "OpenTelemetry"): the pipeline is named by the attribute <see cref="PipelineAttribute"/> (on the resource or the span);
/// <c>openinference.span.kind</c> <c>RETRIEVER</c> maps to the pipeline's first retrieval stage
/// (<c>retrieval.documents.{i}.document.id/score/content</c>), <c>RERANKER</c> to its first ranking stage
/// (<c>reranker.output_documents.{i}.document.…</c>), <c>LLM</c> to its generation stage (<c>output.value</c>, with the
/// trace's retrieved documents as context), <c>GUARDRAIL</c> to its validation stage; any span with
/// <see cref="StageAttribute"/> maps to the stage it names.
/// </summary>
public static class OpenInferenceMapper
{
    /// <summary>The resource or span attribute naming the pipeline a span belongs to.</summary>
    public const string PipelineAttribute = "vigil.pipeline";

    /// <summary>The default span attribute naming a stage directly (any span kind; overrides the OpenInference mapping); a pipeline may name another (<c>otlp_stage_attribute</c>).</summary>
    public const string StageAttribute = "vigil.stage";

    /// <summary>A validation span's verdict, <c>pass</c> or <c>block</c>; without it an ERROR status means block.</summary>
    public const string VerdictAttribute = "vigil.verdict";

    /// <summary>A custom stage's result, true or false.</summary>
    public const string PassedAttribute = "vigil.passed";

    public const string SpanKindAttribute = "openinference.span.kind";

    /// <summary>The pipeline a span names, or null.</summary>
    public static string? PipelineOf(OtlpSpan span) =>
        span?.Attributes.TryGetValue(PipelineAttribute, out var p) == true ? p as string : null;

    /// <summary>The stage of <paramref name="pipeline"/> a span maps to, or null when it maps to none (CHAIN, EMBEDDING, TOOL … spans).</summary>
    public static CompiledStage? StageOf(CompiledPipeline pipeline, OtlpSpan span)
    {
        ArgumentNullException.ThrowIfNull(pipeline);
        ArgumentNullException.ThrowIfNull(span);
        if (span.Attributes.TryGetValue(pipeline.StageAttribute, out var named) && named is string name)
        {
            return pipeline.Stage(name);
        }

        var kind = span.Attributes.TryGetValue(SpanKindAttribute, out var k) ? (k as string)?.ToUpperInvariant() : null;
        StageKind? stageKind = kind switch
        {
            "RETRIEVER" => StageKind.Retrieval,
            "RERANKER" => StageKind.Ranking,
            "LLM" => StageKind.Generation,
            "GUARDRAIL" => StageKind.Validation,
            _ => null,
        };
        return stageKind is null ? null : pipeline.Stages.FirstOrDefault(s => s.Kind == stageKind);
    }

    /// <summary>
    /// Builds one trace per OTLP trace id from the spans of one pipeline: each mapped span becomes its stage's output (the
    /// earliest span wins when several map to one stage); stages are put in pipeline order; the trace's time is its earliest span's.
    /// </summary>
    public static IReadOnlyList<PipelineTrace> ToTraces(CompiledPipeline pipeline, IEnumerable<OtlpSpan> spans)
    {
        ArgumentNullException.ThrowIfNull(pipeline);
        ArgumentNullException.ThrowIfNull(spans);
        var traces = new List<PipelineTrace>();
        foreach (var group in spans.GroupBy(s => s.TraceId, StringComparer.Ordinal))
        {
            var byStage = new Dictionary<string, (OtlpSpan Span, CompiledStage Stage)>(StringComparer.Ordinal);
            foreach (var span in group.OrderBy(s => s.StartUnixNano))
            {
                if (StageOf(pipeline, span) is { } stage && !byStage.ContainsKey(stage.Name))
                {
                    byStage[stage.Name] = (span, stage);
                }
            }

            if (byStage.Count == 0)
            {
                continue;
            }

            var outputs = pipeline.Stages.Where(s => byStage.ContainsKey(s.Name)).Select(s => Output(byStage[s.Name].Stage, byStage[s.Name].Span)).ToList();
            var start = group.Min(s => s.StartUnixNano);
            var at = DateTimeOffset.UnixEpoch.AddTicks((long)(start / 100));
            traces.Add(new PipelineTrace(group.Key, outputs, at));
        }

        return traces;
    }

    private static StageOutput Output(CompiledStage stage, OtlpSpan span)
    {
        var a = span.Attributes;
        var requestId = a.TryGetValue("vigil.request_id", out var r) ? r as string : null;
        switch (stage.Kind)
        {
            case StageKind.Retrieval:
                return new StageOutput(stage.Name, Items: Documents(a, "retrieval.documents"), RequestId: requestId);
            case StageKind.Ranking:
                return new StageOutput(stage.Name, Items: Documents(a, "reranker.output_documents"), RequestId: requestId);
            case StageKind.Generation:
                return new StageOutput(stage.Name, Output: a.TryGetValue("output.value", out var o) ? Text(o) : string.Empty, RequestId: requestId);
            case StageKind.Validation:
                var verdict = a.TryGetValue(VerdictAttribute, out var v) && v is string vs
                    ? (vs.Equals("block", StringComparison.OrdinalIgnoreCase) ? ValidationVerdict.Block : ValidationVerdict.Pass)
                    : (span.IsError ? ValidationVerdict.Block : ValidationVerdict.Pass);
                return new StageOutput(stage.Name, Verdict: verdict, RequestId: requestId);
            default:
                if (stage.Metric.IsRanked)
                {
                    var items = Documents(a, "retrieval.documents");
                    return new StageOutput(stage.Name, Items: items.Count > 0 ? items : Documents(a, "reranker.output_documents"), RequestId: requestId);
                }

                return new StageOutput(stage.Name, Passed: a.TryGetValue(PassedAttribute, out var p) ? p is true || (p is string ps && ps == "true") : !span.IsError, RequestId: requestId);
        }
    }

    /// <summary>Reads <c>{prefix}.{i}.document.id/score/content</c> for i = 0, 1, … until an index is missing.</summary>
    private static List<StageItem> Documents(IReadOnlyDictionary<string, object> a, string prefix)
    {
        var items = new List<StageItem>();
        for (var i = 0; i < 1000; i++)
        {
            var p = string.Create(CultureInfo.InvariantCulture, $"{prefix}.{i}.document.");
            var hasId = a.TryGetValue(p + "id", out var id);
            var hasContent = a.TryGetValue(p + "content", out var content);
            if (!hasId && !hasContent)
            {
                break;
            }

            double? score = a.TryGetValue(p + "score", out var s) ? s switch
            {
                double d => d,
                long l => l,
                string t when double.TryParse(t, NumberStyles.Float, CultureInfo.InvariantCulture, out var parsed) => parsed,
                _ => null,
            }
            : null;
            items.Add(new StageItem(hasId ? Text(id!) : string.Create(CultureInfo.InvariantCulture, $"#{i}"), score, hasContent ? Text(content!) : null));
        }

        return items;
    }

    private static string Text(object value) => value switch
    {
        string s => s,
        double d => d.ToString("R", CultureInfo.InvariantCulture),
        long l => l.ToString(CultureInfo.InvariantCulture),
        bool b => b ? "true" : "false",
        _ => value.ToString() ?? string.Empty,
    };
}

using Vigil.Access;
using Vigil.Persistence;
using Vigil.Pipelines;
using Vigil.Server.Access;
using Vigil.Server.Api;
using Vigil.Server.ControlPlane;

namespace Vigil.Server.Pipelines;

/// <summary>
/// Pipelines under <c>/v1/pipelines</c> (docs/pipelines.md, "API"): apply (create or next revision), list, show; traces and
/// judgments (<c>ingest</c> scope); the attribution report and each stage's metric over a window (<c>read</c> scope).
/// </summary>
public static class PipelineEndpoints
{
    public static void MapPipelineEndpoints(this IEndpointRouteBuilder app)
    {
        var pipelines = app.MapGroup("/v1/pipelines").WithTags("Pipelines");
        pipelines.MapGet("/", ListAsync).RequireScope(ApiScopes.Read).Produces<PipelineList>();
        pipelines.MapPost("/", ApplyAsync).RequireScope(ApiScopes.Admin).Accepts<PipelineDefinition>("application/json")
            .Produces<PipelineView>(201).Produces<PipelineView>().ProducesProblem(400).ProducesProblem(415).ProducesProblem(422);
        pipelines.MapGet("/{pipeline}", GetAsync).RequireScope(ApiScopes.Read).Produces<PipelineView>().ProducesProblem(404);
        pipelines.MapPost("/{pipeline}/traces", TracesAsync).RequireScope(ApiScopes.Ingest).Accepts<TraceBatch>("application/json")
            .Produces<TraceBatchResponse>().ProducesProblem(400).ProducesProblem(404).ProducesProblem(413).ProducesProblem(415).ProducesProblem(422);
        pipelines.MapPost("/{pipeline}/judgments", JudgmentsAsync).RequireScope(ApiScopes.Ingest).Accepts<JudgmentBatch>("application/json")
            .Produces<JudgmentBatchResponse>().ProducesProblem(400).ProducesProblem(404).ProducesProblem(413).ProducesProblem(415).ProducesProblem(422);
        pipelines.MapGet("/{pipeline}/report", ReportAsync).RequireScope(ApiScopes.Read).Produces<PipelineReport>().ProducesProblem(400).ProducesProblem(404);
        pipelines.MapGet("/{pipeline}/stages/{stage}/metric", StageMetricAsync).RequireScope(ApiScopes.Read).Produces<StageMetricReading>().ProducesProblem(400).ProducesProblem(404);
    }

    private static async Task<IResult> ListAsync(IVigilStore store, CancellationToken ct)
    {
        var all = await store.ListPipelinesAsync(ct);
        return Results.Json(new PipelineList([.. all.Select(p => View(p))]), VigilJson.Options);
    }

    private static async Task<IResult> GetAsync(string pipeline, long? revision, IVigilStore store, CancellationToken ct)
    {
        var stored = revision is { } r ? await store.GetPipelineRevisionAsync(pipeline, r, ct) : await store.GetPipelineAsync(pipeline, ct);
        if (stored is null)
        {
            return revision is null || await store.GetPipelineAsync(pipeline, ct) is null
                ? Problems.From(PipelineAnalyzer.UnknownPipeline(pipeline))
                : Problems.NotFound($"pipeline '{pipeline}' has no revision {revision}");
        }

        return Results.Json(View(stored), VigilJson.Options);
    }

    private static async Task<IResult> ApplyAsync(HttpContext context, IVigilStore store, TimeProvider time, CancellationToken ct)
    {
        var (definition, error) = await RequestBody.ReadAsync<PipelineDefinition>(context.Request, ct);
        if (error is not null)
        {
            return error;
        }

        var errors = PipelineValidator.Validate(definition!).ToList();
        foreach (var (stage, i) in definition!.Stages.Select((s, i) => (s, i)))
        {
            if (stage?.Service is { Length: > 0 } service && await store.GetServiceAsync(service, ct) is null)
            {
                errors.Add($"stages[{i}].service: there is no service '{service}'; list them with 'vigil services list'");
            }
        }

        if (errors.Count > 0)
        {
            return Problems.Validation($"pipeline '{definition.Name}' has {errors.Count} problem{(errors.Count == 1 ? "" : "s")}: {errors[0]}", errors);
        }

        var applied = await store.ApplyPipelineAsync(definition.Name, VigilJson.Serialize(definition), RegistryEndpoints.Who(context, time), ct);
        return Results.Json(View(applied.Pipeline, applied.Changed), VigilJson.Options, statusCode: applied.Created ? StatusCodes.Status201Created : StatusCodes.Status200OK);
    }

    private static async Task<IResult> TracesAsync(string pipeline, HttpContext context, IVigilStore store, PipelineAnalyzer analyzer, TimeProvider time, CancellationToken ct)
    {
        var loaded = await analyzer.LoadAsync(pipeline, ct);
        if (!loaded.IsSuccess)
        {
            return Problems.From(loaded.Failure!);
        }

        var (batch, error) = await RequestBody.ReadAsync<TraceBatch>(context.Request, ct);
        if (error is not null)
        {
            return error;
        }

        var compiled = loaded.Value!;
        var errors = PipelineInputValidator.ValidateTraces(compiled, batch!.Traces);
        if (errors.Count > 0)
        {
            return Problems.Validation($"{errors.Count} problem{(errors.Count == 1 ? "" : "s")} in the batch, nothing of it was stored: {errors[0]}", errors);
        }

        var now = time.GetUtcNow();
        var result = await store.WriteTracesAsync(
            pipeline,
            [.. batch.Traces.Select(t => new StoredTrace(t.TraceId, t.At ?? now, VigilJson.Serialize(t.Stages)))],
            ct);
        var serviceStages = compiled.Stages.Where(s => s.Service is not null).Select(s => s.Name).ToHashSet(StringComparer.Ordinal);
        var requestIds = batch.Traces.SelectMany(t => t.Stages).Where(s => serviceStages.Contains(s.Stage) && s.RequestId is not null).Select(s => s.RequestId!).Distinct().ToList();
        var unlinked = requestIds.Count == 0 ? [] : await store.FindUnknownRequestIdsAsync(requestIds, ct);
        return Results.Json(new TraceBatchResponse(result.Stored, result.Duplicates, unlinked), VigilJson.Options);
    }

    private static async Task<IResult> JudgmentsAsync(string pipeline, HttpContext context, IVigilStore store, TimeProvider time, CancellationToken ct)
    {
        if (await store.GetPipelineAsync(pipeline, ct) is null)
        {
            return Problems.From(PipelineAnalyzer.UnknownPipeline(pipeline));
        }

        var (batch, error) = await RequestBody.ReadAsync<JudgmentBatch>(context.Request, ct);
        if (error is not null)
        {
            return error;
        }

        var errors = PipelineInputValidator.ValidateJudgments(batch!.Judgments);
        if (errors.Count > 0)
        {
            return Problems.Validation($"{errors.Count} problem{(errors.Count == 1 ? "" : "s")} in the batch, nothing of it was stored: {errors[0]}", errors);
        }

        var now = time.GetUtcNow();
        var result = await store.WriteJudgmentsAsync(
            pipeline,
            [.. batch.Judgments.Select(j => new StoredJudgment(j.TraceId, now, VigilJson.Serialize(j with { At = j.At ?? now })))],
            ct);
        return Results.Json(new JudgmentBatchResponse(result.Stored, result.OrphanTraceIds.Count, result.OrphanTraceIds), VigilJson.Options);
    }

    private static async Task<IResult> ReportAsync(string pipeline, string? window, string? against, DateTimeOffset? end, PipelineAnalyzer analyzer, CancellationToken ct)
    {
        var errors = new List<string>();
        TimeSpan? length = null;
        if (window is not null)
        {
            if (Duration.TryParse(window, out var d) && d.Value > TimeSpan.Zero && d.Value <= TimeSpan.FromDays(366))
            {
                length = d.Value;
            }
            else
            {
                errors.Add($"window: '{window}' must be a duration from 1s to 366d, such as 7d or 24h");
            }
        }

        if (against is not (null or "previous" or "none"))
        {
            errors.Add($"against: '{against}' must be 'previous' (the window before) or 'none'");
        }

        if (errors.Count > 0)
        {
            return Problems.Validation(errors[0], errors, StatusCodes.Status400BadRequest);
        }

        var report = await analyzer.ReportAsync(pipeline, length, against != "none", end, ct);
        return report.IsSuccess ? Results.Json(report.Value, VigilJson.Options) : Problems.From(report.Failure!);
    }

    private static async Task<IResult> StageMetricAsync(string pipeline, string stage, DateTimeOffset? from, DateTimeOffset? to, PipelineAnalyzer analyzer, TimeProvider time, CancellationToken ct)
    {
        var loaded = await analyzer.LoadAsync(pipeline, ct);
        if (!loaded.IsSuccess)
        {
            return Problems.From(loaded.Failure!);
        }

        var end = to ?? time.GetUtcNow();
        var start = from ?? end - (loaded.Value!.Stage(stage)?.Window ?? loaded.Value.Window);
        if (start >= end)
        {
            return Problems.BadRequest($"from ({start:O}) must be before to ({end:O})");
        }

        var reading = await analyzer.GetStageMetricAsync(pipeline, stage, start, end, ct);
        return reading.IsSuccess ? Results.Json(reading.Value, VigilJson.Options) : Problems.From(reading.Failure!);
    }

    private static PipelineView View(StoredPipeline stored, bool? changed = null) => new(
        stored.Name,
        stored.Revision,
        stored.CreatedAt,
        stored.UpdatedAt,
        VigilJson.Deserialize<PipelineDefinition>(stored.Definition)!,
        changed);
}

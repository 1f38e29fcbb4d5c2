using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Vigil.Access;
using Vigil.Audit;
using Vigil.Persistence;
using Vigil.Retraining;
using Vigil.Server.Access;
using Vigil.Server.Api;
using Vigil.Server.ControlPlane;

namespace Vigil.Server.Retraining;

/// <summary>Retraining policies, triggers, jobs, training data, evaluations, the loop's timeline and the maturity report.</summary>
public static class RetrainingEndpoints
{
    public static void MapRetrainingEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapDrillEndpoints();
        var services = app.MapGroup("/v1/services").WithTags("Retraining");
        services.MapGet("/{service}/retraining", GetPolicyAsync).RequireScope(ApiScopes.Read).Produces<RetrainingPolicyView>().ProducesProblem(404);
        services.MapPut("/{service}/retraining", PutPolicyAsync).RequireScope(ApiScopes.Admin).Accepts<RetrainingPolicy>("application/json")
            .Produces<RetrainingPolicyView>().ProducesProblem(400).ProducesProblem(404).ProducesProblem(422);
        services.MapGet("/{service}/training-data", ExportAsync).RequireScope(ApiScopes.Read).ProducesProblem(400).ProducesProblem(404).ProducesProblem(422);
        services.MapGet("/{service}/versions/{number:int}/evaluation", GetEvaluationAsync).RequireScope(ApiScopes.Read).Produces<EvaluationReport>().ProducesProblem(404);
        services.MapPost("/{service}/versions/{number:int}/evaluation", EvaluateAsync).RequireScope(ApiScopes.Admin).Produces<EvaluationReport>().ProducesProblem(404).ProducesProblem(409);
        services.MapGet("/{service}/timeline", TimelineAsync).RequireScope(ApiScopes.Read).Produces<TimelineView>().ProducesProblem(404);
        services.MapGet("/{service}/maturity", MaturityAsync).RequireScope(ApiScopes.Read).Produces<MaturityView>().ProducesProblem(404);

        app.MapPost("/v1/retrain", RetrainAsync).RequireScope(ApiScopes.Admin).WithTags("Retraining").Accepts<RetrainRequest>("application/json")
            .Produces<TriggerView>(202).ProducesProblem(400).ProducesProblem(404).ProducesProblem(409).ProducesProblem(422);
        var jobs = app.MapGroup("/v1/jobs").WithTags("Retraining");
        jobs.MapGet("/", ListJobsAsync).RequireScope(ApiScopes.Read).Produces<JobList>();
        jobs.MapGet("/{id}", GetJobAsync).RequireScope(ApiScopes.Read).Produces<RetrainJob>().ProducesProblem(404);
        jobs.MapGet("/{id}/logs", GetLogsAsync).RequireScope(ApiScopes.Read).Produces<string>(contentType: "text/plain").ProducesProblem(404);
        jobs.MapPost("/{id}/cancel", CancelAsync).RequireScope(ApiScopes.Admin).Produces<RetrainJob>().ProducesProblem(404).ProducesProblem(409);
    }

    private static async Task<IResult> GetPolicyAsync(string service, IVigilStore store, TimeProvider time, CancellationToken ct)
    {
        if (await store.GetServiceAsync(service, ct) is null)
        {
            return RegistryEndpoints.UnknownService(service);
        }

        var stored = await store.GetRetrainingPolicyAsync(service, ct);
        return stored is null
            ? Problems.NotFound($"service '{service}' has no retraining policy; set one with 'vigil retrain policy set {service} FILE' (docs/retraining.md)")
            : Results.Json(View(stored, time), VigilJson.Options);
    }

    private static async Task<IResult> PutPolicyAsync(string service, HttpContext context, IVigilStore store, TimeProvider time, CancellationToken ct)
    {
        var (document, error) = await RequestBody.ReadDocumentAsync(context.Request, ct);
        if (error is not null)
        {
            return error;
        }

        RetrainingPolicy? policy;
        using (document)
        {
            // The template's challenger is left open: "challenger" may be omitted there.
            var node = JsonNode.Parse(document!.RootElement.GetRawText());
            if (node?["release_template"] is JsonObject template && !template.ContainsKey("challenger"))
            {
                template["challenger"] = null;
            }

            try
            {
                policy = node.Deserialize<RetrainingPolicy>(VigilJson.Options);
            }
            catch (JsonException ex)
            {
                return Problems.BadRequest($"the body is not a retraining policy{(ex.Path is null ? "" : " at " + ex.Path)}: {ex.Message} (docs/retraining.md shows the shape)");
            }
        }

        if (policy is null)
        {
            return Problems.BadRequest("the body is JSON null; send a retraining policy object");
        }

        var errors = policy.Validate(service);
        if (errors.Count > 0)
        {
            return Problems.Validation($"the retraining policy has {errors.Count} problem{(errors.Count == 1 ? "" : "s")}", errors);
        }

        var saved = await store.PutRetrainingPolicyAsync(service, policy, RegistryEndpoints.Who(context, time), ct);
        return saved.IsSuccess ? Results.Json(View(saved.Value!, time), VigilJson.Options) : Problems.From(saved.Failure!);
    }

    private static async Task<IResult> RetrainAsync(HttpContext context, RetrainingService retraining, TimeProvider time, CancellationToken ct)
    {
        var (request, error) = await RequestBody.ReadAsync<RetrainRequest>(context.Request, ct);
        if (error is not null)
        {
            return error;
        }

        var kind = request!.Kind ?? "manual";
        if (kind is not ("manual" or "performance"))
        {
            return Problems.Validation("kind must be manual or performance", ["kind: manual (default) or performance; schedule and data triggers come from the policy"]);
        }

        if (string.IsNullOrWhiteSpace(request.Reason))
        {
            return Problems.Validation("a retraining needs a reason", ["reason: say why, e.g. --reason \"label drift after the March release\""]);
        }

        var outcome = await retraining.RequestAsync(new RetrainCause(request.Service, kind, request.Reason, context.Actor(), request.Evidence), ct);
        if (!outcome.IsSuccess)
        {
            return Problems.From(outcome.Failure!);
        }

        var view = new TriggerView(outcome.Value!.Result, outcome.Value.Message, outcome.Value.Job);
        return outcome.Value.Result == TriggerOutcome.Suppressed
            ? Problems.Problem(409, Problems.Title(409), outcome.Value.Message, new Dictionary<string, object?> { ["result"] = TriggerOutcome.Suppressed })
            : Results.Json(view, VigilJson.Options, statusCode: StatusCodes.Status202Accepted);
    }

    private static async Task<IResult> ListJobsAsync(IVigilStore store, string? service, bool? active, int? limit, CancellationToken ct) =>
        Results.Json(new JobList(await store.ListJobsAsync(service, active ?? false, limit ?? 50, ct)), VigilJson.Options);

    private static async Task<IResult> GetJobAsync(string id, IVigilStore store, CancellationToken ct) =>
        await store.GetJobAsync(id, ct) is { } job ? Results.Json(job, VigilJson.Options) : UnknownJob(id);

    private static async Task<IResult> GetLogsAsync(string id, IVigilStore store, CancellationToken ct) =>
        await store.GetJobAsync(id, ct) is { } job ? Results.Text(job.Log, "text/plain; charset=utf-8") : UnknownJob(id);

    private static async Task<IResult> CancelAsync(string id, HttpContext context, RetrainingService retraining, TimeProvider time, CancellationToken ct)
    {
        string? reason = null;
        if (context.Request.ContentLength is > 0)
        {
            var (request, error) = await RequestBody.ReadAsync<CancelJobRequest>(context.Request, ct);
            if (error is not null)
            {
                return error;
            }

            reason = request!.Reason;
        }

        var cancelled = await retraining.CancelAsync(id, RegistryEndpoints.Who(context, time) with { Reason = reason }, ct);
        return cancelled.IsSuccess ? Results.Json(cancelled.Value, VigilJson.Options) : Problems.From(cancelled.Failure!);
    }

    private static async Task<IResult> ExportAsync(
        string service, HttpContext context, IVigilStore store, string? format, string? part, string? since, string? until, string? label, int? limit, CancellationToken ct)
    {
        var definition = await store.GetServiceAsync(service, ct);
        if (definition is null)
        {
            return RegistryEndpoints.UnknownService(service);
        }

        format ??= "csv";
        if (format is not ("csv" or "parquet"))
        {
            return Problems.BadRequest($"format '{format}' is not supported; use csv or parquet");
        }

        if (!Enum.TryParse<DataPart>(part ?? "all", ignoreCase: true, out var dataPart))
        {
            return Problems.BadRequest($"part '{part}' is not known; use all, train or holdout");
        }

        if (!TryParseTime(since, out var from) || !TryParseTime(until, out var to))
        {
            return Problems.BadRequest("since and until are ISO 8601 times (2026-03-01 or 2026-03-01T12:00:00Z)");
        }

        var policy = (await store.GetRetrainingPolicyAsync(service, ct))?.Policy;
        var outcome = label ?? policy?.Label ?? RetrainingPolicy.DefaultLabel;
        var set = await TrainingData.LoadAsync(store, definition, outcome, policy?.EffectiveGate ?? new EvaluationGate(), dataPart, from, to, limit ?? TrainingData.MaxRows, ct);
        if (set.Rows.Count == 0)
        {
            return Problems.Problem(422, Problems.Title(422), TrainingData.NoData(service, outcome, from));
        }

        context.Response.ContentType = format == "csv" ? "text/csv; charset=utf-8" : "application/vnd.apache.parquet";
        context.Response.Headers["X-Vigil-Rows"] = set.Rows.Count.ToString(CultureInfo.InvariantCulture);
        using var buffer = new MemoryStream();
        if (format == "csv")
        {
            await TrainingData.WriteCsvAsync(set, buffer, ct);
        }
        else
        {
            await TrainingData.WriteParquetAsync(set, buffer, ct);
        }

        return Results.Bytes(buffer.ToArray(), context.Response.ContentType);
    }

    private static async Task<IResult> GetEvaluationAsync(string service, int number, IVigilStore store, CancellationToken ct) =>
        await store.GetEvaluationAsync(service, number, ct) is { } report
            ? Results.Json(report, VigilJson.Options)
            : Problems.NotFound($"version {number} of '{service}' has no evaluation yet; versions are evaluated when the service has a retraining policy, or run one with POST /v1/services/{service}/versions/{number}/evaluation");

    private static async Task<IResult> EvaluateAsync(string service, int number, HttpContext context, HandsOffRelease handsOff, IVigilStore store, CancellationToken ct)
    {
        if (await store.GetEvaluationAsync(service, number, ct) is not null)
        {
            return Problems.Problem(409, Problems.Title(409), $"version {number} of '{service}' is already evaluated; read it with GET /v1/services/{service}/versions/{number}/evaluation");
        }

        if (await store.GetVersionAsync(service, number, ct) is null)
        {
            return Problems.NotFound($"service '{service}' has no version {number}");
        }

        var (report, _, message) = await handsOff.RunAsync(service, number, null, ct);
        return report is null ? Problems.Problem(422, Problems.Title(422), message) : Results.Json(report, VigilJson.Options);
    }

    private static async Task<IResult> TimelineAsync(string service, IVigilStore store, int? limit, CancellationToken ct)
    {
        if (await store.GetServiceAsync(service, ct) is null)
        {
            return RegistryEndpoints.UnknownService(service);
        }

        return Results.Json(new TimelineView(service, await Timeline.BuildAsync(store, service, Math.Clamp(limit ?? 500, 1, AuditQuery.MaxLimit), ct)), VigilJson.Options);
    }

    private static async Task<IResult> MaturityAsync(string service, IVigilStore store, TimeProvider time, CancellationToken ct)
    {
        if (await store.GetServiceAsync(service, ct) is null)
        {
            return RegistryEndpoints.UnknownService(service);
        }

        return Results.Json(await Maturity.AssessAsync(store, service, time.GetUtcNow(), ct), VigilJson.Options);
    }

    private static RetrainingPolicyView View(StoredRetrainingPolicy stored, TimeProvider time) =>
        new(stored.Service, stored.Policy, stored.Revision, stored.UpdatedAt, stored.Policy.Schedule?.Next(time.GetUtcNow()));

    private static IResult UnknownJob(string id) => Problems.NotFound($"there is no job '{id}'; list them with 'vigil jobs list'");

    private static bool TryParseTime(string? text, out DateTimeOffset? value)
    {
        value = null;
        if (string.IsNullOrWhiteSpace(text))
        {
            return true;
        }

        if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var parsed))
        {
            value = parsed;
            return true;
        }

        return false;
    }
}

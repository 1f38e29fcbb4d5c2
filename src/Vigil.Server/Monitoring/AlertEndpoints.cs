using System.Security.Cryptography;
using Vigil.Access;
using Vigil.Monitoring;
using Vigil.Persistence;
using Vigil.Server.Access;
using Vigil.Server.Api;
using Vigil.Server.ControlPlane;

namespace Vigil.Server.Monitoring;

/// <summary>Alerts of one service, counted by state, with their ids (the <c>groups</c> of <c>GET /v1/alerts</c>).</summary>
public sealed record AlertGroup(string Service, int Firing, int Pending, int Resolved, int Acked, int Silenced, IReadOnlyList<string> Alerts);

/// <summary>Body of <c>POST /v1/alerts/{id}/ack</c>.</summary>
public sealed record AckRequest(string? Reason = null);

/// <summary>
/// Body of <c>POST /v1/silences</c>: at least one matcher (null matches anything), an expiry, a comment; the author is the
/// caller's key unless given (required when the server runs without keys).
/// </summary>
public sealed record CreateSilenceRequest(
    string? Service = null,
    string? Monitor = null,
    string? Subject = null,
    DateTimeOffset? EndsAt = null,
    string? Comment = null,
    DateTimeOffset? StartsAt = null,
    string? Author = null);

public sealed record SilenceList(IReadOnlyList<Silence> Silences);

/// <summary>Closed windows of a service at one resolution, oldest first.</summary>
public sealed record WindowList(string Service, WindowResolution Resolution, IReadOnlyList<WindowSummary> Windows);

/// <summary>Alert operations: the stored alerts grouped by service, one alert, acks, silences; and the stored window history.</summary>
public static class AlertEndpoints
{
    public static void MapAlertEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/v1/alerts", ListAsync).RequireScope(ApiScopes.Read).WithTags("Monitoring").Produces<AlertList>();
        app.MapGet("/v1/alerts/{id}", GetAsync).RequireScope(ApiScopes.Read).WithTags("Monitoring").Produces<AlertView>().ProducesProblem(404);
        app.MapPost("/v1/alerts/{id}/ack", AckAsync).RequireScope(ApiScopes.Admin).WithTags("Monitoring").Produces<AlertView>().ProducesProblem(400).ProducesProblem(404).ProducesProblem(409);
        app.MapGet("/v1/silences", ListSilencesAsync).RequireScope(ApiScopes.Read).WithTags("Monitoring").Produces<SilenceList>();
        app.MapPost("/v1/silences", CreateSilenceAsync).RequireScope(ApiScopes.Admin).WithTags("Monitoring").Produces<Silence>(201).ProducesProblem(400).ProducesProblem(404);
        app.MapDelete("/v1/silences/{id}", ExpireSilenceAsync).RequireScope(ApiScopes.Admin).WithTags("Monitoring").Produces<Silence>().ProducesProblem(404).ProducesProblem(409);
        app.MapGet("/v1/services/{service}/windows", WindowsAsync).RequireScope(ApiScopes.Read).WithTags("Monitoring").Produces<WindowList>().ProducesProblem(400).ProducesProblem(404);
    }

    /// <summary>The stored alerts (pending, firing, resolved; every replica's), newest first, with the silences that match each.</summary>
    public static async Task<AlertList> ListAlertsAsync(IVigilStore store, string? service, DateTimeOffset now, CancellationToken ct)
    {
        var silences = await store.ListSilencesAsync(false, now, ct);
        var alerts = (await store.ListAlertsAsync(service, includeInactive: false, ct)).Select(a => View(a, silences, now)).ToList();
        var groups = alerts.GroupBy(a => a.Service, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => new AlertGroup(
            g.Key,
            g.Count(a => a.Status.State == AlertState.Firing),
            g.Count(a => a.Status.State == AlertState.Pending),
            g.Count(a => a.Status.State == AlertState.Resolved),
            g.Count(a => a.Ack is not null),
            g.Count(a => a.Silenced is { Count: > 0 }),
            [.. g.Select(a => a.Id)])).ToList();
        return new AlertList(alerts, groups);
    }

    private static AlertView View(StoredAlert alert, IReadOnlyList<Silence> silences, DateTimeOffset now) =>
        AlertView.From(alert, [.. silences.Where(s => s.Matches(alert.Service, alert.Status.Monitor, alert.Status.Subject, now)).Select(s => s.Id)]);

    private static async Task<IResult> ListAsync(string? service, IVigilStore store, TimeProvider time, CancellationToken ct) =>
        TypedResults.Json(await ListAlertsAsync(store, service, time.GetUtcNow(), ct), VigilJson.Options);

    private static async Task<IResult> GetAsync(string id, IVigilStore store, TimeProvider time, CancellationToken ct)
    {
        var alert = await store.GetAlertAsync(id, ct);
        return alert is null
            ? Problems.NotFound($"there is no alert '{id}'; list them with 'vigil alerts list'")
            : TypedResults.Json(View(alert, await store.ListSilencesAsync(false, time.GetUtcNow(), ct), time.GetUtcNow()), VigilJson.Options);
    }

    private static async Task<IResult> AckAsync(string id, HttpContext context, IVigilStore store, LiveMonitoring monitoring, TimeProvider time, CancellationToken ct)
    {
        var (request, error) = await RequestBody.ReadAsync<AckRequest>(context.Request, ct);
        if (error is not null)
        {
            return error;
        }

        if (string.IsNullOrWhiteSpace(request!.Reason) || request.Reason.Length > 1000)
        {
            return Problems.Validation("an ack needs a reason of 1–1,000 characters: send {\"reason\": \"…\"}", ["reason: required"], StatusCodes.Status400BadRequest);
        }

        var acked = await store.AckAlertAsync(id, request.Reason, RegistryEndpoints.Who(context, time), ct);
        if (!acked.IsSuccess)
        {
            return Problems.From(acked.Failure!);
        }

        monitoring.Stored(acked.Value!);
        return TypedResults.Json(View(acked.Value!, await store.ListSilencesAsync(false, time.GetUtcNow(), ct), time.GetUtcNow()), VigilJson.Options);
    }

    private static async Task<IResult> ListSilencesAsync(bool? all, IVigilStore store, TimeProvider time, CancellationToken ct) =>
        TypedResults.Json(new SilenceList(await store.ListSilencesAsync(all ?? false, time.GetUtcNow(), ct)), VigilJson.Options);

    private static async Task<IResult> CreateSilenceAsync(HttpContext context, IVigilStore store, LiveMonitoring monitoring, TimeProvider time, CancellationToken ct)
    {
        var (request, error) = await RequestBody.ReadAsync<CreateSilenceRequest>(context.Request, ct);
        if (error is not null)
        {
            return error;
        }

        var now = time.GetUtcNow();
        var errors = Silence.Validate(request!.Service, request.Monitor, request.Subject, request.EndsAt, request.Comment, now).ToList();
        var author = string.IsNullOrWhiteSpace(request.Author) ? context.Actor() : request.Author.Trim();
        if (author == "anonymous")
        {
            errors.Add("author: required when the server runs without API keys; say who silences (e.g. \"alice\")");
        }

        if (request.Monitor is { } monitor && !monitoring.Monitors.Any(m => m.Name == monitor))
        {
            errors.Add($"monitor '{monitor}' is unknown; monitors: {string.Join(", ", monitoring.Monitors.Select(m => m.Name))}");
        }

        if (request.StartsAt is { } starts && request.EndsAt is { } ends && starts >= ends)
        {
            errors.Add("starts_at must be before ends_at");
        }

        if (errors.Count > 0)
        {
            return Problems.Validation($"the silence cannot be created ({errors.Count} problem(s)); nothing was stored", errors, StatusCodes.Status400BadRequest);
        }

        if (request.Service is { } service && await store.GetServiceAsync(service, ct) is null)
        {
            return RegistryEndpoints.UnknownService(service);
        }

        var silence = new Silence(
            "sil-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6)),
            request.Service,
            request.Monitor,
            request.Subject,
            request.StartsAt ?? now,
            request.EndsAt!.Value,
            author,
            request.Comment!.Trim(),
            now);
        var created = await store.CreateSilenceAsync(silence, RegistryEndpoints.Who(context, time), ct);
        return created.IsSuccess
            ? Results.Json(created.Value, VigilJson.Options, statusCode: StatusCodes.Status201Created)
            : Problems.From(created.Failure!);
    }

    private static async Task<IResult> ExpireSilenceAsync(string id, HttpContext context, IVigilStore store, TimeProvider time, CancellationToken ct)
    {
        var expired = await store.ExpireSilenceAsync(id, RegistryEndpoints.Who(context, time), ct);
        return expired.IsSuccess ? TypedResults.Json(expired.Value, VigilJson.Options) : Problems.From(expired.Failure!);
    }

    private static async Task<IResult> WindowsAsync(string service, string? resolution, DateTimeOffset? since, int? limit, int? version, IVigilStore store, TimeProvider time, CancellationToken ct)
    {
        if (await store.GetServiceAsync(service, ct) is null)
        {
            return RegistryEndpoints.UnknownService(service);
        }

        WindowResolution parsed;
        switch (resolution ?? "minute")
        {
            case "minute":
                parsed = WindowResolution.Minute;
                break;
            case "hour":
                parsed = WindowResolution.Hour;
                break;
            case "day":
                parsed = WindowResolution.Day;
                break;
            default:
                return Problems.BadRequest($"resolution '{resolution}' is unknown; use minute, hour or day");
        }

        var from = since ?? time.GetUtcNow() - StoredWindow.RetentionOf(parsed);
        var windows = await store.ListWindowsAsync(service, version, parsed, from, Math.Clamp(limit ?? 1440, 1, 10_000), ct);
        return TypedResults.Json(new WindowList(service, parsed, [.. windows.Select(w => VigilJson.Deserialize<WindowSummary>(w.Summary)!)]), VigilJson.Options);
    }
}

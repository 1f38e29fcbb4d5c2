using Vigil.Access;
using Vigil.Persistence;
using Vigil.Releases;
using Vigil.Server.Access;
using Vigil.Server.Api;
using Vigil.Server.ControlPlane;

namespace Vigil.Server.Releases;

/// <summary>A release as the API shows it: the locked plan, the controller's state, the traffic it gets, its history and the latest analysis.</summary>
public sealed record ReleaseView(
    string Id,
    string Service,
    int Challenger,
    string Status,
    bool Active,
    ReleasePlan Plan,
    ReleaseState State,
    ReleaseTraffic Traffic,
    long Revision,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    IReadOnlyList<ReleaseEvent> Events,
    IReadOnlyList<TriggerEvaluation>? Triggers,
    IReadOnlyList<PromotionEvaluation>? Promotion,
    string? LastDecision,
    ShadowComparison? Shadow = null);

/// <summary>GET /v1/releases.</summary>
public sealed record ReleaseList(IReadOnlyList<ReleaseView> Releases);

/// <summary>PUT /v1/releases/{id}/plan: an amendment, with its reason.</summary>
public sealed record AmendReleaseRequest(ReleasePlan Plan, string Reason);

/// <summary><c>/v1/releases</c>: start, watch and steer releases.</summary>
public static class ReleaseEndpoints
{
    public static void MapReleaseEndpoints(this IEndpointRouteBuilder app)
    {
        var releases = app.MapGroup("/v1/releases").WithTags("Releases");
        releases.MapPost("/", StartAsync).RequireScope(ApiScopes.Admin).Accepts<ReleasePlan>("application/json")
            .Produces<ReleaseView>(201).ProducesProblem(400).ProducesProblem(404).ProducesProblem(409).ProducesProblem(422);
        releases.MapGet("/", ListAsync).RequireScope(ApiScopes.Read).Produces<ReleaseList>();
        releases.MapGet("/{id}", GetAsync).RequireScope(ApiScopes.Read).Produces<ReleaseView>().ProducesProblem(404);
        releases.MapPut("/{id}/plan", AmendAsync).RequireScope(ApiScopes.Admin).Accepts<AmendReleaseRequest>("application/json")
            .Produces<ReleaseView>().ProducesProblem(404).ProducesProblem(409).ProducesProblem(422);
        foreach (var (verb, kind) in new[]
        {
            ("pause", ReleaseCommandKind.Pause),
            ("resume", ReleaseCommandKind.Resume),
            ("abort", ReleaseCommandKind.Abort),
            ("approve", ReleaseCommandKind.Approve),
            ("promote", ReleaseCommandKind.Promote),
            ("kill", ReleaseCommandKind.KillSwitchOff),
        })
        {
            releases.MapPost("/{id}/" + verb, (string id, HttpContext context, ReleaseService service, IVigilStore store, TimeProvider time, CancellationToken ct) =>
                    CommandAsync(id, kind, context, service, store, time, ct))
                .RequireScope(ApiScopes.Admin).Accepts<AliasActionRequest>("application/json")
                .Produces<ReleaseView>().ProducesProblem(404).ProducesProblem(409).ProducesProblem(422);
        }
    }

    private static async Task<IResult> StartAsync(HttpContext context, ReleaseService service, IVigilStore store, TimeProvider time, CancellationToken ct)
    {
        var (plan, error) = await RequestBody.ReadAsync<ReleasePlan>(context.Request, ct);
        if (error is not null)
        {
            return error;
        }

        var started = await service.StartAsync(plan!, RegistryEndpoints.Who(context, time), ct);
        return started.IsSuccess
            ? Results.Json(await ViewAsync(store, service, started.Value!, ct), VigilJson.Options, statusCode: StatusCodes.Status201Created)
            : Problems.From(started.Failure!);
    }

    private static async Task<IResult> ListAsync(string? service, bool? active, IVigilStore store, ReleaseService releases, CancellationToken ct)
    {
        var list = new List<ReleaseView>();
        foreach (var release in await store.ListReleasesAsync(service, active ?? false, ct))
        {
            list.Add(await ViewAsync(store, releases, release, ct));
        }

        return Results.Json(new ReleaseList(list), VigilJson.Options);
    }

    /// <summary>One release, with the comparison of its shadow calls against the champion when it has any.</summary>
    private static async Task<IResult> GetAsync(string id, IVigilStore store, ReleaseService releases, TimeProvider time, CancellationToken ct)
    {
        var release = await store.GetReleaseAsync(id, ct);
        if (release is null)
        {
            return Problems.NotFound($"there is no release '{id}'; list them with 'vigil release status'");
        }

        var view = await ViewAsync(store, releases, release, ct);
        if (view.Plan.Shadow is null)
        {
            return Results.Json(view, VigilJson.Options); // no shadow phase, no shadow calls to compare: skip the query
        }

        var pairs = await store.GetShadowPairsAsync(
            new ShadowPairsQuery(release.Service, release.Challenger, release.CreatedAt, time.GetUtcNow().AddTicks(10)), ct);
        return Results.Json(pairs.Count == 0 ? view : view with { Shadow = ShadowComparison.From(pairs) }, VigilJson.Options);
    }

    private static async Task<IResult> AmendAsync(string id, HttpContext context, ReleaseService service, IVigilStore store, TimeProvider time, CancellationToken ct)
    {
        var (request, error) = await RequestBody.ReadAsync<AmendReleaseRequest>(context.Request, ct);
        if (error is not null)
        {
            return error;
        }

        var amended = await service.AmendAsync(id, request!.Plan, RegistryEndpoints.Who(context, time) with { Reason = request.Reason }, ct);
        return amended.IsSuccess ? Results.Json(await ViewAsync(store, service, amended.Value!, ct), VigilJson.Options) : Problems.From(amended.Failure!);
    }

    private static async Task<IResult> CommandAsync(string id, ReleaseCommandKind kind, HttpContext context, ReleaseService service, IVigilStore store, TimeProvider time, CancellationToken ct)
    {
        string? reason = null;
        if (context.Request.ContentLength is > 0 || context.Request.ContentType is not null)
        {
            var (request, error) = await RequestBody.ReadAsync<AliasActionRequest>(context.Request, ct);
            if (error is not null)
            {
                return error;
            }

            reason = request!.Reason;
        }

        if (kind is ReleaseCommandKind.Abort or ReleaseCommandKind.Promote && string.IsNullOrWhiteSpace(reason))
        {
            return Problems.Validation($"{kind.ToString().ToLowerInvariant()} needs a reason: send {{\"reason\": \"…\"}}", ["reason: required"]);
        }

        var done = await service.CommandAsync(id, kind, RegistryEndpoints.Who(context, time) with { Reason = reason }, ct);
        return done.IsSuccess ? Results.Json(await ViewAsync(store, service, done.Value!, ct), VigilJson.Options) : Problems.From(done.Failure!);
    }

    internal static async Task<ReleaseView> ViewAsync(IVigilStore store, ReleaseService releases, StoredRelease release, CancellationToken ct)
    {
        var plan = ReleaseService.ReadPlan(release);
        var state = ReleaseService.ReadState(release);
        var events = await store.GetReleaseEventsAsync(release.Id, ct);
        releases.LastDecisions.TryGetValue(release.Id, out var decision);
        return new ReleaseView(
            release.Id, release.Service, release.Challenger, release.Status, release.Active, plan, state,
            release.Active ? ReleaseTraffic.For(state, plan) : ReleaseTraffic.None,
            release.Revision, release.CreatedAt, release.UpdatedAt, events,
            decision?.Triggers, decision?.Promotion, decision?.Reason);
    }
}

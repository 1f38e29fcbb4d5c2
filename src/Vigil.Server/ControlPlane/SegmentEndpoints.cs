using Vigil.Access;
using Vigil.Persistence;
using Vigil.Routing.Flags;
using Vigil.Server.Access;
using Vigil.Server.Api;
using Vigil.Server.Routing;

namespace Vigil.Server.ControlPlane;

/// <summary>
/// <c>/v1/segments</c>: reusable, named lists of conditions that flag rules name in <c>segments</c> (docs/flags.md,
/// "Segments"). Changes are audited, versioned (PUT needs the revision it is based on) and reach the routing snapshot
/// like flag changes; a flag naming a segment that does not exist is refused.
/// </summary>
public static class SegmentEndpoints
{
    public static void MapSegmentEndpoints(this IEndpointRouteBuilder app)
    {
        var segments = app.MapGroup("/v1/segments").WithTags("Flags");
        segments.MapGet("/", ListAsync).RequireScope(ApiScopes.Read).Produces<SegmentList>();
        segments.MapGet("/{key}", GetAsync).RequireScope(ApiScopes.Read).Produces<SegmentView>().ProducesProblem(404);
        segments.MapPost("/", CreateAsync).RequireScope(ApiScopes.Admin).Accepts<SegmentView>("application/json")
            .Produces<SegmentView>(201).ProducesProblem(400).ProducesProblem(409).ProducesProblem(415).ProducesProblem(422);
        segments.MapPut("/{key}", ReplaceAsync).RequireScope(ApiScopes.Admin).Accepts<SegmentView>("application/json")
            .Produces<SegmentView>().ProducesProblem(400).ProducesProblem(404).ProducesProblem(409).ProducesProblem(415).ProducesProblem(422);
    }

    private static async Task<IResult> ListAsync(IVigilStore store, CancellationToken ct) =>
        Results.Json(new SegmentList([.. (await store.ListSegmentsAsync(ct)).Select(View)]), VigilJson.Options);

    private static async Task<IResult> GetAsync(string key, IVigilStore store, CancellationToken ct) =>
        await store.GetSegmentAsync(key, ct) is { } segment ? Results.Json(View(segment), VigilJson.Options) : Unknown(key);

    private static async Task<IResult> CreateAsync(HttpContext context, IVigilStore store, RoutingState routing, TimeProvider time, CancellationToken ct)
    {
        var (request, error) = await RequestBody.ReadAsync<SegmentView>(context.Request, ct);
        if (error is not null)
        {
            return error;
        }

        var segment = request!.ToSegment();
        var errors = FlagValidator.Validate(segment).ToList();
        if (request.Service is { } service && await store.GetServiceAsync(service, ct) is null)
        {
            errors.Add($"service: there is no service '{service}'; list them with 'vigil services list'");
        }

        if (errors.Count > 0)
        {
            return Invalid(request.Key, errors);
        }

        var created = await store.CreateSegmentAsync(
            new StoredSegment(segment.Key, request.Service, VigilJson.Serialize(segment), 0, time.GetUtcNow()), RegistryEndpoints.Who(context, time), ct);
        if (!created.IsSuccess)
        {
            return Problems.From(created.Failure!);
        }

        await routing.RebuildAsync(ct);
        return Results.Json(View(created.Value!), VigilJson.Options, statusCode: StatusCodes.Status201Created);
    }

    private static async Task<IResult> ReplaceAsync(string key, HttpContext context, IVigilStore store, RoutingState routing, TimeProvider time, CancellationToken ct)
    {
        var current = await store.GetSegmentAsync(key, ct);
        if (current is null)
        {
            return Unknown(key);
        }

        var (request, error) = await RequestBody.ReadAsync<SegmentView>(context.Request, ct);
        if (error is not null)
        {
            return error;
        }

        var errors = new List<string>();
        if (request!.Key != key)
        {
            errors.Add($"key: the body names '{request.Key}' but the address names '{key}'; a segment's key cannot change (create a new segment instead)");
        }

        if (request.Revision is null)
        {
            errors.Add($"revision: required, the revision the change is based on (now {current.Revision}): read the segment first (GET /v1/segments/{key}) and send its revision back");
        }

        var segment = request.ToSegment() with { Key = key };
        errors.AddRange(FlagValidator.Validate(segment));
        if (errors.Count > 0)
        {
            return Invalid(key, errors);
        }

        var updated = await store.UpdateSegmentAsync(key, request.Revision!.Value, VigilJson.Serialize(segment), RegistryEndpoints.Who(context, time), ct);
        if (!updated.IsSuccess)
        {
            return Problems.From(updated.Failure!);
        }

        await routing.RebuildAsync(ct);
        return Results.Json(View(updated.Value!), VigilJson.Options);
    }

    private static IResult Invalid(string key, IReadOnlyList<string> errors) =>
        Problems.Validation($"segment '{key}' has {errors.Count} problem{(errors.Count == 1 ? "" : "s")}: {errors[0]}", errors);

    private static IResult Unknown(string key) =>
        Problems.NotFound($"there is no segment '{key}'; list them with 'vigil flags segments'");

    private static SegmentView View(StoredSegment stored)
    {
        var segment = VigilJson.Deserialize<Segment>(stored.Definition)
            ?? throw new InvalidOperationException($"the stored definition of segment '{stored.Key}' is JSON null");
        return new SegmentView(segment.Key, segment.Conditions, segment.Description, stored.Service, stored.Revision, stored.UpdatedAt);
    }
}

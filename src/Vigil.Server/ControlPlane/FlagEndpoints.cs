using Vigil.Access;
using Vigil.Audit;
using Vigil.Persistence;
using Vigil.Routing.Flags;
using Vigil.Server.Access;
using Vigil.Server.Api;
using Vigil.Server.Gateway;
using Vigil.Server.Releases;
using Vigil.Server.Routing;

namespace Vigil.Server.ControlPlane;

/// <summary>
/// Feature flags under <c>/v1/flags</c> (docs/flags.md, "API"): create, list, show, replace, switch on and off, evaluate.
/// Every write is audited by the store and rebuilds this process's routing snapshot before it answers, so the next
/// request here obeys it; other replicas rebuild on the store's change notification.
/// </summary>
public static class FlagEndpoints
{
    /// <summary>How often on/off retries when another writer changed the flag between its read and its write.</summary>
    private const int SwitchAttempts = 3;

    public static void MapFlagEndpoints(this IEndpointRouteBuilder app)
    {
        var flags = app.MapGroup("/v1/flags").WithTags("Flags");
        flags.MapGet("/", ListAsync).RequireScope(ApiScopes.Read).Produces<FlagList>().ProducesProblem(404);
        flags.MapPost("/", CreateAsync).RequireScope(ApiScopes.Admin).Accepts<FlagView>("application/json")
            .Produces<FlagView>(201).ProducesProblem(400).ProducesProblem(409).ProducesProblem(415).ProducesProblem(422);
        flags.MapGet("/{key}", GetAsync).RequireScope(ApiScopes.Read).Produces<FlagView>().ProducesProblem(404);
        flags.MapPut("/{key}", ReplaceAsync).RequireScope(ApiScopes.Admin).Accepts<FlagView>("application/json")
            .Produces<FlagView>().ProducesProblem(400).ProducesProblem(404).ProducesProblem(409).ProducesProblem(415).ProducesProblem(422);
        flags.MapPost("/{key}/on", (string key, HttpContext context, IVigilStore store, RoutingState routing, ReleaseService releases, TimeProvider time, CancellationToken ct) =>
                SwitchAsync(key, enabled: true, context, store, routing, releases, time, ct))
            .RequireScope(ApiScopes.Admin).Accepts<FlagSwitchRequest>("application/json").Produces<FlagView>().ProducesProblem(404).ProducesProblem(409);
        flags.MapPost("/{key}/off", (string key, HttpContext context, IVigilStore store, RoutingState routing, ReleaseService releases, TimeProvider time, CancellationToken ct) =>
                SwitchAsync(key, enabled: false, context, store, routing, releases, time, ct))
            .RequireScope(ApiScopes.Admin).Accepts<FlagSwitchRequest>("application/json").Produces<FlagView>().ProducesProblem(404).ProducesProblem(409);
        flags.MapPost("/{key}/evaluate", EvaluateAsync).RequireScope(ApiScopes.Read).Accepts<FlagEvaluateRequest>("application/json")
            .Produces<FlagEvaluationView>().ProducesProblem(400).ProducesProblem(404).ProducesProblem(422);
    }

    /// <summary>Creates a service's flag, on (<see cref="ServiceFlag.For"/>), right after the service; a flag already holding its key is kept as it is.</summary>
    internal static async Task<Result<StoredFlag>> CreateServiceFlagAsync(string service, IVigilStore store, AuditContext who, CancellationToken ct)
    {
        var definition = ServiceFlag.For(service);
        return await store.CreateFlagAsync(
            new StoredFlag(definition.Key, service, VigilJson.Serialize(definition), 0, who.At),
            who with { Reason = $"the service flag of '{service}', created with the service" },
            ct);
    }

    private static async Task<IResult> ListAsync(string? service, IVigilStore store, CancellationToken ct)
    {
        if (service is not null && await store.GetServiceAsync(service, ct) is null)
        {
            return RegistryEndpoints.UnknownService(service);
        }

        var flags = await store.ListFlagsAsync(service, ct);
        return Results.Json(new FlagList(flags.Select(View).ToList()), VigilJson.Options);
    }

    private static async Task<IResult> GetAsync(string key, IVigilStore store, CancellationToken ct) =>
        await store.GetFlagAsync(key, ct) is { } flag ? Results.Json(View(flag), VigilJson.Options) : UnknownFlag(key);

    private static async Task<IResult> CreateAsync(HttpContext context, IVigilStore store, RoutingState routing, TimeProvider time, CancellationToken ct)
    {
        var (request, error) = await RequestBody.ReadAsync<FlagView>(context.Request, ct);
        if (error is not null)
        {
            return error;
        }

        if (FlagValidator.IsValidKey(request!.Key) && await store.GetFlagAsync(request.Key, ct) is not null)
        {
            return Problems.Problem(StatusCodes.Status409Conflict, Problems.Title(409), $"a flag with key '{request.Key}' already exists; change it with 'vigil flags set {request.Key} -f …' (PUT /v1/flags/{request.Key})");
        }

        var definition = request.ToDefinition();
        var errors = new List<string>();
        if (request.Service is { } service && await store.GetServiceAsync(service, ct) is null)
        {
            errors.Add($"service: there is no service '{service}'; list them with 'vigil services list'");
        }

        errors.AddRange(await ValidateAgainstSetAsync(definition, store, ct));
        if (errors.Count > 0)
        {
            return Invalid(request.Key, errors);
        }

        var created = await store.CreateFlagAsync(
            new StoredFlag(definition.Key, request.Service, VigilJson.Serialize(definition), 0, time.GetUtcNow()),
            RegistryEndpoints.Who(context, time),
            ct);
        if (!created.IsSuccess)
        {
            return Problems.From(created.Failure!);
        }

        await routing.RebuildAsync(ct);
        return Results.Json(View(created.Value!), VigilJson.Options, statusCode: StatusCodes.Status201Created);
    }

    private static async Task<IResult> ReplaceAsync(
        string key, HttpContext context, IVigilStore store, RoutingState routing, ReleaseService releases, TimeProvider time, CancellationToken ct)
    {
        var current = await store.GetFlagAsync(key, ct);
        if (current is null)
        {
            return UnknownFlag(key);
        }

        var (request, error) = await RequestBody.ReadAsync<FlagView>(context.Request, ct);
        if (error is not null)
        {
            return error;
        }

        var errors = new List<string>();
        if (request!.Key != key)
        {
            errors.Add($"key: the body names '{request.Key}' but the address names '{key}'; a flag's key cannot change (create a new flag instead)");
        }

        if (request.Revision is null)
        {
            errors.Add($"revision: required, the revision the change is based on (now {current.Revision}): read the flag first (GET /v1/flags/{key}) and send its revision back");
        }

        if (request.Service is { } service && service != current.Service)
        {
            errors.Add($"service: a flag's service cannot change (it is {(current.Service is null ? "none" : $"'{current.Service}'")})");
        }

        var definition = request.ToDefinition() with { Key = key };
        errors.AddRange(await ValidateAgainstSetAsync(definition, store, ct));
        if (errors.Count > 0)
        {
            return Invalid(key, errors);
        }

        var updated = await store.UpdateFlagAsync(key, request.Revision!.Value, VigilJson.Serialize(definition), AuditActions.FlagUpdated, RegistryEndpoints.Who(context, time), ct);
        if (!updated.IsSuccess)
        {
            return Problems.From(updated.Failure!);
        }

        await routing.RebuildAsync(ct);
        if (ReleaseFlag.IsReleaseFlag(key))
        {
            await releases.FollowFlagAsync(key, ct);
        }

        return Results.Json(View(updated.Value!), VigilJson.Options);
    }

    /// <summary>Turns a flag on or off. Already so: nothing is written (no audit event), the flag is returned as it is.</summary>
    private static async Task<IResult> SwitchAsync(
        string key, bool enabled, HttpContext context, IVigilStore store, RoutingState routing, ReleaseService releases, TimeProvider time, CancellationToken ct)
    {
        string? reason = null;
        if (context.Request.ContentLength is not (0 or null) || context.Request.ContentType is not null)
        {
            var (request, error) = await RequestBody.ReadAsync<FlagSwitchRequest>(context.Request, ct);
            if (error is not null)
            {
                return error;
            }

            reason = string.IsNullOrWhiteSpace(request!.Reason) ? null : request.Reason.Trim();
        }

        var who = RegistryEndpoints.Who(context, time) with { Reason = reason };
        var switched = await SetEnabledAsync(key, enabled, store, who, ct);
        if (!switched.IsSuccess)
        {
            return switched.Failure!.Kind == FailureKind.NotFound ? UnknownFlag(key) : Problems.From(switched.Failure);
        }

        await routing.RebuildAsync(ct);
        if (ReleaseFlag.IsReleaseFlag(key))
        {
            // The release follows its flag at once in this process (pause or resume, persisted and audited); other
            // replicas' controllers do the same on their next tick, and traffic follows the routing snapshot everywhere.
            await releases.FollowFlagAsync(key, ct);
        }

        return Results.Json(View(switched.Value!), VigilJson.Options);
    }

    /// <summary>
    /// Turns a flag on or off for the dashboard's forms, as the API does: the routing snapshot is rebuilt, and a release
    /// flag's release follows at once (see <see cref="ReleaseService.FollowFlagAsync(string, CancellationToken)"/>).
    /// </summary>
    internal static async Task<Result<StoredFlag>> SwitchFlagAsync(
        string key, bool enabled, AuditContext who, IVigilStore store, RoutingState routing, ReleaseService releases, CancellationToken ct)
    {
        var switched = await SetEnabledAsync(key, enabled, store, who, ct);
        if (switched.IsSuccess)
        {
            await routing.RebuildAsync(ct);
            if (ReleaseFlag.IsReleaseFlag(key))
            {
                await releases.FollowFlagAsync(key, ct);
            }
        }

        return switched;
    }

    /// <summary>
    /// Turns a flag on or off, audited as <c>flag.enabled</c>/<c>flag.disabled</c>. Already so: nothing is written (no
    /// audit event) and the flag is returned as it is. Retries a concurrent edit, since switching is idempotent.
    /// </summary>
    internal static async Task<Result<StoredFlag>> SetEnabledAsync(string key, bool enabled, IVigilStore store, AuditContext who, CancellationToken ct)
    {
        for (var attempt = 1; ; attempt++)
        {
            var current = await store.GetFlagAsync(key, ct);
            if (current is null)
            {
                return Failure.NotFound($"there is no flag '{key}'; list them with 'vigil flags list'");
            }

            var definition = Read(current);
            if (definition.Enabled == enabled)
            {
                return Result<StoredFlag>.Ok(current);
            }

            var action = enabled ? AuditActions.FlagEnabled : AuditActions.FlagDisabled;
            var updated = await store.UpdateFlagAsync(key, current.Revision, VigilJson.Serialize(definition with { Enabled = enabled }), action, who, ct);
            if (updated.IsSuccess || updated.Failure!.Kind != FailureKind.Conflict || attempt == SwitchAttempts)
            {
                return updated;
            }
        }
    }

    private static async Task<IResult> EvaluateAsync(string key, HttpContext context, RoutingState routing, CancellationToken ct)
    {
        var (request, error) = await RequestBody.ReadAsync<FlagEvaluateRequest>(context.Request, ct);
        if (error is not null)
        {
            return error;
        }

        var errors = new List<string>();
        if (request!.Key is { } requestKey && requestKey.Length is 0 or > PredictEndpoints.MaxKeyLength)
        {
            errors.Add($"key: must be 1–{PredictEndpoints.MaxKeyLength} characters, or null");
        }

        var attributes = RequestAttributes.Empty;
        if (request.Attributes is { } json)
        {
            var parsed = RequestAttributes.FromJson(json);
            if (parsed.IsSuccess)
            {
                attributes = parsed.Value!;
            }
            else
            {
                errors.AddRange(parsed.Failure!.Errors.Count > 0 ? parsed.Failure.Errors : [parsed.Failure.Message]);
            }
        }

        if (errors.Count > 0)
        {
            return Problems.Validation($"the evaluation request has {errors.Count} problem{(errors.Count == 1 ? "" : "s")}", errors);
        }

        // The snapshot, not the store: this is exactly what the request path of this server decides now.
        var evaluator = routing.Current.Flags.Find(key);
        if (evaluator is null)
        {
            return UnknownFlag(key);
        }

        var result = evaluator.Evaluate(request.Key, attributes);
        return Results.Json(
            new FlagEvaluationView(
                key,
                request.Key,
                result.Value,
                result.Variant,
                result.Reason,
                result.ErrorCode == FlagErrorCode.None ? null : result.ErrorCode,
                result.RuleIndex < 0 ? null : result.RuleIndex,
                result.Attribute),
            VigilJson.Options);
    }

    /// <summary>Checks <paramref name="flag"/> together with every other stored flag (<see cref="FlagValidator.ValidateSet"/>): every error at once.</summary>
    private static async Task<IReadOnlyList<string>> ValidateAgainstSetAsync(FlagDefinition flag, IVigilStore store, CancellationToken ct)
    {
        var set = new List<FlagDefinition>();
        foreach (var stored in await store.ListFlagsAsync(null, ct))
        {
            if (stored.Key != flag.Key)
            {
                set.Add(Read(stored));
            }
        }

        set.Add(flag);
        var errors = new List<string>();
        var segments = RoutingState.ReadSegments(await store.ListSegmentsAsync(ct), errors);
        return [.. errors, .. FlagValidator.ValidateSet(set, segments)];
    }

    private static IResult Invalid(string key, IReadOnlyList<string> errors) =>
        Problems.Validation($"flag '{key}' has {errors.Count} problem{(errors.Count == 1 ? "" : "s")}: {errors[0]}", errors);

    private static IResult UnknownFlag(string key) =>
        Problems.NotFound($"there is no flag '{key}'; list them with 'vigil flags list'");

    private static FlagDefinition Read(StoredFlag stored) =>
        VigilJson.Deserialize<FlagDefinition>(stored.Definition)
            ?? throw new InvalidOperationException($"the stored definition of flag '{stored.Key}' is JSON null");

    private static FlagView View(StoredFlag stored) => FlagView.From(stored, Read(stored));
}

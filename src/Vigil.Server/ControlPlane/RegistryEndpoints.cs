using Vigil.Access;
using Vigil.Audit;
using Vigil.Persistence;
using Vigil.Registry;
using Vigil.Server.Access;
using Vigil.Server.Api;
using Vigil.Server.Routing;
using Vigil.Serving;

namespace Vigil.Server.ControlPlane;

/// <summary>Services, model versions, aliases and their history under <c>/v1/services</c>.</summary>
public static class RegistryEndpoints
{
    public static void MapRegistryEndpoints(this IEndpointRouteBuilder app)
    {
        var services = app.MapGroup("/v1/services").WithTags("Registry");
        services.MapGet("/", ListServicesAsync).RequireScope(ApiScopes.Read).Produces<ServiceList>();
        services.MapPost("/", CreateServiceAsync).RequireScope(ApiScopes.Admin).Accepts<CreateServiceRequest>("application/json")
            .Produces<ServiceView>(201).ProducesProblem(400).ProducesProblem(409).ProducesProblem(422);
        services.MapGet("/{service}", GetServiceAsync).RequireScope(ApiScopes.Read).Produces<ServiceView>().ProducesProblem(404);
        services.MapGet("/{service}/versions", ListVersionsAsync).RequireScope(ApiScopes.Read).Produces<VersionList>().ProducesProblem(404);
        services.MapPost("/{service}/versions", RegisterVersionAsync).RequireScope(ApiScopes.Admin).Accepts<RegisterVersionRequest>("application/json")
            .Produces<VersionView>(201).ProducesProblem(400).ProducesProblem(404).ProducesProblem(409).ProducesProblem(422);
        services.MapGet("/{service}/versions/{number:int}", GetVersionAsync).RequireScope(ApiScopes.Read).Produces<VersionView>().ProducesProblem(404);
        services.MapGet("/{service}/aliases", GetAliasesAsync).RequireScope(ApiScopes.Read).Produces<AliasesView>().ProducesProblem(404);
        services.MapPut("/{service}/aliases/{alias}", SetAliasAsync).RequireScope(ApiScopes.Admin).Accepts<SetAliasRequest>("application/json")
            .Produces<AliasesView>().ProducesProblem(404).ProducesProblem(409).ProducesProblem(422);
        services.MapPost("/{service}/promote", PromoteAsync).RequireScope(ApiScopes.Admin).Accepts<AliasActionRequest>("application/json")
            .Produces<AliasesView>().ProducesProblem(404).ProducesProblem(409);
        services.MapPost("/{service}/rollback", RollbackAsync).RequireScope(ApiScopes.Admin).Accepts<AliasActionRequest>("application/json")
            .Produces<AliasesView>().ProducesProblem(404).ProducesProblem(409);
        services.MapGet("/{service}/history", HistoryAsync).RequireScope(ApiScopes.Read).Produces<HistoryView>().ProducesProblem(404);
    }

    private static async Task<IResult> ListServicesAsync(IVigilStore store, CancellationToken ct)
    {
        var list = new List<ServiceView>();
        foreach (var service in await store.ListServicesAsync(ct))
        {
            list.Add(await ViewAsync(store, service, ct));
        }

        return Results.Json(new ServiceList(list), VigilJson.Options);
    }

    private static async Task<IResult> CreateServiceAsync(HttpContext context, IVigilStore store, RoutingState routing, TimeProvider time, CancellationToken ct)
    {
        var (request, error) = await RequestBody.ReadAsync<CreateServiceRequest>(context.Request, ct);
        if (error is not null)
        {
            return error;
        }

        var service = new ServiceDefinition(request!.Name, request.Description ?? string.Empty, request.Inputs, request.Output, time.GetUtcNow());
        var errors = ServiceValidator.Validate(service);
        if (errors.Count > 0)
        {
            return Problems.Validation($"the service definition has {errors.Count} problem{(errors.Count == 1 ? "" : "s")}", errors);
        }

        var who = Who(context, time);
        var created = await store.CreateServiceAsync(service, who, ct);
        if (!created.IsSuccess)
        {
            return Problems.From(created.Failure!);
        }

        // The service flag (docs/flags.md, "The service flag"), on. A flag that already holds its key (created by hand
        // before the service) is left as it is and serves as the service flag.
        var flag = await FlagEndpoints.CreateServiceFlagAsync(service.Name, store, who, ct);
        if (!flag.IsSuccess && flag.Failure!.Kind != FailureKind.Conflict)
        {
            return Problems.From(flag.Failure);
        }

        await routing.RebuildAsync(ct);
        return Results.Json(await ViewAsync(store, created.Value!, ct), VigilJson.Options, statusCode: StatusCodes.Status201Created);
    }

    private static async Task<IResult> GetServiceAsync(string service, IVigilStore store, CancellationToken ct)
    {
        var found = await store.GetServiceAsync(service, ct);
        return found is null ? UnknownService(service) : Results.Json(await ViewAsync(store, found, ct), VigilJson.Options);
    }

    private static async Task<IResult> ListVersionsAsync(string service, IVigilStore store, CancellationToken ct)
    {
        if (await store.GetServiceAsync(service, ct) is null)
        {
            return UnknownService(service);
        }

        var aliases = await store.GetAliasesAsync(service, ct);
        var versions = await store.ListVersionsAsync(service, ct);
        return Results.Json(new VersionList(versions.Select(v => View(v, aliases)).ToList()), VigilJson.Options);
    }

    private static async Task<IResult> GetVersionAsync(string service, int number, IVigilStore store, CancellationToken ct)
    {
        if (await store.GetServiceAsync(service, ct) is null)
        {
            return UnknownService(service);
        }

        var version = await store.GetVersionAsync(service, number, ct);
        if (version is null)
        {
            return Problems.NotFound($"service '{service}' has no version {number}; list them with 'vigil models list {service}'");
        }

        return Results.Json(View(version, await store.GetAliasesAsync(service, ct)), VigilJson.Options);
    }

    private static async Task<IResult> RegisterVersionAsync(
        string service,
        HttpContext context,
        IVigilStore store,
        IBackendLoader loader,
        RoutingState routing,
        TimeProvider time,
        CancellationToken ct)
    {
        var definition = await store.GetServiceAsync(service, ct);
        if (definition is null)
        {
            return UnknownService(service);
        }

        var (request, error) = await RequestBody.ReadAsync<RegisterVersionRequest>(context.Request, ct);
        if (error is not null)
        {
            return error;
        }

        var draft = new ModelVersionDraft(service, request!.Backend, request.Metadata, request.Metrics);
        var errors = draft.Validate().ToList();
        if (request.Alias is { } alias && alias is not (AliasNames.Champion or AliasNames.Challenger))
        {
            errors.Add($"alias: '{alias}' cannot be set at registration; use champion or challenger");
        }

        if (errors.Count > 0)
        {
            return Problems.Validation($"the version has {errors.Count} problem{(errors.Count == 1 ? "" : "s")}", errors);
        }

        // Load the artifact before anything is written: a model that does not load is refused with the reason.
        var who = Who(context, time);
        var probe = new ModelVersion(service, 0, draft.Backend, draft.Metadata ?? new Dictionary<string, string>(), draft.Metrics ?? new Dictionary<string, double>(), who.At, who.Actor);
        var loaded = await loader.LoadAsync(definition, probe, ct);
        if (!loaded.IsSuccess)
        {
            return Problems.Validation("the model cannot be registered: " + loaded.Failure!.Message, loaded.Failure.Errors);
        }

        await loaded.Value!.DisposeAsync();
        // The version and the alias asked for are one store command: a version is never left registered without its alias.
        var registered = await store.RegisterVersionAsync(new VersionRegistration(draft, request.Alias), who, ct);
        if (!registered.IsSuccess)
        {
            return Problems.From(registered.Failure!);
        }

        var (version, aliases, _) = registered.Value!;
        await routing.RebuildAsync(ct);
        return Results.Json(View(version, aliases), VigilJson.Options, statusCode: StatusCodes.Status201Created);
    }

    private static async Task<IResult> GetAliasesAsync(string service, IVigilStore store, CancellationToken ct) =>
        await store.GetServiceAsync(service, ct) is null
            ? UnknownService(service)
            : Results.Json(AliasesView.From(await store.GetAliasesAsync(service, ct)), VigilJson.Options);

    private static async Task<IResult> SetAliasAsync(string service, string alias, HttpContext context, IVigilStore store, RoutingState routing, TimeProvider time, CancellationToken ct)
    {
        if (!AliasNames.IsKnown(alias))
        {
            return Problems.NotFound($"there is no alias '{alias}': use champion, challenger or previous-champion");
        }

        var (request, error) = await RequestBody.ReadAsync<SetAliasRequest>(context.Request, ct);
        if (error is not null)
        {
            return error;
        }

        return await ChangeAliasesAsync(service, context, store, routing, time, request!.Reason, AuditActions.AliasSet, set => set.With(alias, request.Version), ct);
    }

    private static async Task<IResult> PromoteAsync(string service, HttpContext context, IVigilStore store, RoutingState routing, TimeProvider time, CancellationToken ct)
    {
        var reason = await ReadReasonAsync(context, ct);
        return reason.Error ?? await ChangeAliasesAsync(service, context, store, routing, time, reason.Value, AuditActions.AliasPromoted, set => set.Promote(), ct);
    }

    private static async Task<IResult> RollbackAsync(string service, HttpContext context, IVigilStore store, RoutingState routing, TimeProvider time, CancellationToken ct)
    {
        var reason = await ReadReasonAsync(context, ct);
        return reason.Error ?? await ChangeAliasesAsync(service, context, store, routing, time, reason.Value, AuditActions.AliasRolledBack, set => set.Rollback(), ct);
    }

    private static async Task<(string? Value, IResult? Error)> ReadReasonAsync(HttpContext context, CancellationToken ct)
    {
        if (context.Request.ContentLength is 0 or null && context.Request.ContentType is null)
        {
            return (null, null);
        }

        var (request, error) = await RequestBody.ReadAsync<AliasActionRequest>(context.Request, ct);
        return (request?.Reason, error);
    }

    /// <summary>Reads the aliases, applies <paramref name="change"/> and writes the result only if nobody changed them meanwhile (else 409).</summary>
    private static async Task<IResult> ChangeAliasesAsync(
        string service,
        HttpContext context,
        IVigilStore store,
        RoutingState routing,
        TimeProvider time,
        string? reason,
        string action,
        Func<AliasSet, Result<AliasSet>> change,
        CancellationToken ct)
    {
        var changed = await ChangeAliasesAsync(service, Who(context, time) with { Reason = reason }, store, routing, action, change, ct);
        return changed.IsSuccess ? Results.Json(AliasesView.From(changed.Value!), VigilJson.Options) : Problems.From(changed.Failure!);
    }

    /// <summary>Rolls the service back to its previous champion (the API's and the dashboard's code).</summary>
    internal static Task<Result<AliasSet>> RollbackToPreviousChampionAsync(string service, AuditContext who, IVigilStore store, RoutingState routing, CancellationToken ct) =>
        ChangeAliasesAsync(service, who, store, routing, AuditActions.AliasRolledBack, set => set.Rollback(), ct);

    private static async Task<Result<AliasSet>> ChangeAliasesAsync(
        string service,
        AuditContext who,
        IVigilStore store,
        RoutingState routing,
        string action,
        Func<AliasSet, Result<AliasSet>> change,
        CancellationToken ct)
    {
        if (await store.GetServiceAsync(service, ct) is null)
        {
            return Failure.NotFound($"there is no service '{service}'; list them with 'vigil services list'");
        }

        var current = await store.GetAliasesAsync(service, ct);
        var next = change(current);
        if (!next.IsSuccess)
        {
            return next;
        }

        var updated = await store.UpdateAliasesAsync(service, current.Revision, next.Value!, action, who, ct);
        if (updated.IsSuccess)
        {
            // The next request in this process sees the change; other replicas rebuild on the store's notification.
            await routing.RebuildAsync(ct);
        }

        return updated;
    }

    private static async Task<IResult> HistoryAsync(string service, DateTimeOffset? at, IVigilStore store, CancellationToken ct)
    {
        if (await store.GetServiceAsync(service, ct) is null)
        {
            return UnknownService(service);
        }

        var changes = await store.GetAliasHistoryAsync(service, ct);
        int? championAt = null;
        if (at is { } t)
        {
            championAt = changes.Where(c => c.Alias == AliasNames.Champion && c.At <= t).Select(c => c.ToVersion).LastOrDefault();
        }

        return Results.Json(new HistoryView(service, changes, at, championAt), VigilJson.Options);
    }

    internal static AuditContext Who(HttpContext context, TimeProvider time) => new(context.Actor(), time.GetUtcNow());

    internal static IResult UnknownService(string service) =>
        Problems.NotFound($"there is no service '{service}'; list them with 'vigil services list'");

    private static async Task<ServiceView> ViewAsync(IVigilStore store, ServiceDefinition service, CancellationToken ct)
    {
        var aliases = await store.GetAliasesAsync(service.Name, ct);
        var versions = await store.ListVersionsAsync(service.Name, ct);
        return new ServiceView(service.Name, service.Description, service.Inputs, service.Output, service.CreatedAt, AliasesView.From(aliases), versions.Count);
    }

    private static VersionView View(ModelVersion version, AliasSet aliases)
    {
        var names = AliasNames.All.Where(a => aliases.Get(a) == version.Number).ToList();
        return new VersionView(version.Service, version.Number, version.Backend, version.Metadata, version.Metrics, version.CreatedAt, version.CreatedBy, names);
    }
}

using Vigil.Access;
using Vigil.Audit;
using Vigil.Persistence;
using Vigil.Server.Access;
using Vigil.Server.Api;
using Vigil.Server.Recording;

namespace Vigil.Server.ControlPlane;

/// <summary><c>/v1/status</c>, <c>/v1/services/{service}/status</c> and <c>/v1/audit</c>.</summary>
public static class StatusEndpoints
{
    /// <summary>Vigil's version (<see cref="Hosting.VigilBuild.Version"/>).</summary>
    public static string VigilVersion => Hosting.VigilBuild.Version;

    public static void MapStatusEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/v1/status", StatusAsync).RequireScope(ApiScopes.Read).WithTags("Status").Produces<StatusView>();
        app.MapGet("/v1/services/{service}/status", ServiceStatusAsync).RequireScope(ApiScopes.Read).WithTags("Status")
            .Produces<ServiceStatusView>().ProducesProblem(404);
        app.MapGet("/v1/audit", AuditAsync).RequireScope(ApiScopes.Read).WithTags("Audit").Produces<AuditList>().ProducesProblem(400);
    }

    private static async Task<IResult> StatusAsync(IVigilStore store, PredictionRecorder recorder, KeyRing keys, Hosting.ILeaderElection leader, CancellationToken ct)
    {
        var health = await store.CheckAsync(ct);
        var services = new List<ServiceStatusView>();
        foreach (var service in await store.ListServicesAsync(ct))
        {
            services.Add(await BuildServiceStatusAsync(store, service.Name, null, ct));
        }

        return Results.Json(
            new StatusView(VigilVersion, Hosting.VigilBuild.Commit, store.Description, health.Ready, keys.OpenMode, recorder.Snapshot(), await store.CountOrphanOutcomesAsync(ct), services, await LeaderAsync(leader, ct)),
            VigilJson.Options);
    }

    private static async Task<LeaderView> LeaderAsync(Hosting.ILeaderElection leader, CancellationToken ct)
    {
        var current = await leader.GetLeaderAsync(ct);
        return new LeaderView(current?.ReplicaId, current?.Since, leader.ReplicaId, leader.IsLeader);
    }

    private static async Task<IResult> ServiceStatusAsync(string service, DateTimeOffset? since, IVigilStore store, CancellationToken ct) =>
        await store.GetServiceAsync(service, ct) is null
            ? RegistryEndpoints.UnknownService(service)
            : Results.Json(await BuildServiceStatusAsync(store, service, since, ct), VigilJson.Options);

    private static async Task<ServiceStatusView> BuildServiceStatusAsync(IVigilStore store, string service, DateTimeOffset? since, CancellationToken ct)
    {
        var aliases = await store.GetAliasesAsync(service, ct);
        var traffic = await store.GetTrafficAsync(service, since, ct);
        return new ServiceStatusView(service, AliasesView.From(aliases), traffic, since);
    }

    private static async Task<IResult> AuditAsync(
        string? service,
        string? actor,
        string? action,
        DateTimeOffset? since,
        DateTimeOffset? until,
        int? limit,
        long? beforeId,
        IVigilStore store,
        CancellationToken ct)
    {
        if (limit is { } l && (l < 1 || l > AuditQuery.MaxLimit))
        {
            return Problems.BadRequest($"limit must be between 1 and {AuditQuery.MaxLimit}");
        }

        var events = await store.QueryAuditAsync(new AuditQuery(service, actor, action, since, until, limit ?? 100, beforeId), ct);
        return Results.Json(new AuditList(events), VigilJson.Options);
    }
}

using System.Text.Json.Nodes;
using Vigil.Persistence;

namespace Vigil.Server.ControlPlane;

/// <summary><c>/healthz</c> (the process is up) and <c>/readyz</c> (the store is reachable and migrated). Open: no key needed.</summary>
public static class HealthEndpoints
{
    public static void MapHealthEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/healthz", () => Results.Json(new JsonObject { ["status"] = "ok" })).WithTags("Health");
        app.MapGet("/readyz", async (IVigilStore store, CancellationToken ct) =>
        {
            var health = await store.CheckAsync(ct);
            var body = new JsonObject
            {
                ["status"] = health.Ready ? "ready" : "not ready",
                ["store"] = store.Description,
                ["store_reachable"] = health.Reachable,
                ["schema_version"] = health.SchemaVersion,
                ["latest_schema_version"] = health.LatestSchemaVersion,
            };
            if (health.Error is { } error)
            {
                body["error"] = error;
            }

            return Results.Json(body, statusCode: health.Ready ? 200 : 503);
        }).WithTags("Health");
    }
}

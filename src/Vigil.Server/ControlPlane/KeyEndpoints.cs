using Vigil.Access;
using Vigil.Persistence;
using Vigil.Server.Access;
using Vigil.Server.Api;

namespace Vigil.Server.ControlPlane;

/// <summary><c>/v1/keys</c>: API keys with scopes, created once, stored hashed.</summary>
public static class KeyEndpoints
{
    public const int MaxNameLength = 128;

    public static void MapKeyEndpoints(this IEndpointRouteBuilder app)
    {
        var keys = app.MapGroup("/v1/keys").WithTags("Access").RequireScope(ApiScopes.Admin);
        keys.MapGet("/", async (IVigilStore store, CancellationToken ct) =>
            Results.Json(new KeyList((await store.ListKeysAsync(ct)).Select(KeyView.From).ToList()), VigilJson.Options)).Produces<KeyList>();
        keys.MapPost("/", CreateAsync).Accepts<CreateKeyRequest>("application/json").Produces<CreatedKeyView>(201).ProducesProblem(422);
        keys.MapDelete("/{id}", async (string id, HttpContext context, IVigilStore store, KeyRing ring, TimeProvider time, CancellationToken ct) =>
        {
            var revoked = await store.RevokeKeyAsync(id, RegistryEndpoints.Who(context, time), ct);
            if (!revoked.IsSuccess)
            {
                return Problems.From(revoked.Failure!);
            }

            await ring.RefreshAsync(ct);
            return Results.Json(KeyView.From(revoked.Value!), VigilJson.Options);
        }).Produces<KeyView>().ProducesProblem(404);
    }

    private static async Task<IResult> CreateAsync(HttpContext context, IVigilStore store, KeyRing ring, TimeProvider time, CancellationToken ct)
    {
        var (request, error) = await RequestBody.ReadAsync<CreateKeyRequest>(context.Request, ct);
        if (error is not null)
        {
            return error;
        }

        var errors = new List<string>();
        if (string.IsNullOrWhiteSpace(request!.Name) || request.Name.Length > MaxNameLength)
        {
            errors.Add($"name: 1–{MaxNameLength} characters");
        }

        var scopes = ApiScopeNames.Parse(request.Scopes ?? []);
        if (!scopes.IsSuccess)
        {
            errors.AddRange(scopes.Failure!.Errors);
        }

        if (errors.Count > 0)
        {
            return Problems.Validation("the key request is invalid", errors);
        }

        var (key, secret) = ApiKeyFactory.Create(request.Name, scopes.Value, time.GetUtcNow());
        var created = await store.CreateKeyAsync(key, RegistryEndpoints.Who(context, time), ct);
        if (!created.IsSuccess)
        {
            return Problems.From(created.Failure!);
        }

        await ring.RefreshAsync(ct);
        return Results.Json(new CreatedKeyView(key.Id, key.Name, ApiScopeNames.Format(key.Scopes), secret), VigilJson.Options, statusCode: StatusCodes.Status201Created);
    }
}

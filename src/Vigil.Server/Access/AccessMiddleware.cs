using Vigil.Access;
using Vigil.Server.Api;

namespace Vigil.Server.Access;

/// <summary>Endpoint metadata: the scope a caller's key needs. Endpoints without it are open (health checks).</summary>
public sealed record RequiredScope(ApiScopes Scope);

/// <summary>
/// Checks the <c>Authorization: Bearer vgl_…</c> key against the endpoint's <see cref="RequiredScope"/>: 401 without a valid
/// key, 403 without the scope. In open mode every request passes as actor <c>local</c>.
/// </summary>
public sealed class AccessMiddleware(RequestDelegate next, KeyRing keys)
{
    /// <summary>The HttpContext item holding the actor's name, for audit events.</summary>
    public const string ActorItem = "vigil.actor";

    public Task InvokeAsync(HttpContext context)
    {
        var required = context.GetEndpoint()?.Metadata.GetMetadata<RequiredScope>();
        if (required is null)
        {
            return next(context);
        }

        if (keys.OpenMode)
        {
            // No actor item: Items would allocate a dictionary on every request, predictions included; Actor() answers
            // "local" in open mode.
            return next(context);
        }

        var header = context.Request.Headers.Authorization.ToString();
        const string bearer = "Bearer ";
        if (!header.StartsWith(bearer, StringComparison.OrdinalIgnoreCase))
        {
            return Reject(context, StatusCodes.Status401Unauthorized, "this endpoint needs an API key: send 'Authorization: Bearer vgl_…' (create one with 'vigil keys create')");
        }

        var key = keys.Authenticate(header[bearer.Length..].Trim());
        if (key is null)
        {
            return Reject(context, StatusCodes.Status401Unauthorized, "the API key is not valid or has been revoked");
        }

        if (!key.Allows(required.Scope))
        {
            return Reject(context, StatusCodes.Status403Forbidden, $"the API key '{key.Name}' lacks the '{required.Scope.ToString().ToLowerInvariant()}' scope this endpoint needs");
        }

        context.Items[ActorItem] = key.Name;
        return next(context);
    }

    private static Task Reject(HttpContext context, int status, string detail)
    {
        if (status == StatusCodes.Status401Unauthorized)
        {
            context.Response.Headers.WWWAuthenticate = "Bearer";
        }

        return Problems.Problem(status, Problems.Title(status), detail).ExecuteAsync(context);
    }
}

/// <summary>Helpers for declaring scopes on endpoints and reading the actor.</summary>
public static class AccessExtensions
{
    public static TBuilder RequireScope<TBuilder>(this TBuilder builder, ApiScopes scope)
        where TBuilder : IEndpointConventionBuilder
    {
        builder.WithMetadata(new RequiredScope(scope));
        return builder;
    }

    /// <summary>The caller's key name, or <c>local</c> in open mode (every request allowed), else <c>anonymous</c>.</summary>
    public static string Actor(this HttpContext context) =>
        context.Items.TryGetValue(AccessMiddleware.ActorItem, out var actor) && actor is string name ? name
        : context.RequestServices.GetService<KeyRing>()?.OpenMode == true ? "local"
        : "anonymous";
}

using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Vigil.Access;
using Vigil.Audit;
using Vigil.Persistence;
using Vigil.Releases;
using Vigil.Routing.Flags;
using Vigil.Server.Access;
using Vigil.Server.ControlPlane;
using Vigil.Server.Dashboard.Components;
using Vigil.Server.Releases;
using Vigil.Server.Routing;

namespace Vigil.Server.Dashboard;

/// <summary>
/// The dashboard (docs/dashboard.md): Razor components rendered on the server (static SSR) at <c>/</c>, the login and the
/// action forms under <c>/dashboard</c>, and the HTML fragment the release progress refreshes itself from.
/// </summary>
public static class DashboardEndpoints
{
    /// <summary>Registers the Razor components and the dashboard's session.</summary>
    public static IServiceCollection AddVigilDashboard(this IServiceCollection services)
    {
        services.AddRazorComponents();
        services.AddAntiforgery(o => o.Cookie.Name = "vigil_antiforgery");
        services.AddSingleton<DashboardSession>();
        services.AddSingleton<DashboardQueries>();
        return services;
    }

    /// <summary>Maps the pages, the forms and the fragment, with the dashboard's access check and antiforgery.</summary>
    public static WebApplication MapVigilDashboard(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);

        // Runs after Vigil's API key check, which lets these endpoints through (they carry no RequiredScope): a browser sends a cookie, not a bearer key.
        app.Use(async (context, next) =>
        {
            var scope = context.GetEndpoint()?.Metadata.GetMetadata<DashboardScopeAttribute>();
            if (scope is null || await context.RequestServices.GetRequiredService<DashboardSession>().AdmitAsync(context, scope.Scope))
            {
                await next(context);
            }
        });
        app.UseAntiforgery();
        app.MapTrafficSeriesEndpoints();
        app.MapRazorComponents<App>().ExcludeFromDescription();

        var dashboard = app.MapGroup("/dashboard").ExcludeFromDescription();
        dashboard.MapPost("/login", Login);
        dashboard.MapPost("/logout", (HttpContext context) =>
        {
            DashboardSession.SignOut(context);
            return Results.Redirect("/login");
        });
        dashboard.MapGet("/fragments/release/{service}", (string service) =>
                new RazorComponentResult<ReleaseLive>(new Dictionary<string, object?> { [nameof(ReleaseLive.Service)] = service }))
            .WithMetadata(new DashboardScopeAttribute(ApiScopes.Read));
        dashboard.MapDashboardFragments();
        dashboard.MapPost("/actions/releases/{id}/{verb}", ReleaseActionAsync).WithMetadata(new DashboardScopeAttribute(ApiScopes.Admin));
        dashboard.MapPost("/actions/services/{service}/kill", (string service, [FromForm] ActionForm form, HttpContext context, IVigilStore store, RoutingState routing, ReleaseService releases, TimeProvider time, CancellationToken ct) =>
                FlagActionAsync(service, ServiceFlag.KeyFor(service), enabled: false, form, context, store, routing, releases, time, ct))
            .WithMetadata(new DashboardScopeAttribute(ApiScopes.Admin));
        dashboard.MapPost("/actions/services/{service}/revive", (string service, [FromForm] ActionForm form, HttpContext context, IVigilStore store, RoutingState routing, ReleaseService releases, TimeProvider time, CancellationToken ct) =>
                FlagActionAsync(service, ServiceFlag.KeyFor(service), enabled: true, form, context, store, routing, releases, time, ct))
            .WithMetadata(new DashboardScopeAttribute(ApiScopes.Admin));
        dashboard.MapPost("/actions/services/{service}/rollback", RollbackActionAsync).WithMetadata(new DashboardScopeAttribute(ApiScopes.Admin));
        return app;
    }

    /// <summary>Every action form: a reason and an explicit confirmation, and where to go back to.</summary>
    public sealed class ActionForm
    {
        public string? Reason { get; set; }

        public string? Confirm { get; set; }

        public string? Return { get; set; }
    }

    /// <summary>The login form.</summary>
    public sealed class LoginForm
    {
        public string? Key { get; set; }

        public string? Return { get; set; }
    }

    private static RedirectHttpResult Login([FromForm] LoginForm form, HttpContext context, DashboardSession session)
    {
        var back = DashboardSession.SafeReturn(form.Return);
        if (string.IsNullOrWhiteSpace(form.Key) || session.SignIn(context, form.Key) is null)
        {
            return TypedResults.Redirect("/login?error=1&return=" + Uri.EscapeDataString(back));
        }

        return TypedResults.Redirect(back);
    }

    private static async Task<RedirectHttpResult> ReleaseActionAsync(
        string id, string verb, [FromForm] ActionForm form, HttpContext context, ReleaseService releases, IVigilStore store, TimeProvider time, CancellationToken ct)
    {
        ReleaseCommandKind? kind = verb switch
        {
            "pause" => ReleaseCommandKind.Pause,
            "resume" => ReleaseCommandKind.Resume,
            "abort" => ReleaseCommandKind.Abort,
            "approve" => ReleaseCommandKind.Approve,
            "kill" => ReleaseCommandKind.KillSwitchOff,
            _ => null,
        };
        var release = await store.GetReleaseAsync(id, ct);
        var back = DashboardSession.SafeReturn(form.Return ?? (release is null ? "/" : "/services/" + Uri.EscapeDataString(release.Service)));
        if (kind is null || release is null)
        {
            return Back(back, false, kind is null ? $"there is no release action '{verb}'" : $"there is no release '{id}'");
        }

        if (Unconfirmed(form) is { } missing)
        {
            return Back(back, false, missing);
        }

        // The same call as POST /v1/releases/{id}/{verb}: persisted, audited and applied by the release service.
        var done = await releases.CommandAsync(id, kind.Value, Who(context, time, form), ct);
        return done.IsSuccess
            ? Back(back, true, $"{verb}: release {id} is now {done.Value!.Status}")
            : Back(back, false, $"{verb} failed: {done.Failure!.Message}");
    }

    private static async Task<RedirectHttpResult> FlagActionAsync(
        string service, string key, bool enabled, ActionForm form, HttpContext context, IVigilStore store, RoutingState routing, ReleaseService releases, TimeProvider time, CancellationToken ct)
    {
        var back = DashboardSession.SafeReturn(form.Return ?? "/services/" + Uri.EscapeDataString(service));
        if (Unconfirmed(form) is { } missing)
        {
            return Back(back, false, missing);
        }

        // The same code as POST /v1/flags/{key}/on|off.
        var switched = await FlagEndpoints.SwitchFlagAsync(key, enabled, Who(context, time, form), store, routing, releases, ct);
        return switched.IsSuccess
            ? Back(back, true, enabled ? $"service '{service}' is back on: its models answer again" : $"kill switch: service '{service}' answers with its fallback, no model is called")
            : Back(back, false, "the switch failed: " + switched.Failure!.Message);
    }

    private static async Task<RedirectHttpResult> RollbackActionAsync(
        string service, [FromForm] ActionForm form, HttpContext context, IVigilStore store, RoutingState routing, TimeProvider time, CancellationToken ct)
    {
        var back = DashboardSession.SafeReturn(form.Return ?? "/services/" + Uri.EscapeDataString(service));
        if (Unconfirmed(form) is { } missing)
        {
            return Back(back, false, missing);
        }

        // The same code as POST /v1/services/{service}/rollback.
        var rolled = await RegistryEndpoints.RollbackToPreviousChampionAsync(service, Who(context, time, form), store, routing, ct);
        return rolled.IsSuccess
            ? Back(back, true, $"rolled back: v{rolled.Value!.Champion} is champion of '{service}' again")
            : Back(back, false, "the rollback failed: " + rolled.Failure!.Message);
    }

    private static string? Unconfirmed(ActionForm form) =>
        form.Confirm != "yes" ? "nothing was changed: tick the confirmation box to confirm"
        : string.IsNullOrWhiteSpace(form.Reason) ? "nothing was changed: give a reason (it goes into the audit log)"
        : null;

    private static AuditContext Who(HttpContext context, TimeProvider time, ActionForm form) =>
        new(context.Actor(), time.GetUtcNow(), form.Reason!.Trim());

    private static RedirectHttpResult Back(string path, bool ok, string message)
    {
        var separator = path.Contains('?', StringComparison.Ordinal) ? '&' : '?';
        return TypedResults.Redirect($"{path}{separator}{(ok ? "done" : "failed")}={Uri.EscapeDataString(message)}");
    }
}

using System.Security.Cryptography;
using Microsoft.AspNetCore.DataProtection;
using Vigil.Access;
using Vigil.Server.Access;

namespace Vigil.Server.Dashboard;

/// <summary>Who is looking at the dashboard: the API key's name (or <c>local</c> in open mode) and whether it may act.</summary>
public sealed record DashboardUser(string Name, bool CanAct, bool OpenMode);

/// <summary>
/// The dashboard's login: the API key a person pasted is kept in an HttpOnly, SameSite=Strict cookie, encrypted and signed
/// with ASP.NET Core Data Protection. Every request authenticates it again against the key ring, so a revoked key is out at once.
/// </summary>
public sealed class DashboardSession(KeyRing keys, IDataProtectionProvider protection)
{
    /// <summary>The cookie holding the protected key.</summary>
    public const string CookieName = "vigil_dashboard";

    /// <summary>The HttpContext item holding the <see cref="DashboardUser"/>.</summary>
    public const string UserItem = "vigil.dashboard.user";

    private readonly IDataProtector _protector = protection.CreateProtector("Vigil.Dashboard.ApiKey.v1");

    /// <summary>Whether everyone is let in (loopback with no keys).</summary>
    public bool OpenMode => keys.OpenMode;

    /// <summary>The key in the request's cookie, when it is valid and not revoked.</summary>
    public ApiKey? Authenticate(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (!context.Request.Cookies.TryGetValue(CookieName, out var cookie) || string.IsNullOrEmpty(cookie))
        {
            return null;
        }

        try
        {
            return keys.Authenticate(_protector.Unprotect(cookie));
        }
        catch (CryptographicException)
        {
            return null;
        }
    }

    /// <summary>Checks <paramref name="presented"/> and, when valid, keeps it in the cookie.</summary>
    public ApiKey? SignIn(HttpContext context, string presented)
    {
        ArgumentNullException.ThrowIfNull(context);
        var key = keys.Authenticate(presented.Trim());
        if (key is null)
        {
            return null;
        }

        context.Response.Cookies.Append(CookieName, _protector.Protect(presented.Trim()), new CookieOptions
        {
            HttpOnly = true,
            SameSite = SameSiteMode.Strict,
            Secure = context.Request.IsHttps,
            Path = "/",
            IsEssential = true,
        });
        return key;
    }

    public static void SignOut(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        context.Response.Cookies.Delete(CookieName, new CookieOptions { Path = "/" });
    }

    /// <summary>The user the access check let in for this request.</summary>
    public static DashboardUser? User(HttpContext? context) =>
        context?.Items.TryGetValue(UserItem, out var user) == true ? user as DashboardUser : null;

    /// <summary>Lets the request in when the user may see it (sets the actor for audit events), or answers it: a redirect to the login page, or 403.</summary>
    internal async Task<bool> AdmitAsync(HttpContext context, ApiScopes scope)
    {
        if (keys.OpenMode)
        {
            context.Items[AccessMiddleware.ActorItem] = "local";
            context.Items[UserItem] = new DashboardUser("local", CanAct: true, OpenMode: true);
            return true;
        }

        var key = Authenticate(context);
        if (key is null)
        {
            var back = context.Request.Path + context.Request.QueryString;
            context.Response.Redirect("/login?return=" + Uri.EscapeDataString(HttpMethods.IsGet(context.Request.Method) ? back : "/"));
            return false;
        }

        if (!key.Allows(scope))
        {
            context.Response.StatusCode = StatusCodes.Status403Forbidden;
            context.Response.ContentType = "text/html; charset=utf-8";
            await context.Response.WriteAsync(
                $"<!doctype html><title>Vigil: not allowed</title><p>The API key '{System.Net.WebUtility.HtmlEncode(key.Name)}' lacks the " +
                $"'{scope.ToString().ToLowerInvariant()}' scope this needs. <a href=\"/login\">Log in with another key</a>.</p>");
            return false;
        }

        context.Items[AccessMiddleware.ActorItem] = key.Name;
        context.Items[UserItem] = new DashboardUser(key.Name, key.Allows(ApiScopes.Admin), OpenMode: false);
        return true;
    }

    /// <summary>A local path to go back to, never another site.</summary>
    public static string SafeReturn(string? path) =>
        path is { Length: > 0 } p && p[0] == '/' && !p.StartsWith("//", StringComparison.Ordinal) && !p.StartsWith("/\\", StringComparison.Ordinal) ? p : "/";
}

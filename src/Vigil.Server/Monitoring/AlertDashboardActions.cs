using System.Globalization;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Vigil.Access;
using Vigil.Audit;
using Vigil.Monitoring;
using Vigil.Persistence;
using Vigil.Server.Access;
using Vigil.Server.Dashboard;

namespace Vigil.Server.Monitoring;

/// <summary>
/// The alerts page's forms (admins only, antiforgery, a confirmation and a reason, like the release forms): acknowledge an
/// alert, silence what matches an alert for some hours, end a silence early. The same store calls as the API, audited.
/// </summary>
public static class AlertDashboardActions
{
    /// <summary>The silence lengths the page offers, in hours.</summary>
    public static readonly IReadOnlyList<int> SilenceHours = [1, 4, 24, 72];

    /// <summary>The alert and silence forms.</summary>
    public sealed class AlertForm
    {
        public string? Reason { get; set; }

        public string? Confirm { get; set; }

        public string? Return { get; set; }

        public string? Service { get; set; }

        public string? Monitor { get; set; }

        public string? Subject { get; set; }

        public int? Hours { get; set; }
    }

    public static void MapAlertDashboardActions(this IEndpointRouteBuilder app)
    {
        var actions = app.MapGroup("/dashboard/actions").ExcludeFromDescription();
        actions.MapPost("/alerts/{id}/ack", AckAsync).WithMetadata(new DashboardScopeAttribute(ApiScopes.Admin));
        actions.MapPost("/silences", SilenceAsync).WithMetadata(new DashboardScopeAttribute(ApiScopes.Admin));
        actions.MapPost("/silences/{id}/expire", ExpireAsync).WithMetadata(new DashboardScopeAttribute(ApiScopes.Admin));
    }

    private static async Task<RedirectHttpResult> AckAsync(string id, [FromForm] AlertForm form, HttpContext context, IVigilStore store, LiveMonitoring monitoring, TimeProvider time, CancellationToken ct)
    {
        var back = DashboardSession.SafeReturn(form.Return ?? "/alerts");
        if (Unconfirmed(form) is { } missing)
        {
            return Back(back, false, missing);
        }

        var acked = await store.AckAlertAsync(id, form.Reason!.Trim(), Who(context, time, form), ct);
        if (!acked.IsSuccess)
        {
            return Back(back, false, "the ack failed: " + acked.Failure!.Message);
        }

        monitoring.Stored(acked.Value!);
        return Back(back, true, $"acknowledged {acked.Value!.Status.Monitor} on {acked.Value.Status.Subject} ({acked.Value.Service})");
    }

    private static async Task<RedirectHttpResult> SilenceAsync([FromForm] AlertForm form, HttpContext context, IVigilStore store, LiveMonitoring monitoring, TimeProvider time, CancellationToken ct)
    {
        var back = DashboardSession.SafeReturn(form.Return ?? "/alerts");
        if (Unconfirmed(form) is { } missing)
        {
            return Back(back, false, missing);
        }

        var now = time.GetUtcNow();
        var hours = form.Hours is { } h && SilenceHours.Contains(h) ? h : 0;
        var errors = Silence.Validate(Empty(form.Service), Empty(form.Monitor), Empty(form.Subject), hours > 0 ? now.AddHours(hours) : null, form.Reason, now);
        if (errors.Count > 0)
        {
            return Back(back, false, "nothing was changed: " + string.Join("; ", errors));
        }

        var silence = new Silence(
            "sil-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6)), Empty(form.Service), Empty(form.Monitor), Empty(form.Subject),
            now, now.AddHours(hours), context.Actor(), form.Reason!.Trim(), now);
        var created = await store.CreateSilenceAsync(silence, Who(context, time, form), ct);
        return created.IsSuccess
            ? Back(back, true, $"silenced for {hours.ToString(CultureInfo.InvariantCulture)} h until {silence.EndsAt:yyyy-MM-dd HH:mm} UTC ({created.Value!.Id})")
            : Back(back, false, "the silence failed: " + created.Failure!.Message);
    }

    private static async Task<RedirectHttpResult> ExpireAsync(string id, [FromForm] AlertForm form, HttpContext context, IVigilStore store, TimeProvider time, CancellationToken ct)
    {
        var back = DashboardSession.SafeReturn(form.Return ?? "/alerts");
        if (Unconfirmed(form) is { } missing)
        {
            return Back(back, false, missing);
        }

        var expired = await store.ExpireSilenceAsync(id, Who(context, time, form), ct);
        return expired.IsSuccess ? Back(back, true, $"silence {id} ended") : Back(back, false, "ending the silence failed: " + expired.Failure!.Message);
    }

    private static string? Empty(string? text) => string.IsNullOrWhiteSpace(text) ? null : text.Trim();

    private static string? Unconfirmed(AlertForm form) =>
        form.Confirm != "yes" ? "nothing was changed: tick the confirmation box to confirm"
        : string.IsNullOrWhiteSpace(form.Reason) ? "nothing was changed: give a reason (it goes into the audit log)"
        : null;

    private static AuditContext Who(HttpContext context, TimeProvider time, AlertForm form) => new(context.Actor(), time.GetUtcNow(), form.Reason!.Trim());

    private static RedirectHttpResult Back(string path, bool ok, string message)
    {
        var separator = path.Contains('?', StringComparison.Ordinal) ? '&' : '?';
        return TypedResults.Redirect($"{path}{separator}{(ok ? "done" : "failed")}={Uri.EscapeDataString(message)}");
    }
}

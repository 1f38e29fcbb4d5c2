using Microsoft.AspNetCore.Http.HttpResults;
using Vigil.Access;
using Vigil.Server.Dashboard.Components;

namespace Vigil.Server.Dashboard;

/// <summary>
/// The HTML fragments the live parts of the pages refresh themselves from (App.razor's script swaps each
/// <c>[data-live]</c> element's content every 5 s): the same components the pages render, rendered alone.
/// </summary>
public static class DashboardFragments
{
    public static void MapDashboardFragments(this RouteGroupBuilder dashboard)
    {
        ArgumentNullException.ThrowIfNull(dashboard);
        dashboard.MapGet("/fragments/lights/{service}", (string service) =>
                new RazorComponentResult<LayerLights>(new Dictionary<string, object?> { [nameof(LayerLights.Service)] = service }))
            .WithMetadata(new DashboardScopeAttribute(ApiScopes.Read));
        dashboard.MapGet("/fragments/alerts", (bool? firing, string? service) =>
                new RazorComponentResult<AlertsTable>(new Dictionary<string, object?>
                {
                    [nameof(AlertsTable.FiringOnly)] = firing ?? false,
                    [nameof(AlertsTable.Service)] = service,
                }))
            .WithMetadata(new DashboardScopeAttribute(ApiScopes.Read));
        dashboard.MapGet("/fragments/alerts-page", () => new RazorComponentResult<AlertOperationsTable>())
            .WithMetadata(new DashboardScopeAttribute(ApiScopes.Read));
        // The monitoring sections keep the page's sort and chosen feature: they read them from this URL's query.
        dashboard.MapGet("/fragments/monitoring/{service}", (string service) =>
                new RazorComponentResult<MonitoringSections>(new Dictionary<string, object?> { [nameof(MonitoringSections.Service)] = service }))
            .WithMetadata(new DashboardScopeAttribute(ApiScopes.Read));
    }
}

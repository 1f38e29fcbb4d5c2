using System.Net;
using System.Text;
using Vigil.Server.Access;
using Vigil.Server.Routing;

namespace Vigil.Server.ControlPlane;

/// <summary>
/// <c>GET /</c>: a plain page listing the services, their champions and the API's entry points. It reads the routing
/// snapshot only. The dashboard (issue 7) replaces it.
/// </summary>
public static class HomePage
{
    public static void MapHomePage(this IEndpointRouteBuilder app) =>
        app.MapGet("/", (RoutingState routing) =>
        {
            var html = new StringBuilder();
            html.Append("""
                <!doctype html><html lang="en"><head><meta charset="utf-8"><title>Vigil</title>
                <meta name="viewport" content="width=device-width, initial-scale=1">
                <style>body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#1b1b1b}
                table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #ddd;padding:.4rem;text-align:left}
                code{background:#f3f3f3;padding:0 .2rem}</style></head><body>
                <h1>Vigil</h1>
                """);
            var services = routing.Current.Services.Values.OrderBy(s => s.Service.Name, StringComparer.Ordinal).ToList();
            if (services.Count == 0)
            {
                html.Append("<p>No services yet. Create one with <code>vigil services create -f service.yaml</code>, then register a model with <code>vigil models register SERVICE --backend onnx --location model.onnx --alias champion</code>.</p>");
            }
            else
            {
                html.Append("<table><thead><tr><th>service</th><th>champion</th><th>challenger</th><th>previous champion</th><th>inputs</th></tr></thead><tbody>");
                foreach (var route in services)
                {
                    var name = WebUtility.HtmlEncode(route.Service.Name);
                    html.Append($"<tr><td><a href=\"/v1/services/{name}/status\">{name}</a></td><td>{Version(route.Aliases.Champion)}</td><td>{Version(route.Aliases.Challenger)}</td><td>{Version(route.Aliases.PreviousChampion)}</td><td>{route.Service.Inputs.Count}</td></tr>");
                }

                html.Append("</tbody></table>");
            }

            html.Append("""
                <h2>Look</h2><ul>
                <li><a href="/v1/status">/v1/status</a>: recorder, store, traffic per version and arm</li>
                <li><a href="/v1/audit">/v1/audit</a>: every control-plane change</li>
                <li><a href="/metrics">/metrics</a>: Prometheus metrics</li>
                <li><a href="/openapi/v1.json">/openapi/v1.json</a>: the HTTP API</li>
                <li><a href="/readyz">/readyz</a>: readiness</li></ul>
                </body></html>
                """);
            return Results.Content(html.ToString(), "text/html; charset=utf-8");
        }).RequireScope(Vigil.Access.ApiScopes.Read).ExcludeFromDescription();

    private static string Version(int? version) => version is { } v ? "v" + v : "—";
}

using Vigil.Access;
using Vigil.Server.Access;
using Vigil.Server.Api;

namespace Vigil.Server.Retraining;

/// <summary>Body of <c>POST /v1/services/{service}/drill</c>: the degradation and how much recent traffic to replay (default 1d).</summary>
public sealed record DrillRequest(string Degrade, string? Window = null);

/// <summary><c>POST /v1/services/{service}/drill</c>: the detection drill (docs/retraining.md, "Detection drill").</summary>
public static class DrillEndpoints
{
    /// <summary>The traffic a drill replays when the request names no window.</summary>
    public static readonly TimeSpan DefaultWindow = TimeSpan.FromDays(1);

    public static void MapDrillEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapPost("/v1/services/{service}/drill", DrillAsync).RequireScope(ApiScopes.Admin).WithTags("Retraining")
            .Accepts<DrillRequest>("application/json").Produces<DrillReport>().ProducesProblem(400).ProducesProblem(404).ProducesProblem(422);
    }

    private static async Task<IResult> DrillAsync(string service, HttpContext context, DetectionDrill drill, CancellationToken ct)
    {
        var (request, error) = await RequestBody.ReadAsync<DrillRequest>(context.Request, ct);
        if (error is not null)
        {
            return error;
        }

        var spec = DrillSpec.Parse(request!.Degrade);
        if (!spec.IsSuccess)
        {
            return Problems.BadRequest(spec.Failure!.Message);
        }

        var window = DefaultWindow;
        if (request.Window is { } text)
        {
            if (!Duration.TryParse(text, out var parsed) || parsed.Value <= TimeSpan.Zero || parsed.Value > TimeSpan.FromDays(90))
            {
                return Problems.BadRequest($"window: '{text}' must be a duration from 1s to 90d, such as 1d or 12h");
            }

            window = parsed.Value;
        }

        var report = await drill.RunAsync(service, spec.Value!, window, context.Actor(), ct);
        return report.IsSuccess ? Results.Json(report.Value, VigilJson.Options) : Problems.From(report.Failure!);
    }
}

using System.Globalization;
using System.Text.Json;
using Vigil.Access;
using Vigil.Monitoring.Layers;
using Vigil.Persistence;
using Vigil.Server.Access;
using Vigil.Server.Api;
using Vigil.Server.ControlPlane;

namespace Vigil.Server.Monitoring.Layers;

/// <summary>A service's monitoring settings as the API shows them.</summary>
public sealed record MonitoringSettingsView(string Service, MonitoringSettings Settings, long Revision, DateTimeOffset? UpdatedAt);

/// <summary>Answer of <c>POST /v1/business-metrics</c>.</summary>
public sealed record BusinessMetricsStored(int Stored);

/// <summary>Body of <c>POST /v1/services/{s}/monitors/test</c>: the monitors to try (null: the service's own).</summary>
public sealed record MonitorTestRequest(IReadOnlyList<Vigil.Monitoring.MonitorDefinition>? Monitors = null);

/// <summary>Answer of <c>POST /v1/services/{s}/monitors/test</c>.</summary>
public sealed record MonitorTestView(string Service, DateTimeOffset From, DateTimeOffset To, double StepSeconds, int Monitors, IReadOnlyList<MonitorTestAlert> Alerts);

/// <summary>Answer of <c>GET /v1/business-metrics</c>.</summary>
public sealed record BusinessMetricList(IReadOnlyList<BusinessMetricPoint> Points);

/// <summary>
/// The monitoring layers' own endpoints (docs/monitoring.md): per-service settings (input policy, segments, refusal
/// patterns, outcome window), business metrics in and out, and the performance layer.
/// </summary>
public static class LayerEndpoints
{
    /// <summary>The most points one <c>POST /v1/business-metrics</c> may carry.</summary>
    public const int MaxBusinessPoints = 10_000;

    /// <summary>The most points one <c>GET /v1/business-metrics</c> returns.</summary>
    public const int MaxBusinessQuery = 10_000;

    /// <summary>How far in the future a business-metric timestamp may be (clock skew between the sender and Vigil).</summary>
    public static readonly TimeSpan FutureTolerance = TimeSpan.FromMinutes(5);

    public static void MapLayerEndpoints(this IEndpointRouteBuilder app)
    {
        // The settings hold monitors, whose Duration defaults the OpenAPI schema exporter cannot write: no schema for them, as for /v1/monitors.
        app.MapGet("/v1/services/{service}/monitoring", GetSettingsAsync).RequireScope(ApiScopes.Read).WithTags("Monitoring")
            .ProducesProblem(404);
        app.MapPut("/v1/services/{service}/monitoring", PutSettingsAsync).RequireScope(ApiScopes.Admin).WithTags("Monitoring")
            .ProducesProblem(400).ProducesProblem(404).ProducesProblem(422);
        app.MapPost("/v1/business-metrics", PostBusinessMetricsAsync).RequireScope(ApiScopes.Ingest).WithTags("Monitoring")
            .Produces<BusinessMetricsStored>().ProducesProblem(400).ProducesProblem(404).ProducesProblem(413).ProducesProblem(422);
        app.MapGet("/v1/business-metrics", GetBusinessMetricsAsync).RequireScope(ApiScopes.Read).WithTags("Monitoring")
            .Produces<BusinessMetricList>().ProducesProblem(400);
        app.MapGet("/v1/services/{service}/performance", GetPerformanceAsync).RequireScope(ApiScopes.Read).WithTags("Monitoring")
            .Produces<PerformanceView>().ProducesProblem(400).ProducesProblem(404);
        app.MapPost("/v1/services/{service}/monitors/test", TestMonitorsAsync).RequireScope(ApiScopes.Read).WithTags("Monitoring")
            .Produces<MonitorTestView>().ProducesProblem(400).ProducesProblem(404).ProducesProblem(422);
    }

    /// <summary>The most evaluation steps one monitors test may take.</summary>
    public const int MaxTestSteps = 2_000;

    private static async Task<IResult> TestMonitorsAsync(
        string service, string? from, string? to, string? step, HttpRequest request, IVigilStore store, LayerSettingsCache cache, LayerMonitorEvaluator evaluator,
        TimeProvider time, CancellationToken ct)
    {
        var errors = new List<string>();
        var t = ParseTime(to, "to", errors) ?? time.GetUtcNow();
        var f = ParseTime(from, "from", errors) ?? t - TimeSpan.FromDays(7);
        var every = TimeSpan.FromHours(1);
        if (step is not null)
        {
            if (Duration.TryParse(step, out var parsed) && parsed.Value > TimeSpan.Zero)
            {
                every = parsed.Value;
            }
            else
            {
                errors.Add($"step: '{step}' is not a duration such as 5m, 1h or 1d");
            }
        }

        if (f >= t)
        {
            errors.Add("from must be before to");
        }
        else if ((t - f) / every > MaxTestSteps)
        {
            errors.Add($"from–to holds more than {MaxTestSteps} steps of {every}; use a longer step or a shorter range");
        }

        if (errors.Count > 0)
        {
            return Problems.Validation("the query is invalid", errors, StatusCodes.Status400BadRequest);
        }

        if (await store.GetServiceAsync(service, ct) is null)
        {
            return Problems.NotFound($"there is no service '{service}'; list them with 'vigil services list'");
        }

        var (body, error) = await RequestBody.ReadAsync<MonitorTestRequest>(request, ct);
        if (error is not null)
        {
            return error;
        }

        var monitors = body!.Monitors ?? cache.For(service).EffectiveMonitors;
        var problems = DefaultLayerMonitors.Validate(monitors);
        if (problems.Count > 0)
        {
            return Problems.Validation($"the monitors have {problems.Count} problem{(problems.Count == 1 ? "" : "s")}", problems);
        }

        var alerts = await evaluator.TestAsync(service, monitors, f, t, every, ct);
        return TypedResults.Json(new MonitorTestView(service, f, t, every.TotalSeconds, monitors.Count, alerts), VigilJson.Options);
    }

    /// <summary>The default range of <c>GET /v1/services/{s}/performance</c> when <c>from</c> is not given.</summary>
    public static readonly TimeSpan DefaultPerformanceRange = TimeSpan.FromDays(7);

    private static async Task<IResult> GetPerformanceAsync(
        string service, string? from, string? to, string? segment, IVigilStore store, PerformanceLayer performance, TimeProvider time, CancellationToken ct)
    {
        var errors = new List<string>();
        // Without 'to', the range ends just after now so that a prediction made this instant counts (the end is exclusive).
        var t = ParseTime(to, "to", errors) ?? time.GetUtcNow().AddMilliseconds(1);
        var f = ParseTime(from, "from", errors) ?? t - DefaultPerformanceRange;
        if (f >= t)
        {
            errors.Add("from must be before to");
        }

        if (segment is not null && (segment.Length is 0 or > 128 || !segment.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-')))
        {
            errors.Add($"segment: '{segment}' is not a request attribute name (letters, digits, '_' and '-')");
        }

        if (errors.Count > 0)
        {
            return Problems.Validation("the query is invalid", errors, StatusCodes.Status400BadRequest);
        }

        if (await store.GetServiceAsync(service, ct) is null)
        {
            return Problems.NotFound($"there is no service '{service}'; list them with 'vigil services list'");
        }

        return TypedResults.Json(await performance.ComputeAsync(service, f, t, segment, ct), VigilJson.Options);
    }

    private static async Task<IResult> GetSettingsAsync(string service, IVigilStore store, CancellationToken ct)
    {
        if (await store.GetServiceAsync(service, ct) is null)
        {
            return Problems.NotFound($"there is no service '{service}'; list them with 'vigil services list'");
        }

        var stored = await store.GetMonitoringSettingsAsync(service, ct);
        return TypedResults.Json(
            stored is null ? new MonitoringSettingsView(service, MonitoringSettings.Default, 0, null) : new MonitoringSettingsView(service, stored.Settings, stored.Revision, stored.UpdatedAt),
            VigilJson.Options);
    }

    private static async Task<IResult> PutSettingsAsync(string service, HttpContext context, IVigilStore store, LayerSettingsCache cache, LiveMonitoring monitoring, TimeProvider time, CancellationToken ct)
    {
        var (settings, error) = await RequestBody.ReadAsync<MonitoringSettings>(context.Request, ct);
        if (error is not null)
        {
            return error;
        }

        var errors = settings!.Validate();
        if (errors.Count > 0)
        {
            return Problems.Validation($"the monitoring settings have {errors.Count} problem{(errors.Count == 1 ? "" : "s")}", errors);
        }

        var saved = await store.PutMonitoringSettingsAsync(service, settings, RegistryEndpoints.Who(context, time), ct);
        if (!saved.IsSuccess)
        {
            return Problems.From(saved.Failure!);
        }

        // The refresher follows the change too; reloading here makes the new policy hold for this replica's next request.
        await cache.ReloadAsync(ct);
        monitoring.ResetEngines(service); // its window monitors may have changed
        var s = saved.Value!;
        return TypedResults.Json(new MonitoringSettingsView(service, s.Settings, s.Revision, s.UpdatedAt), VigilJson.Options);
    }

    /// <summary>Body: <c>{"points": [{"name": "retention_d7", "value": 0.41, "timestamp": "…", "service": …, "version": …, "arm": …, "segment": …}]}</c>.</summary>
    private static async Task<IResult> PostBusinessMetricsAsync(HttpRequest request, IVigilStore store, TimeProvider time, CancellationToken ct)
    {
        var (document, error) = await RequestBody.ReadDocumentAsync(request, ct);
        if (error is not null)
        {
            return error;
        }

        List<BusinessMetricPoint> points;
        var errors = new List<string>();
        using (document)
        {
            var root = document!.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("points", out var array) || array.ValueKind != JsonValueKind.Array)
            {
                return Problems.BadRequest("the body must be {\"points\": [{\"name\": …, \"value\": …, \"timestamp\": \"2026-11-01T00:00:00Z\"}, …]}");
            }

            var count = array.GetArrayLength();
            if (count == 0)
            {
                return Problems.BadRequest("'points' is empty; send at least one point");
            }

            if (count > MaxBusinessPoints)
            {
                return Problems.Problem(StatusCodes.Status413PayloadTooLarge, Problems.Title(413), $"a batch holds at most {MaxBusinessPoints} points, got {count}; split it");
            }

            points = new List<BusinessMetricPoint>(count);
            var latest = time.GetUtcNow() + FutureTolerance;
            var index = 0;
            foreach (var element in array.EnumerateArray())
            {
                if (ReadPoint(element, $"points[{index}]", latest, errors) is { } point)
                {
                    points.Add(point);
                }

                index++;
            }
        }

        if (errors.Count > 0)
        {
            return Problems.Validation($"the batch has {errors.Count} problem{(errors.Count == 1 ? "" : "s")}; nothing was stored", errors);
        }

        var stored = await store.AppendBusinessMetricsAsync(points, ct);
        return stored.IsSuccess ? TypedResults.Json(new BusinessMetricsStored(stored.Value), VigilJson.Options) : Problems.From(stored.Failure!);
    }

    private static BusinessMetricPoint? ReadPoint(JsonElement element, string where, DateTimeOffset latest, List<string> errors)
    {
        if (element.ValueKind != JsonValueKind.Object)
        {
            errors.Add($"{where}: must be an object with name, value and timestamp");
            return null;
        }

        string? name = null, service = null, arm = null, segment = null;
        double? value = null;
        int? version = null;
        DateTimeOffset? at = null;
        var before = errors.Count;
        foreach (var property in element.EnumerateObject())
        {
            var v = property.Value;
            switch (property.Name)
            {
                case "name":
                    name = v.ValueKind == JsonValueKind.String ? v.GetString() : null;
                    if (!BusinessMetricPoint.IsName(name))
                    {
                        errors.Add($"{where}: 'name' must be 1–{BusinessMetricPoint.MaxNameLength} letters, digits, '_', '-', '.' or ':'");
                    }

                    break;
                case "value":
                    if (v.ValueKind == JsonValueKind.Number && v.TryGetDouble(out var number) && double.IsFinite(number))
                    {
                        value = number;
                    }
                    else
                    {
                        errors.Add($"{where}: 'value' must be a finite number, got {Shorten(v.GetRawText())}");
                    }

                    break;
                case "timestamp":
                    if (v.ValueKind == JsonValueKind.String
                        && DateTimeOffset.TryParse(v.GetString(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var parsed))
                    {
                        at = parsed.ToUniversalTime();
                        if (at > latest)
                        {
                            errors.Add($"{where}: 'timestamp' {v.GetString()} is in the future (more than {FutureTolerance.TotalMinutes:0} minutes ahead of the server's clock)");
                        }
                    }
                    else
                    {
                        errors.Add($"{where}: 'timestamp' must be an ISO 8601 time such as 2026-11-01T00:00:00Z, got {Shorten(v.GetRawText())}");
                    }

                    break;
                case "service":
                    service = ReadText(v, where, "service", errors);
                    break;
                case "arm":
                    arm = ReadText(v, where, "arm", errors);
                    break;
                case "segment":
                    segment = ReadText(v, where, "segment", errors);
                    break;
                case "version":
                    if (v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out var n) && n > 0)
                    {
                        version = n;
                    }
                    else if (v.ValueKind != JsonValueKind.Null)
                    {
                        errors.Add($"{where}: 'version' must be a positive integer");
                    }

                    break;
                default:
                    errors.Add($"{where}: unknown property '{property.Name}'; a point has name, value, timestamp, service, version, arm and segment");
                    break;
            }
        }

        if (name is null && !element.TryGetProperty("name", out _))
        {
            errors.Add($"{where}: 'name' is missing");
        }

        if (value is null && !element.TryGetProperty("value", out _))
        {
            errors.Add($"{where}: 'value' is missing");
        }

        if (at is null && !element.TryGetProperty("timestamp", out _))
        {
            errors.Add($"{where}: 'timestamp' is missing; every point needs the time it describes");
        }

        if ((version is not null || arm is not null) && service is null)
        {
            errors.Add($"{where}: 'version' and 'arm' need 'service'");
        }

        return errors.Count == before ? new BusinessMetricPoint(name!, value!.Value, at!.Value, service, version, arm, segment) : null;
    }

    private static string? ReadText(JsonElement value, string where, string field, List<string> errors)
    {
        if (value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (value.ValueKind == JsonValueKind.String && value.GetString() is { Length: > 0 and <= 128 } text)
        {
            return text;
        }

        errors.Add($"{where}: '{field}' must be a string of 1–128 characters");
        return null;
    }

    private static string Shorten(string text) => text.Length <= 40 ? text : string.Concat(text.AsSpan(0, 40), "…");

    private static async Task<IResult> GetBusinessMetricsAsync(string? name, string? service, string? from, string? to, int? limit, IVigilStore store, CancellationToken ct)
    {
        var errors = new List<string>();
        var f = ParseTime(from, "from", errors);
        var t = ParseTime(to, "to", errors);
        if (limit is < 1 or > MaxBusinessQuery)
        {
            errors.Add($"limit: between 1 and {MaxBusinessQuery}");
        }

        if (errors.Count > 0)
        {
            return Problems.Validation("the query is invalid", errors, StatusCodes.Status400BadRequest);
        }

        var points = await store.QueryBusinessMetricsAsync(name, service, f, t, limit ?? MaxBusinessQuery, ct);
        return TypedResults.Json(new BusinessMetricList(points), VigilJson.Options);
    }

    /// <summary>Parses an ISO 8601 query time (UTC when no offset is given).</summary>
    internal static DateTimeOffset? ParseTime(string? text, string field, List<string> errors)
    {
        if (string.IsNullOrEmpty(text))
        {
            return null;
        }

        if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var parsed))
        {
            return parsed.ToUniversalTime();
        }

        errors.Add($"{field}: '{text}' is not an ISO 8601 time such as 2026-11-01T00:00:00Z");
        return null;
    }
}

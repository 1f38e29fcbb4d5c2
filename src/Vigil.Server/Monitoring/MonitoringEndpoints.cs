using System.Text.Json;
using Vigil.Access;
using Vigil.Monitoring;
using Vigil.Persistence;
using Vigil.Profiles;
using Vigil.Registry;
using Vigil.Server.Access;
using Vigil.Server.Api;
using Vigil.Server.ControlPlane;

namespace Vigil.Server.Monitoring;

public sealed record BaselineView(
    string Service,
    int Version,
    long Rows,
    IReadOnlyList<BaselineFeature> Features,
    string Source = "upload",
    DateTimeOffset? CreatedAt = null,
    string? CreatedBy = null);

/// <summary>Body of <c>POST /v1/services/{s}/versions/{n}/baseline/window</c>.</summary>
public sealed record BaselineWindowRequest(DateTimeOffset? From = null, DateTimeOffset? To = null);

public sealed record BaselineFeature(string Name, string Kind, long Count, double NullRate, double? Median);

/// <summary><c>GET /v1/alerts</c>: the alerts newest first, and per service their counts and ids.</summary>
public sealed record AlertList(IReadOnlyList<AlertView> Alerts, IReadOnlyList<AlertGroup>? Groups = null);

public sealed record MonitorList(IReadOnlyList<MonitorDefinition> Monitors);

public sealed record LayersView(string Service, LayerState Input, LayerState Output, LayerState Performance, LayerState Business, IReadOnlyList<WindowSummary> History);

/// <summary>A layer's current state: <c>ok</c>, <c>pending</c>, <c>firing</c> or <c>no-data</c>, and its active alerts.</summary>
public sealed record LayerState(string State, IReadOnlyList<AlertView> Alerts);

/// <summary>Baselines, monitors, alerts and the four layers (docs/monitoring.md).</summary>
public static class MonitoringEndpoints
{
    /// <summary>The most rows a baseline upload may carry.</summary>
    public const int MaxBaselineRows = 200_000;

    public static void MapMonitoringEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapPut("/v1/services/{service}/versions/{version:int}/baseline", PutBaselineAsync).RequireScope(ApiScopes.Admin).WithTags("Monitoring")
            .Produces<BaselineView>().ProducesProblem(400).ProducesProblem(404).ProducesProblem(422);
        app.MapPost("/v1/services/{service}/versions/{version:int}/baseline/window", BaselineFromWindowAsync).RequireScope(ApiScopes.Admin).WithTags("Monitoring")
            .Produces<BaselineView>().ProducesProblem(400).ProducesProblem(404).ProducesProblem(422);
        app.MapGet("/v1/services/{service}/versions/{version:int}/baseline", GetBaselineAsync).RequireScope(ApiScopes.Read).WithTags("Monitoring")
            .Produces<BaselineView>().ProducesProblem(404);
        app.MapGet("/v1/monitors", (LiveMonitoring monitoring) => TypedResults.Json(new MonitorList(monitoring.Monitors), VigilJson.Options)).RequireScope(ApiScopes.Read).WithTags("Monitoring");
        app.MapAlertEndpoints();
        app.MapAlertDashboardActions();
        app.MapGet("/v1/services/{service}/layers", LayersAsync).RequireScope(ApiScopes.Read).WithTags("Monitoring").ProducesProblem(404);
    }

    /// <summary>Body: <c>{"rows": [{"price": 12.4, "country": "de"}, …]}</c> — the training data, profiled per feature.</summary>
    private static async Task<IResult> PutBaselineAsync(string service, int version, HttpContext context, IVigilStore store, LiveMonitoring monitoring, TimeProvider time, CancellationToken ct)
    {
        if (await store.GetVersionAsync(service, version, ct) is null)
        {
            return Problems.NotFound($"service '{service}' has no version {version}; register it first");
        }

        var definition = (await store.GetServiceAsync(service, ct))!;
        var numeric = definition.Inputs.ToDictionary(f => f.Name, f => f.Type is FeatureType.Number or FeatureType.Integer, StringComparer.Ordinal);

        var (document, error) = await RequestBody.ReadDocumentAsync(context.Request, ct);
        if (error is not null)
        {
            return error;
        }

        using (document)
        {
            if (document!.RootElement.ValueKind != JsonValueKind.Object || !document.RootElement.TryGetProperty("rows", out var rows) || rows.ValueKind != JsonValueKind.Array)
            {
                return Problems.BadRequest("the body must be {\"rows\": [{\"feature\": value, …}, …]}: the training data, one object per row");
            }

            var count = rows.GetArrayLength();
            if (count == 0 || count > MaxBaselineRows)
            {
                return Problems.BadRequest($"send between 1 and {MaxBaselineRows} rows (got {count}); sample larger training sets");
            }

            var errors = new List<string>();
            var profiles = ProfileRows(rows.EnumerateArray(), numeric, service, "rows", errors);
            if (errors.Count > 0)
            {
                return Problems.Validation($"the baseline of '{service}' version {version} cannot be used ({errors.Count} problem(s)); nothing was changed", errors);
            }

            return await SaveBaselineAsync(store, monitoring, new StoredBaseline(service, version, count, "upload", profiles, time.GetUtcNow(), context.Actor()), context, time, ct);
        }
    }

    /// <summary>
    /// Profiles rows (JSON objects of feature values) per input of the service: numeric inputs numerically, the others as
    /// categories; unknown columns, inputs without a column, text in a numeric input, a column mixing kinds, inputs with no
    /// value and non-finite or huge numbers are errors (at most about 20 are listed).
    /// </summary>
    private static Dictionary<string, FeatureProfile> ProfileRows(IEnumerable<JsonElement> rows, Dictionary<string, bool> numeric, string service, string noun, List<string> errors)
    {
        var unknown = new HashSet<string>(StringComparer.Ordinal);
        var kinds = new Dictionary<string, JsonValueKind>(StringComparer.Ordinal);
        var profiles = new Dictionary<string, FeatureProfile>(StringComparer.Ordinal);
        var index = 0;
        foreach (var row in rows)
        {
            if (row.ValueKind != JsonValueKind.Object)
            {
                errors.Add($"{noun}[{index}] is not an object");
            }
            else
            {
                foreach (var cell in row.EnumerateObject())
                {
                    if (numeric.TryGetValue(cell.Name, out var isNumeric))
                    {
                        Add(cell, index, isNumeric, kinds, profiles, errors);
                    }
                    else if (unknown.Add(cell.Name))
                    {
                        errors.Add($"column '{cell.Name}' is not an input of '{service}' (inputs: {string.Join(", ", numeric.Keys)}); drop it or fix its name");
                    }
                }
            }

            if (errors.Count >= 20)
            {
                return profiles;
            }

            index++;
        }

        errors.AddRange(numeric.Keys.Where(f => !kinds.ContainsKey(f) && !profiles.ContainsKey(f)).Select(f => $"input '{f}' has no column in the baseline; every input of '{service}' needs one"));
        errors.AddRange(profiles.Where(p => p.Value.ValidCount == 0).Select(p => $"feature '{p.Key}' has no value in any row"));
        return profiles;
    }

    /// <summary>
    /// Body: <c>{"from": T, "to": T}</c> — the version's logged requests (not failed ones) in [from, to) become its baseline,
    /// profiled exactly like an upload (at most <see cref="MaxBaselineRows"/>, the earliest first).
    /// </summary>
    private static async Task<IResult> BaselineFromWindowAsync(string service, int version, HttpContext context, IVigilStore store, LiveMonitoring monitoring, TimeProvider time, CancellationToken ct)
    {
        if (await store.GetVersionAsync(service, version, ct) is null)
        {
            return Problems.NotFound($"service '{service}' has no version {version}; register it first");
        }

        var (request, error) = await RequestBody.ReadAsync<BaselineWindowRequest>(context.Request, ct);
        if (error is not null)
        {
            return error;
        }

        if (request!.From is not { } from || request.To is not { } to || from >= to)
        {
            return Problems.Validation("give the reference window as {\"from\": T, \"to\": T} with from before to", ["from, to: required, from < to"], StatusCodes.Status400BadRequest);
        }

        var inputs = await store.ListPredictionInputsAsync(service, version, from, to, MaxBaselineRows, ct);
        if (inputs.Count == 0)
        {
            return Problems.Validation(
                $"version {version} of '{service}' has no logged requests between {from:O} and {to:O}; pick a window in which it served traffic",
                ["no requests in the window"]);
        }

        var definition = (await store.GetServiceAsync(service, ct))!;
        var numeric = definition.Inputs.ToDictionary(f => f.Name, f => f.Type is FeatureType.Number or FeatureType.Integer, StringComparer.Ordinal);
        var documents = inputs.Select(i => JsonDocument.Parse(i)).ToList();
        try
        {
            var errors = new List<string>();
            var profiles = ProfileRows(documents.Select(d => d.RootElement), numeric, service, "requests", errors);
            if (errors.Count > 0)
            {
                return Problems.Validation($"the requests of '{service}' version {version} in the window cannot make a baseline ({errors.Count} problem(s)); nothing was changed", errors);
            }

            var source = $"requests {from:O} – {to:O}";
            return await SaveBaselineAsync(store, monitoring, new StoredBaseline(service, version, inputs.Count, source, profiles, time.GetUtcNow(), context.Actor()), context, time, ct);
        }
        finally
        {
            documents.ForEach(d => d.Dispose());
        }
    }

    /// <summary>Stores a baseline (audited), then makes it the live one; the response describes it.</summary>
    internal static async Task<IResult> SaveBaselineAsync(IVigilStore store, LiveMonitoring monitoring, StoredBaseline baseline, HttpContext context, TimeProvider time, CancellationToken ct)
    {
        var saved = await store.SaveBaselineAsync(baseline, RegistryEndpoints.Who(context, time), ct);
        if (!saved.IsSuccess)
        {
            return Problems.From(saved.Failure!);
        }

        monitoring.SetBaseline(baseline.Service, baseline.Version, new Dictionary<string, FeatureProfile>(baseline.Profiles, StringComparer.Ordinal));
        return TypedResults.Json(View(saved.Value!), VigilJson.Options);
    }

    private static BaselineView View(StoredBaseline baseline)
    {
        var features = baseline.Profiles.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => new BaselineFeature(
            p.Key, p.Value.Kind == ProfileKind.Numeric ? "numeric" : "categorical", p.Value.Count, p.Value.NullRate,
            p.Value.Quantiles is { IsEmpty: false } q ? q.GetQuantile(0.5) : null)).ToList();
        return new BaselineView(baseline.Service, baseline.Version, baseline.Rows, features, baseline.Source, baseline.CreatedAt, baseline.CreatedBy);
    }

    private static async Task<IResult> GetBaselineAsync(string service, int version, IVigilStore store, CancellationToken ct) =>
        await store.GetBaselineAsync(service, version, ct) is { } baseline
            ? TypedResults.Json(View(baseline), VigilJson.Options)
            : Problems.NotFound($"service '{service}' version {version} has no baseline; upload one with 'vigil baseline upload {service} --version {version} --file train.csv'");

    private static void Add(JsonProperty cell, int row, bool numeric, Dictionary<string, JsonValueKind> kinds, Dictionary<string, FeatureProfile> profiles, List<string> errors)
    {
        var kind = cell.Value.ValueKind is JsonValueKind.True or JsonValueKind.False ? JsonValueKind.String : cell.Value.ValueKind;
        if (!numeric && kind == JsonValueKind.Number)
        {
            kind = JsonValueKind.String; // a category written as a number ("3"): profiled as its text, as live traffic is
        }
        else if (numeric && kind == JsonValueKind.String)
        {
            errors.Add($"rows[{row}].{cell.Name}: text {cell.Value.GetRawText()} in the numeric input '{cell.Name}'");
            return;
        }

        if (kind == JsonValueKind.Null)
        {
            if (profiles.TryGetValue(cell.Name, out var existing))
            {
                existing.AddNull();
            }
            else if (!kinds.ContainsKey(cell.Name))
            {
                // Only nulls so far: a numeric placeholder, replaced by the first value's kind (its nulls carried over).
                kinds[cell.Name] = JsonValueKind.Null;
                profiles[cell.Name] = numeric ? FeatureProfile.CreateNumeric(seed: 17) : FeatureProfile.CreateCategorical();
                profiles[cell.Name].AddNull();
            }

            return;
        }

        if (kind is not (JsonValueKind.Number or JsonValueKind.String))
        {
            errors.Add($"rows[{row}].{cell.Name}: a {kind.ToString().ToLowerInvariant()} is not a feature value; use numbers or strings");
            return;
        }

        if (kinds.TryGetValue(cell.Name, out var only) && only == JsonValueKind.Null)
        {
            var nulls = profiles[cell.Name].Nulls;
            kinds.Remove(cell.Name);
            profiles.Remove(cell.Name);
            Add(cell, row, numeric, kinds, profiles, errors);
            for (var i = 0; profiles.TryGetValue(cell.Name, out var created) && i < nulls; i++)
            {
                created.AddNull();
            }

            return;
        }

        if (kinds.TryGetValue(cell.Name, out var seen) && seen != kind)
        {
            errors.Add($"rows[{row}].{cell.Name}: mixes numbers and strings (earlier rows had {(seen == JsonValueKind.Number ? "numbers" : "strings")})");
            return;
        }

        if (!profiles.TryGetValue(cell.Name, out var profile))
        {
            kinds[cell.Name] = kind;
            profile = kind == JsonValueKind.Number ? FeatureProfile.CreateNumeric(seed: 17) : FeatureProfile.CreateCategorical();
            profiles[cell.Name] = profile;
        }

        if (kind == JsonValueKind.Number)
        {
            var value = cell.Value.GetDouble();
            if (!double.IsFinite(value) || Math.Abs(value) > 1e300)
            {
                errors.Add($"rows[{row}].{cell.Name}: {cell.Value.GetRawText()} is not a usable finite number");
                return;
            }

            profile.Add(value);
        }
        else
        {
            profile.Add(cell.Value.ValueKind == JsonValueKind.String ? cell.Value.GetString() : cell.Value.GetRawText());
        }
    }

    private static async Task<IResult> LayersAsync(string service, int? history, IVigilStore store, LiveMonitoring monitoring, CancellationToken ct)
    {
        if (await store.GetServiceAsync(service, ct) is null)
        {
            return Problems.NotFound($"there is no service '{service}'");
        }

        return TypedResults.Json(monitoring.Layers(service, Math.Clamp(history ?? 60, 1, LiveMonitoring.HistoryWindows)), VigilJson.Options);
    }
}

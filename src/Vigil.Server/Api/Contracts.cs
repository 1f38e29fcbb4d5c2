using System.Text.Json;
using System.Text.Json.Nodes;
using Vigil.Access;
using Vigil.Audit;
using Vigil.Predictions;
using Vigil.Registry;

namespace Vigil.Server.Api;

// The JSON shapes of Vigil's /v1 HTTP API. Names are snake_case on the wire (VigilJson).
// The CLI uses these same types through VigilClient, so the API and the CLI cannot drift apart.

/// <summary>POST /v1/services.</summary>
public sealed record CreateServiceRequest(
    string Name,
    IReadOnlyList<FeatureSpec> Inputs,
    OutputSpec Output,
    string? Description = null);

/// <summary>A service with its aliases.</summary>
public sealed record ServiceView(
    string Name,
    string Description,
    IReadOnlyList<FeatureSpec> Inputs,
    OutputSpec Output,
    DateTimeOffset CreatedAt,
    AliasesView Aliases,
    int Versions);

/// <summary>GET /v1/services.</summary>
public sealed record ServiceList(IReadOnlyList<ServiceView> Services);

/// <summary>The aliases of a service.</summary>
public sealed record AliasesView(int? Champion, int? Challenger, int? PreviousChampion, long Revision)
{
    public static AliasesView From(AliasSet set) => new(set.Champion, set.Challenger, set.PreviousChampion, set.Revision);
}

/// <summary>POST /v1/services/{service}/versions. <paramref name="Alias"/> optionally points champion or challenger at the new version in the same call.</summary>
public sealed record RegisterVersionRequest(
    BackendSpec Backend,
    IReadOnlyDictionary<string, string>? Metadata = null,
    IReadOnlyDictionary<string, double>? Metrics = null,
    string? Alias = null);

/// <summary>A model version and the aliases pointing at it.</summary>
public sealed record VersionView(
    string Service,
    int Number,
    BackendSpec Backend,
    IReadOnlyDictionary<string, string> Metadata,
    IReadOnlyDictionary<string, double> Metrics,
    DateTimeOffset CreatedAt,
    string CreatedBy,
    IReadOnlyList<string> Aliases);

/// <summary>GET /v1/services/{service}/versions.</summary>
public sealed record VersionList(IReadOnlyList<VersionView> Versions);

/// <summary>PUT /v1/services/{service}/aliases/{alias}: point an alias at a version (null clears it).</summary>
public sealed record SetAliasRequest(int? Version, string? Reason = null);

/// <summary>POST /v1/services/{service}/promote and /rollback.</summary>
public sealed record AliasActionRequest(string? Reason = null);

/// <summary>GET /v1/services/{service}/history[?at=T]: every alias move, and the champion at T when asked.</summary>
public sealed record HistoryView(string Service, IReadOnlyList<AliasChange> Changes, DateTimeOffset? At = null, int? ChampionAt = null);

/// <summary>GET /v1/audit.</summary>
public sealed record AuditList(IReadOnlyList<AuditEvent> Events);

/// <summary>POST /v1/keys.</summary>
public sealed record CreateKeyRequest(string Name, IReadOnlyList<string> Scopes);

/// <summary>A key as listed (never the secret).</summary>
public sealed record KeyView(string Id, string Name, IReadOnlyList<string> Scopes, DateTimeOffset CreatedAt, DateTimeOffset? RevokedAt)
{
    public static KeyView From(ApiKey key) => new(key.Id, key.Name, ApiScopeNames.Format(key.Scopes), key.CreatedAt, key.RevokedAt);
}

/// <summary>The answer to POST /v1/keys: <paramref name="Key"/> is shown this once and never again.</summary>
public sealed record CreatedKeyView(string Id, string Name, IReadOnlyList<string> Scopes, string Key);

/// <summary>GET /v1/keys.</summary>
public sealed record KeyList(IReadOnlyList<KeyView> Keys);

/// <summary>Scope names on the wire: admin, predict, ingest, read.</summary>
public static class ApiScopeNames
{
    public static IReadOnlyList<string> Format(ApiScopes scopes)
    {
        var names = new List<string>();
        if ((scopes & ApiScopes.Admin) != 0)
        {
            names.Add("admin");
        }

        if ((scopes & ApiScopes.Predict) != 0)
        {
            names.Add("predict");
        }

        if ((scopes & ApiScopes.Ingest) != 0)
        {
            names.Add("ingest");
        }

        if ((scopes & ApiScopes.Read) != 0)
        {
            names.Add("read");
        }

        return names;
    }

    public static Result<ApiScopes> Parse(IEnumerable<string> names)
    {
        var scopes = ApiScopes.None;
        var errors = new List<string>();
        foreach (var name in names)
        {
            switch (name.Trim().ToLowerInvariant())
            {
                case "admin": scopes |= ApiScopes.Admin; break;
                case "predict": scopes |= ApiScopes.Predict; break;
                case "ingest": scopes |= ApiScopes.Ingest; break;
                case "read": scopes |= ApiScopes.Read; break;
                default: errors.Add($"unknown scope '{name}': use admin, predict, ingest or read"); break;
            }
        }

        if (errors.Count == 0 && scopes == ApiScopes.None)
        {
            errors.Add("give at least one scope: admin, predict, ingest or read");
        }

        return errors.Count == 0 ? Result<ApiScopes>.Ok(scopes) : Failure.Invalid("invalid scopes", errors);
    }
}

/// <summary>
/// POST /v1/services/{service}/predict, one request: <c>{"key": "user-42", "attributes": {"country": "DE"}, "inputs": {...}}</c>,
/// or a batch: <c>{"instances": [ {...}, ... ]}</c> where each instance has the same shape (or is a bare inputs object).
/// The gateway parses this by hand from the raw body (see PredictRequestReader) for speed and precise errors; this record documents it.
/// </summary>
public sealed record PredictRequest(string? Key, IReadOnlyDictionary<string, string>? Attributes, JsonObject? Inputs, IReadOnlyList<JsonObject>? Instances);

/// <summary>The answer to one prediction.</summary>
public sealed record PredictResponse(string RequestId, string Service, int Version, string Arm, JsonObject Outputs);

/// <summary>The answer to a batch: one entry per instance, in order.</summary>
public sealed record BatchPredictResponse(string Service, IReadOnlyList<PredictResponse> Predictions);

/// <summary>POST /v1/feedback, one item (or <c>{"items": [...]}</c> for a batch).</summary>
public sealed record FeedbackItem(string RequestId, IReadOnlyDictionary<string, JsonElement> Outcomes);

/// <summary>POST /v1/feedback batch.</summary>
public sealed record FeedbackBatch(IReadOnlyList<FeedbackItem> Items);

/// <summary>The answer to POST /v1/feedback.</summary>
/// <param name="Stored">Outcomes newly stored.</param>
/// <param name="Duplicates">Outcomes already known for the same (request id, name): the first value is kept.</param>
/// <param name="UnknownRequestIds">Request ids with no recorded prediction yet: their outcomes are kept as orphans and joined if the prediction shows up.</param>
public sealed record FeedbackResponse(int Stored, int Duplicates, IReadOnlyList<string> UnknownRequestIds);

/// <summary>GET /v1/predictions/{request_id}.</summary>
public sealed record PredictionView(PredictionRecord Prediction, IReadOnlyList<FeedbackOutcome> Outcomes);

/// <summary>The recorder's counters since start.</summary>
/// <param name="Queued">Records waiting in the channel now.</param>
/// <param name="Capacity">The channel's capacity.</param>
/// <param name="Written">Records written to the store.</param>
/// <param name="Dropped">Records dropped because the channel was full (the requests still succeeded).</param>
/// <param name="WriteFailures">Batches that failed to write and were retried.</param>
public sealed record RecorderView(long Queued, int Capacity, long Written, long Dropped, long WriteFailures);

/// <summary>GET /v1/services/{service}/status.</summary>
public sealed record ServiceStatusView(
    string Service,
    AliasesView Aliases,
    IReadOnlyList<TrafficSummary> Traffic,
    DateTimeOffset? Since);

/// <summary>GET /v1/status.</summary>
public sealed record StatusView(
    string Version,
    string Store,
    bool StoreReady,
    bool OpenMode,
    RecorderView Recorder,
    long OrphanOutcomes,
    IReadOnlyList<ServiceStatusView> Services);

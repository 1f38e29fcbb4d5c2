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
/// <param name="FoldErrors">Values the monitoring fold could not take (left out of the windows' profiles, never out of the store).</param>
/// <param name="Durability"><c>async</c> (answers do not wait for the write) or <c>commit</c> (they wait for their records' commit).</param>
/// <param name="CommitTimeouts">In <c>commit</c> durability, requests answered 503 because their records were not committed in time.</param>
public sealed record RecorderView(long Queued, int Capacity, long Written, long Dropped, long WriteFailures, long FoldErrors = 0, string Durability = "async", long CommitTimeouts = 0);

/// <summary>GET /v1/services/{service}/status.</summary>
public sealed record ServiceStatusView(
    string Service,
    AliasesView Aliases,
    IReadOnlyList<TrafficSummary> Traffic,
    DateTimeOffset? Since);

/// <summary>GET /v1/status: <paramref name="Version"/> and <paramref name="Commit"/> say which build answers (<c>unknown</c> for a build without git information).</summary>
public sealed record StatusView(
    string Version,
    string Commit,
    string Store,
    bool StoreReady,
    bool OpenMode,
    RecorderView Recorder,
    long OrphanOutcomes,
    IReadOnlyList<ServiceStatusView> Services,
    LeaderView? Leader = null);

/// <summary>Who runs the control loops (docs/operations.md, "Leader election"): the leader's replica id and since when (null fields when no replica leads), and the answering replica.</summary>
public sealed record LeaderView(string? ReplicaId, DateTimeOffset? Since, string ThisReplica, bool ThisReplicaLeads);

/// <summary>
/// A flag as <c>/v1/flags</c> reads and writes it: the definition (docs/flags.md, "The flag model"), the service it belongs
/// to (null for a flag of no service), and its revision. The same shape is sent and received, so the output of
/// <c>GET /v1/flags/{key}</c> can be edited and sent back with PUT: on POST <c>revision</c> and <c>updated_at</c> are
/// ignored; on PUT <c>revision</c> is required (optimistic concurrency: 409 when the flag changed meanwhile) and
/// <c>updated_at</c> is ignored.
/// </summary>
/// <param name="Key">The flag's key, a DNS label; cannot change.</param>
/// <param name="Enabled">The switch.</param>
/// <param name="Rules">Targeting rules, tried in order.</param>
/// <param name="Percentage">Sticky rollout in percent (0–100) for requests no rule matched.</param>
/// <param name="Default">The value when no rule matched and there is no percentage; also the value of an error.</param>
/// <param name="Description">Free text for people.</param>
/// <param name="Service">The service the flag belongs to; set on creation, cannot change.</param>
/// <param name="Revision">The stored revision (1 on creation, +1 per change).</param>
/// <param name="UpdatedAt">When the flag last changed.</param>
public sealed record FlagView(
    string Key,
    bool Enabled,
    IReadOnlyList<Vigil.Routing.Flags.TargetingRule>? Rules = null,
    double? Percentage = null,
    bool Default = false,
    string? Description = null,
    string? Service = null,
    long? Revision = null,
    DateTimeOffset? UpdatedAt = null)
{
    /// <summary>The definition without the store's fields.</summary>
    public Vigil.Routing.Flags.FlagDefinition ToDefinition() => new(Key, Enabled, Rules, Percentage, Default, Description);

    /// <summary>The view of a stored flag whose definition is <paramref name="definition"/>.</summary>
    public static FlagView From(Vigil.Routing.Flags.StoredFlag stored, Vigil.Routing.Flags.FlagDefinition definition)
    {
        ArgumentNullException.ThrowIfNull(stored);
        ArgumentNullException.ThrowIfNull(definition);
        return new(definition.Key, definition.Enabled, definition.Rules, definition.Percentage, definition.Default, definition.Description, stored.Service, stored.Revision, stored.UpdatedAt);
    }
}

/// <summary>GET /v1/flags.</summary>
public sealed record FlagList(IReadOnlyList<FlagView> Flags);

/// <summary>POST /v1/flags/{key}/on and /off: why, for the audit log (the body may be left out).</summary>
public sealed record FlagSwitchRequest(string? Reason = null);

/// <summary>POST /v1/flags/{key}/evaluate: a request's sticky key and attributes, as a predict request carries them.</summary>
/// <param name="Key">The sticky key (user or session id), or null.</param>
/// <param name="Attributes">An object of name to string, number or boolean, or null.</param>
public sealed record FlagEvaluateRequest(string? Key = null, JsonElement? Attributes = null);

/// <summary>The answer to POST /v1/flags/{key}/evaluate: what the routing snapshot of this server gives, and why.</summary>
/// <param name="Flag">The flag evaluated.</param>
/// <param name="Key">The sticky key evaluated for.</param>
/// <param name="Value">The flag's value.</param>
/// <param name="Variant">OpenFeature's variant name: on or off.</param>
/// <param name="Reason">OpenFeature's reason: STATIC, TARGETING_MATCH, SPLIT, DISABLED, DEFAULT or ERROR.</param>
/// <param name="ErrorCode">With ERROR: TYPE_MISMATCH or TARGETING_KEY_MISSING; otherwise null.</param>
/// <param name="RuleIndex">The rule that matched (or failed with TYPE_MISMATCH), from 0; otherwise null.</param>
/// <param name="Attribute">With TYPE_MISMATCH, the attribute that is not a number; otherwise null.</param>
public sealed record FlagEvaluationView(
    string Flag,
    string? Key,
    bool Value,
    string Variant,
    Vigil.Routing.Flags.EvaluationReason Reason,
    Vigil.Routing.Flags.FlagErrorCode? ErrorCode = null,
    int? RuleIndex = null,
    string? Attribute = null);

/// <summary>A flag segment on the wire (POST/PUT body and answer): the definition plus the store's fields.</summary>
public sealed record SegmentView(
    string Key,
    IReadOnlyList<Vigil.Routing.Flags.Condition> Conditions,
    string? Description = null,
    string? Service = null,
    long? Revision = null,
    DateTimeOffset? UpdatedAt = null)
{
    /// <summary>The definition without the store's fields.</summary>
    public Vigil.Routing.Flags.Segment ToSegment() => new(Key, Conditions, Description);
}

/// <summary>GET /v1/segments.</summary>
public sealed record SegmentList(IReadOnlyList<SegmentView> Segments);

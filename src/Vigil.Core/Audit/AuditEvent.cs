namespace Vigil.Audit;

/// <summary>An append-only record of a control-plane change: who, when, what, why, before and after.</summary>
/// <param name="Id">Assigned by the store, increasing.</param>
/// <param name="At">When it happened.</param>
/// <param name="Actor">Who did it: an API key's name, <c>local</c> in open mode, or <c>vigil:controller</c> for the control loop.</param>
/// <param name="Action">What happened, dotted: <c>service.created</c>, <c>version.registered</c>, <c>alias.promoted</c> …</param>
/// <param name="Service">The service concerned, when there is one.</param>
/// <param name="Target">The thing changed: <c>recommender</c>, <c>recommender/3</c>, <c>key/abc</c>.</param>
/// <param name="Before">JSON of the state before, when there was one.</param>
/// <param name="After">JSON of the state after, when there is one.</param>
/// <param name="Reason">Why, as the actor said it.</param>
public sealed record AuditEvent(
    long Id,
    DateTimeOffset At,
    string Actor,
    string Action,
    string? Service,
    string Target,
    string? Before,
    string? After,
    string? Reason);

/// <summary>Who makes a change, when and why: what every audited store method takes.</summary>
public sealed record AuditContext(string Actor, DateTimeOffset At, string? Reason = null);

/// <summary>Filters for reading the audit log; all optional.</summary>
public sealed record AuditQuery(
    string? Service = null,
    string? Actor = null,
    string? Action = null,
    DateTimeOffset? Since = null,
    DateTimeOffset? Until = null,
    int Limit = 100,
    long? BeforeId = null)
{
    public const int MaxLimit = 10_000;
}

/// <summary>The actions Vigil audits, one name each.</summary>
public static class AuditActions
{
    public const string ServiceCreated = "service.created";
    public const string VersionRegistered = "version.registered";
    public const string AliasSet = "alias.set";
    public const string AliasPromoted = "alias.promoted";
    public const string AliasRolledBack = "alias.rolled_back";
    public const string KeyCreated = "key.created";
    public const string KeyRevoked = "key.revoked";
    public const string FlagCreated = "flag.created";
    public const string FlagUpdated = "flag.updated";
    public const string FlagEnabled = "flag.enabled";
    public const string FlagDisabled = "flag.disabled";
}

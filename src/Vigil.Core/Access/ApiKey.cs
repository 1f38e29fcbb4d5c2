namespace Vigil.Access;

/// <summary>What an API key may do.</summary>
[Flags]
public enum ApiScopes
{
    None = 0,
    /// <summary>Read the registry, status, audit and metrics.</summary>
    Read = 1,
    /// <summary>Call predict endpoints.</summary>
    Predict = 2,
    /// <summary>Send feedback (outcomes), business metrics and traces.</summary>
    Ingest = 4,
    /// <summary>Change the control plane; implies every other scope.</summary>
    Admin = 8,
}

/// <summary>A stored API key. The secret is never stored: only its SHA-256 (secrets are 256 random bits, so a fast hash is enough).</summary>
/// <param name="Id">The public part of the key, used to find it: the key reads <c>vgl_{Id}_{secret}</c>.</param>
/// <param name="Name">A name for people and for the audit log.</param>
/// <param name="Scopes">What it may do.</param>
/// <param name="SecretHash">Lower-case hex SHA-256 of the secret part.</param>
/// <param name="CreatedAt">When it was created.</param>
/// <param name="RevokedAt">When it was revoked, if it was.</param>
public sealed record ApiKey(
    string Id,
    string Name,
    ApiScopes Scopes,
    string SecretHash,
    DateTimeOffset CreatedAt,
    DateTimeOffset? RevokedAt = null)
{
    public bool Allows(ApiScopes scope) => RevokedAt is null && ((Scopes & ApiScopes.Admin) != 0 || (Scopes & scope) == scope);
}

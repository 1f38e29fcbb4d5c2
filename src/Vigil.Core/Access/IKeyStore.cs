using Vigil.Audit;

namespace Vigil.Access;

/// <summary>API keys (docs/security.md): stored hashed, created and revoked with an audit event.</summary>
public interface IKeyStore
{
    /// <summary>Stores a key (Conflict when the id exists) with its audit event.</summary>
    Task<Result<ApiKey>> CreateKeyAsync(ApiKey key, AuditContext who, CancellationToken cancellationToken);

    Task<ApiKey?> GetKeyAsync(string id, CancellationToken cancellationToken);

    Task<IReadOnlyList<ApiKey>> ListKeysAsync(CancellationToken cancellationToken);

    /// <summary>Revokes a key; NotFound when there is none with that id.</summary>
    Task<Result<ApiKey>> RevokeKeyAsync(string id, AuditContext who, CancellationToken cancellationToken);
}

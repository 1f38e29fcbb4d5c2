using System.Data.Common;
using Vigil.Access;
using Vigil.Audit;
using Vigil.Persistence;
using Vigil.Storage.Dialects;

namespace Vigil.Storage;

/// <summary>API keys: stored hashed; created and revoked with an audit event.</summary>
public abstract partial class SqlStore
{
    /// <inheritdoc />
    public Task<Result<ApiKey>> CreateKeyAsync(ApiKey key, AuditContext who, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(who);
        var stored = key with
        {
            CreatedAt = Timestamps.Normalize(key.CreatedAt),
            RevokedAt = key.RevokedAt is { } revokedAt ? Timestamps.Normalize(revokedAt) : null,
        };
        return ChangeAsync<ApiKey>(
            new ControlPlaneChange(null, AuditActions.KeyCreated),
            async (connection, transaction) =>
            {
                var inserted = await ExecuteAsync(
                    connection,
                    transaction,
                    $"""
                    INSERT INTO api_keys ({KeyColumns})
                    VALUES (@id, @name, @scopes, @secret_hash, @created_at, @revoked_at)
                    ON CONFLICT (id) DO NOTHING
                    """,
                    cancellationToken,
                    ("id", stored.Id),
                    ("name", stored.Name),
                    ("scopes", (int)stored.Scopes),
                    ("secret_hash", stored.SecretHash),
                    ("created_at", ToDb(stored.CreatedAt)),
                    ("revoked_at", stored.RevokedAt is { } r ? ToDb(r) : null));
                if (inserted == 0)
                {
                    return Failure.Conflict($"a key with id '{key.Id}' already exists");
                }

                await InsertAuditAsync(
                    connection,
                    transaction,
                    Audit(who, AuditActions.KeyCreated, null, $"key/{stored.Id}", before: null, after: KeyAuditJson(stored)),
                    cancellationToken);
                return Result<ApiKey>.Ok(stored);
            },
            cancellationToken);
    }

    /// <inheritdoc />
    public async Task<ApiKey?> GetKeyAsync(string id, CancellationToken cancellationToken)
    {
        var found = await QueryAsync($"SELECT {KeyColumns} FROM api_keys WHERE id = @id", ReadKey, cancellationToken, ("id", id));
        return found.Count == 0 ? null : found[0];
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<ApiKey>> ListKeysAsync(CancellationToken cancellationToken) =>
        await QueryAsync($"SELECT {KeyColumns} FROM api_keys ORDER BY created_at, id", ReadKey, cancellationToken);

    /// <summary>Revokes a key; NotFound when there is none with that id, Conflict when it is already revoked (the first revocation stands).</summary>
    public Task<Result<ApiKey>> RevokeKeyAsync(string id, AuditContext who, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(who);
        return ChangeAsync<ApiKey>(
            new ControlPlaneChange(null, AuditActions.KeyRevoked),
            async (connection, transaction) =>
            {
                var found = await QueryAsync(
                    connection,
                    $"SELECT {KeyColumns} FROM api_keys WHERE id = @id{ForUpdate}",
                    ReadKey,
                    cancellationToken,
                    transaction,
                    ("id", id));
                if (found.Count == 0)
                {
                    return Failure.NotFound($"there is no key with id '{id}'");
                }

                var before = found[0];
                if (before.RevokedAt is { } revokedAt)
                {
                    return Failure.Conflict($"key '{id}' was already revoked at {revokedAt:O}");
                }

                var revoked = before with { RevokedAt = Timestamps.Normalize(who.At) };
                await ExecuteAsync(
                    connection,
                    transaction,
                    "UPDATE api_keys SET revoked_at = @revoked_at WHERE id = @id",
                    cancellationToken,
                    ("revoked_at", ToDb(who.At)),
                    ("id", id));
                await InsertAuditAsync(
                    connection,
                    transaction,
                    Audit(who, AuditActions.KeyRevoked, null, $"key/{id}", KeyAuditJson(before), KeyAuditJson(revoked)),
                    cancellationToken);
                return Result<ApiKey>.Ok(revoked);
            },
            cancellationToken);
    }

    /// <summary>A key as the audit log shows it: everything but the secret's hash.</summary>
    private static string KeyAuditJson(ApiKey key) =>
        VigilJson.Serialize(new KeyAuditView(key.Id, key.Name, key.Scopes, key.CreatedAt, key.RevokedAt));

    private ApiKey ReadKey(DbDataReader reader) => new(
        reader.GetString(0),
        reader.GetString(1),
        (ApiScopes)reader.GetInt32(2),
        reader.GetString(3),
        ReadTime(reader, 4),
        reader.IsDBNull(5) ? null : ReadTime(reader, 5));

    private sealed record KeyAuditView(string Id, string Name, ApiScopes Scopes, DateTimeOffset CreatedAt, DateTimeOffset? RevokedAt);
}

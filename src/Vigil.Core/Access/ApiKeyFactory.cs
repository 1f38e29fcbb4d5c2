using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;

namespace Vigil.Access;

/// <summary>
/// Creates, parses and verifies API keys. A key reads <c>vgl_{id}_{secret}</c>: <c>id</c> is 12 lower-case hex characters
/// (6 random bytes) and finds the stored key; <c>secret</c> is 32 random bytes in base64url without padding (43 characters,
/// which may themselves contain <c>_</c> and <c>-</c>). Only the lower-case hex SHA-256 of the secret's ASCII text is stored.
/// The server (authentication) and the CLI (offline bootstrap) share this class so the format has one definition.
/// </summary>
public static class ApiKeyFactory
{
    /// <summary>Every key starts with this.</summary>
    public const string Prefix = "vgl_";

    /// <summary>Length of the id part.</summary>
    public const int IdLength = 12;

    /// <summary>Length of the secret part: 32 bytes in base64url without padding.</summary>
    public const int SecretLength = 43;

    private const int SecretBytes = 32;

    /// <summary>Length of a whole key: prefix, id, separator, secret.</summary>
    public const int KeyLength = 4 + IdLength + 1 + SecretLength;

    /// <summary>Makes a new key. The returned <c>Secret</c> is the whole key string (<c>vgl_{id}_{secret}</c>) to hand to the user, once.</summary>
    /// <param name="name">A name for people and the audit log.</param>
    /// <param name="scopes">What the key may do.</param>
    /// <param name="now">The creation time (from the caller's <see cref="TimeProvider"/>).</param>
    public static (ApiKey Key, string Secret) Create(string name, ApiScopes scopes, DateTimeOffset now)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        var id = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(IdLength / 2));
        var secret = Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(SecretBytes));
        var key = new ApiKey(id, name, scopes, Hash(secret), now);
        return (key, $"{Prefix}{id}_{secret}");
    }

    /// <summary>
    /// Splits a presented key into its id and secret. False for anything that is not exactly
    /// <c>vgl_</c> + 12 lower-case hex + <c>_</c> + 43 base64url characters.
    /// </summary>
    public static bool TryParse(string? presented, out string id, out string secret)
    {
        id = string.Empty;
        secret = string.Empty;
        if (presented is null || presented.Length != KeyLength || !presented.StartsWith(Prefix, StringComparison.Ordinal))
        {
            return false;
        }

        var idPart = presented.AsSpan(Prefix.Length, IdLength);
        foreach (var c in idPart)
        {
            if (c is not ((>= '0' and <= '9') or (>= 'a' and <= 'f')))
            {
                return false;
            }
        }

        if (presented[Prefix.Length + IdLength] != '_')
        {
            return false;
        }

        var secretPart = presented.AsSpan(Prefix.Length + IdLength + 1);
        foreach (var c in secretPart)
        {
            if (c is not ((>= 'A' and <= 'Z') or (>= 'a' and <= 'z') or (>= '0' and <= '9') or '-' or '_'))
            {
                return false;
            }
        }

        id = idPart.ToString();
        secret = secretPart.ToString();
        return true;
    }

    /// <summary>True when <paramref name="secret"/> hashes to the key's stored hash (compared in constant time). Revocation is not checked here.</summary>
    public static bool Verify(ApiKey key, string secret)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (secret is null || key.SecretHash.Length != SHA256.HashSizeInBytes * 2)
        {
            return false;
        }

        Span<byte> stored = stackalloc byte[SHA256.HashSizeInBytes];
        if (Convert.FromHexString(key.SecretHash, stored, out _, out var written) != System.Buffers.OperationStatus.Done
            || written != stored.Length)
        {
            return false;
        }

        Span<byte> presented = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(Encoding.UTF8.GetBytes(secret), presented);
        return CryptographicOperations.FixedTimeEquals(stored, presented);
    }

    /// <summary>The stored form of a secret: lower-case hex SHA-256 of its ASCII text.</summary>
    public static string Hash(string secret)
    {
        ArgumentNullException.ThrowIfNull(secret);
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(secret)));
    }
}

using System.Collections.Frozen;
using Vigil.Access;
using Vigil.Persistence;

namespace Vigil.Server.Access;

/// <summary>
/// The API keys in force, cached in memory (refreshed when the store reports a key change) so authenticating a request
/// never reads the store. <see cref="OpenMode"/>: bound only to loopback and no active key exists — then every request is allowed.
/// </summary>
public sealed partial class KeyRing(IVigilStore store, ILogger<KeyRing> logger)
{
    private FrozenDictionary<string, ApiKey> _keys = FrozenDictionary<string, ApiKey>.Empty;

    /// <summary>Whether every address the server is bound to is a loopback address. Set once at start.</summary>
    public bool LoopbackOnly { get; set; } = true;

    /// <summary>True when requests need no key: loopback only and no active key.</summary>
    public bool OpenMode => LoopbackOnly && !HasActiveKeys;

    public bool HasActiveKeys { get; private set; }

    public bool HasAdminKey { get; private set; }

    public async Task RefreshAsync(CancellationToken cancellationToken)
    {
        var keys = await store.ListKeysAsync(cancellationToken);
        var active = keys.Where(k => k.RevokedAt is null).ToList();
        Volatile.Write(ref _keys, active.ToFrozenDictionary(k => k.Id, StringComparer.Ordinal));
        HasActiveKeys = active.Count > 0;
        HasAdminKey = active.Any(k => (k.Scopes & ApiScopes.Admin) != 0);
        LogRefreshed(logger, active.Count);
    }

    /// <summary>The key a presented secret belongs to, or null when it is malformed, unknown, revoked or wrong.</summary>
    public ApiKey? Authenticate(string presented)
    {
        if (!ApiKeyFactory.TryParse(presented, out var id, out var secret))
        {
            return null;
        }

        return Volatile.Read(ref _keys).TryGetValue(id, out var key) && ApiKeyFactory.Verify(key, secret) ? key : null;
    }

    [LoggerMessage(EventId = 1300, Level = LogLevel.Debug, Message = "API keys refreshed: {Count} active")]
    private static partial void LogRefreshed(ILogger logger, int count);
}

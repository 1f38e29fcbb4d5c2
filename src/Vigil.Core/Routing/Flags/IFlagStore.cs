using Vigil.Audit;

namespace Vigil.Routing.Flags;

/// <summary>Flags (docs/flags.md): versioned JSON definitions keyed by name, each change audited with before and after.</summary>
public interface IFlagStore
{
    /// <summary>Creates a flag (Conflict when the key exists) with its audit event (<c>flag.created</c>, After = the definition).</summary>
    Task<Result<StoredFlag>> CreateFlagAsync(StoredFlag flag, AuditContext who, CancellationToken cancellationToken);

    /// <summary>Replaces a flag's definition if it is still at <paramref name="expectedRevision"/> (else Conflict; NotFound when absent), with an audit event named <paramref name="action"/> holding before and after.</summary>
    Task<Result<StoredFlag>> UpdateFlagAsync(string key, long expectedRevision, string definition, string action, AuditContext who, CancellationToken cancellationToken);

    Task<StoredFlag?> GetFlagAsync(string key, CancellationToken cancellationToken);

    /// <summary>Every flag, or the flags of one service.</summary>
    Task<IReadOnlyList<StoredFlag>> ListFlagsAsync(string? service, CancellationToken cancellationToken);
}

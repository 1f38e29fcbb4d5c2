using Vigil.Audit;

namespace Vigil.Routing.Flags;

/// <summary>Flag segments (docs/flags.md, "Segments"): named, versioned sets of targeting rules flags refer to.</summary>
public interface ISegmentStore
{
    /// <summary>Stores a segment at revision 1 with a <c>segment.created</c> audit event; Conflict when the key is taken.</summary>
    Task<Result<StoredSegment>> CreateSegmentAsync(StoredSegment segment, AuditContext who, CancellationToken cancellationToken);

    /// <summary>Replaces a segment's definition if it is still at <paramref name="expectedRevision"/> (else Conflict), audited as <c>segment.updated</c>.</summary>
    Task<Result<StoredSegment>> UpdateSegmentAsync(string key, long expectedRevision, string definition, AuditContext who, CancellationToken cancellationToken);

    Task<StoredSegment?> GetSegmentAsync(string key, CancellationToken cancellationToken);

    /// <summary>Every segment, by key.</summary>
    Task<IReadOnlyList<StoredSegment>> ListSegmentsAsync(CancellationToken cancellationToken);
}

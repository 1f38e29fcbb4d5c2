using Vigil.Audit;
using Vigil.Routing.Flags;

namespace Vigil.Storage;

public abstract partial class SqlStore
{
    private const string SegmentCreated = "segment.created";
    private const string SegmentUpdated = "segment.updated";

    /// <inheritdoc />
    public async Task<Result<StoredSegment>> CreateSegmentAsync(StoredSegment segment, AuditContext who, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(segment);
        var created = await CreateDefinitionAsync(
            DefinitionTable.Segments,
            new StoredFlag(segment.Key, segment.Service, segment.Definition, segment.Revision, segment.UpdatedAt),
            SegmentCreated,
            who,
            cancellationToken);
        return created.IsSuccess ? Result<StoredSegment>.Ok(ToSegment(created.Value!)) : created.Failure!;
    }

    /// <inheritdoc />
    public async Task<Result<StoredSegment>> UpdateSegmentAsync(string key, long expectedRevision, string definition, AuditContext who, CancellationToken cancellationToken)
    {
        var updated = await UpdateDefinitionAsync(DefinitionTable.Segments, key, expectedRevision, definition, SegmentUpdated, who, cancellationToken);
        return updated.IsSuccess ? Result<StoredSegment>.Ok(ToSegment(updated.Value!)) : updated.Failure!;
    }

    /// <inheritdoc />
    public async Task<StoredSegment?> GetSegmentAsync(string key, CancellationToken cancellationToken)
    {
        var found = await QueryAsync($"SELECT {FlagColumns} FROM flag_segments WHERE key = @key", ReadFlag, cancellationToken, ("key", key));
        return found.Count == 0 ? null : ToSegment(found[0]);
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<StoredSegment>> ListSegmentsAsync(CancellationToken cancellationToken) =>
        [.. (await QueryAsync($"SELECT {FlagColumns} FROM flag_segments ORDER BY key", ReadFlag, cancellationToken)).Select(ToSegment)];

    private static StoredSegment ToSegment(StoredFlag row) => new(row.Key, row.Service, row.Definition, row.Revision, row.UpdatedAt);
}

using Vigil.Audit;

namespace Vigil.Releases;

/// <summary>
/// The releases' part of the store: releases, their transitions, and the commands that change a release together with
/// what belongs to it (its flag, the aliases), each one transaction.
/// </summary>
public interface IReleaseStore
{
    /// <summary>
    /// Stores a new release with its first event and an audit event (<c>release.started</c>). Conflict when the service already
    /// has an active release (also when two start at once: exactly one wins); NotFound for an unknown service or version.
    /// </summary>
    Task<Result<StoredRelease>> CreateReleaseAsync(StoredRelease release, ReleaseEvent first, AuditContext who, CancellationToken cancellationToken);

    /// <summary>
    /// Writes the release's new status, activity and state if it is still at <paramref name="expectedRevision"/> (else Conflict),
    /// appends <paramref name="transition"/> and an audit event named <paramref name="action"/>, all in one transaction, and
    /// returns the release with its new revision. Every decision is persisted this way before it takes effect.
    /// </summary>
    Task<Result<StoredRelease>> UpdateReleaseAsync(string id, long expectedRevision, string status, bool active, string state, ReleaseEvent transition, string action, AuditContext who, CancellationToken cancellationToken);

    /// <summary>
    /// <see cref="UpdateReleaseAsync"/> for a promotion: the release ends with <paramref name="status"/> and, in the same
    /// transaction, its challenger becomes the service's champion (the champion becomes previous champion; audited as
    /// <c>alias.promoted</c>), unless it already is. Nobody, not even a crash, sees a promoted release whose aliases did not move.
    /// </summary>
    Task<Result<StoredRelease>> PromoteReleaseAsync(string id, long expectedRevision, string status, string state, ReleaseEvent transition, string action, AuditContext who, CancellationToken cancellationToken);

    /// <summary>Replaces a running release's plan (an amendment) if still at <paramref name="expectedRevision"/>, auditing before and after with the reason.</summary>
    Task<Result<StoredRelease>> AmendReleaseAsync(string id, long expectedRevision, string plan, ReleaseEvent transition, AuditContext who, CancellationToken cancellationToken);

    Task<StoredRelease?> GetReleaseAsync(string id, CancellationToken cancellationToken);

    /// <summary>Releases newest first; only active ones when <paramref name="activeOnly"/>; of one service when given.</summary>
    Task<IReadOnlyList<StoredRelease>> ListReleasesAsync(string? service, bool activeOnly, CancellationToken cancellationToken);

    /// <summary>A release's transitions, oldest first.</summary>
    Task<IReadOnlyList<ReleaseEvent>> GetReleaseEventsAsync(string id, CancellationToken cancellationToken);

    /// <summary>
    /// Starts a release with everything that makes it one, in one transaction: the release and its first transition
    /// (audited as <c>release.started</c>), its release flag (<c>flag.created</c>) and, unless the challenger alias already
    /// points at the release's challenger, that alias (<c>alias.set</c>). All of it or none: NotFound for an unknown service
    /// or version, Conflict when the service already has an active release or the flag's key is taken.
    /// </summary>
    Task<Result<StoredRelease>> StartReleaseAsync(ReleaseStart start, AuditContext who, CancellationToken cancellationToken);

    /// <summary>
    /// Persists a decision about a release and everything it carries, in one transaction: the release's status, activity and
    /// state if it is still at <see cref="ReleaseUpdate.ExpectedRevision"/> (else Conflict), its transition and audit event,
    /// the promotion's alias move when <see cref="ReleaseUpdate.Promote"/>, and the release flag switch when
    /// <see cref="ReleaseUpdate.Flag"/> is set (a flag already so, or gone, is left alone). Nobody, not even a crash or
    /// another replica's controller, sees one part without the others.
    /// </summary>
    Task<Result<StoredRelease>> ChangeReleaseAsync(ReleaseUpdate update, AuditContext who, CancellationToken cancellationToken);

    /// <summary>
    /// Shadow calls of <paramref name="query"/>'s challenger paired with the champion answers they copied (by
    /// <c>shadow_of</c>), the most recent first, at most <see cref="ShadowPairsQuery.Limit"/>.
    /// </summary>
    Task<IReadOnlyList<ShadowPair>> GetShadowPairsAsync(ShadowPairsQuery query, CancellationToken cancellationToken);
}

namespace Vigil.Releases;

/// <summary>
/// A release as the store keeps it. The plan and the controller's state are JSON documents that the store does not
/// interpret (the domain types live in this folder); the store enforces identity, one active release per service and
/// optimistic concurrency on <see cref="Revision"/>.
/// </summary>
/// <param name="Id">Unique id, e.g. <c>rel-0193f0…</c>.</param>
/// <param name="Service">The service released to.</param>
/// <param name="Challenger">The version being released.</param>
/// <param name="Status">The state's name (pending, shadowing, canary, paused, awaiting_approval, promoted, rolled_back, aborted).</param>
/// <param name="Active">False once the release ended (promoted, rolled back, aborted); at most one active release per service.</param>
/// <param name="Plan">JSON of the locked plan.</param>
/// <param name="State">JSON of the controller's state.</param>
/// <param name="Revision">Increases with every update.</param>
/// <param name="CreatedAt">When it was started.</param>
/// <param name="UpdatedAt">When it last changed.</param>
public sealed record StoredRelease(
    string Id,
    string Service,
    int Challenger,
    string Status,
    bool Active,
    string Plan,
    string State,
    long Revision,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt);

/// <summary>One transition of a release, appended in the same transaction as the state it leads to.</summary>
/// <param name="Id">Assigned by the store, increasing.</param>
/// <param name="ReleaseId">The release.</param>
/// <param name="At">When it happened.</param>
/// <param name="From">The status before.</param>
/// <param name="To">The status after.</param>
/// <param name="Actor">Who: a key's name, or <c>vigil:controller</c>.</param>
/// <param name="Reason">Why, in words.</param>
/// <param name="Details">JSON of the numbers behind it (trigger evaluations, samples …), when there are any.</param>
public sealed record ReleaseEvent(long Id, string ReleaseId, DateTimeOffset At, string From, string To, string Actor, string Reason, string? Details);

using Vigil.Audit;

namespace Vigil.Releases;

/// <summary>
/// A decision about a release, persisted with everything it carries in one transaction (<see cref="IReleaseStore.ChangeReleaseAsync"/>).
/// </summary>
/// <param name="Id">The release.</param>
/// <param name="ExpectedRevision">The revision the decision was taken at; the change is refused (Conflict) if the release moved on.</param>
/// <param name="Status">The new status.</param>
/// <param name="Active">False when the release ends.</param>
/// <param name="State">JSON of the new state.</param>
/// <param name="Transition">The transition appended.</param>
/// <param name="Action">The audit event's action (<c>release.promoted</c> …).</param>
public sealed record ReleaseUpdate(string Id, long ExpectedRevision, string Status, bool Active, string State, ReleaseEvent Transition, string Action)
{
    /// <summary>The challenger becomes the service's champion (the champion its previous champion), audited as <c>alias.promoted</c>, unless it already is.</summary>
    public bool Promote { get; init; }

    /// <summary>The release flag switched with the decision (the kill switch, or off when the release ends); null leaves it alone.</summary>
    public ReleaseFlagSwitch? Flag { get; init; }
}

/// <summary>The release flag's switch that goes with a decision, audited as <c>flag.enabled</c> or <c>flag.disabled</c>.</summary>
/// <param name="Enabled">On or off.</param>
/// <param name="Who">Who the flag's audit event names, and why; the decision's when null.</param>
public sealed record ReleaseFlagSwitch(bool Enabled, AuditContext? Who = null);

using Vigil.Routing.Flags;

namespace Vigil.Releases;

/// <summary>A release to start with its first transition and its release flag (<see cref="IReleaseStore.StartReleaseAsync"/>).</summary>
/// <param name="Release">The release, active, at revision 1.</param>
/// <param name="First">Its first transition.</param>
/// <param name="Flag">Its release flag (<see cref="Routing.Flags.ReleaseFlag.For"/>).</param>
public sealed record ReleaseStart(StoredRelease Release, ReleaseEvent First, StoredFlag Flag);

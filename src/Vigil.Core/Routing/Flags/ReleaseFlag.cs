namespace Vigil.Routing.Flags;

/// <summary>
/// The <em>release flag</em>: one flag per release, created on when the release starts, with the release id as its key
/// (so its bucketing salt is the release's). The challenger gets traffic only where it evaluates true: turning it off
/// (<c>vigil flags off rel-…</c>, or <c>vigil release kill</c>) takes the challenger out of all traffic on the next request
/// and pauses the release; turning it back on resumes it. Targeting rules on it narrow who can be in the canary
/// (for example only <c>country in [DE]</c>); the release's step weight then decides, stickily, who of them is.
/// When the release ends it is turned off. See docs/flags.md, "The release flag".
/// </summary>
public static class ReleaseFlag
{
    /// <summary>What every release id, and so every release flag's key, starts with.</summary>
    public const string Prefix = "rel-";

    /// <summary>The key of a release's flag: the release id.</summary>
    public static string KeyFor(string releaseId)
    {
        ArgumentNullException.ThrowIfNull(releaseId);
        return releaseId;
    }

    /// <summary>Whether <paramref name="key"/> names a release flag.</summary>
    public static bool IsReleaseFlag(string key) => key.StartsWith(Prefix, StringComparison.Ordinal);

    /// <summary>The flag a release starts with: on for every request (the step weight alone decides who is in the canary).</summary>
    public static FlagDefinition For(string releaseId, string service, int challenger) => new(
        KeyFor(releaseId),
        Enabled: true,
        Description: $"release flag of {releaseId} (version {challenger} of '{service}'): off takes the challenger out of all traffic and pauses the release (the kill switch)");
}

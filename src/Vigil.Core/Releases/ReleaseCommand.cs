namespace Vigil.Releases;

/// <summary>The commands a person (or the flag API) gives a release.</summary>
public enum ReleaseCommandKind
{
    /// <summary>Stop advancing; traffic stays at the current weight and triggers are still judged.</summary>
    Pause,

    /// <summary>Continue a paused release where it was; time paused does not count towards the hold.</summary>
    Resume,

    /// <summary>Stop for good: challenger out of traffic, aliases unchanged. Needs a reason.</summary>
    Abort,

    /// <summary>Give the approval a step waits for (only while awaiting approval).</summary>
    Approve,

    /// <summary>Make the challenger champion now, without waiting for the schedule. Needs a reason.</summary>
    Promote,

    /// <summary>The release flag was turned off (kill switch): the challenger is out of all traffic and the release pauses.</summary>
    KillSwitchOff,

    /// <summary>
    /// The release flag was turned back on: a release the kill switch paused resumes; one a person had paused before the
    /// switch was thrown goes back to that person's pause (a flag cannot overrule a person; they resume it).
    /// </summary>
    KillSwitchOn,
}

/// <summary>A command, who gave it, when and why.</summary>
public sealed record ReleaseCommand(ReleaseCommandKind Kind, string Actor, DateTimeOffset At, string? Reason = null);

namespace Vigil.Server.Hosting;

/// <summary>The wait between two ticks of a control loop (releases, monitors, retraining).</summary>
internal static class ControlLoop
{
    /// <summary>
    /// The longest single wait: <see cref="Task.Delay(TimeSpan, TimeProvider, CancellationToken)"/> refuses more than
    /// about 49.7 days, and a loop that got that exception on every turn would spin. Tests that tick by hand set a tick
    /// of a year; it waits in steps of this length instead.
    /// </summary>
    public static readonly TimeSpan MaxDelay = TimeSpan.FromDays(45);

    /// <summary>Waits one <paramref name="tick"/> of <paramref name="time"/>'s clock (at most <see cref="MaxDelay"/>).</summary>
    public static Task DelayAsync(TimeSpan tick, TimeProvider time, CancellationToken cancellationToken) =>
        Task.Delay(tick > MaxDelay ? MaxDelay : tick, time, cancellationToken);
}

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

    /// <summary>
    /// Runs <paramref name="tick"/> every <paramref name="every"/> of <paramref name="time"/>'s clock until stopped
    /// (first after one wait, or at once with <paramref name="tickFirst"/>); a failed tick is reported to
    /// <paramref name="failed"/> and the loop goes on at the next tick. With a <paramref name="leader"/>, a tick runs only
    /// while this replica leads (docs/operations.md, "Leader election"); a follower just waits for the next tick.
    /// </summary>
    public static async Task RunAsync(
        Func<CancellationToken, Task> tick,
        TimeSpan every,
        TimeProvider time,
        Action<Exception> failed,
        CancellationToken stoppingToken,
        bool tickFirst = false,
        ILeaderElection? leader = null)
    {
        var first = tickFirst;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                if (!first)
                {
                    await DelayAsync(every, time, stoppingToken);
                }

                first = false;
                if (leader is null || await leader.ConfirmAsync(stoppingToken))
                {
                    await tick(stoppingToken);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                failed(ex);
            }
        }
    }
}

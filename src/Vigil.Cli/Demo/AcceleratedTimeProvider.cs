namespace Vigil.Cli.Demo;

/// <summary>
/// A clock that runs <see cref="Speed"/> times faster than an underlying real clock, so that <c>vigil demo</c> can play
/// simulated days of traffic (and, later, a 14-day rollout) in seconds or minutes.
/// </summary>
/// <remarks>
/// <para>What is accelerated and what is not:</para>
/// <list type="bullet">
/// <item><description><see cref="GetUtcNow"/> is simulated: <c>start + (real elapsed × speed)</c>. Everything that stamps,
/// windows or schedules by wall-clock time (predictions, outcomes, aliases, audit, release hold times) sees simulated time.</description></item>
/// <item><description>Timers (<see cref="CreateTimer"/>, and so <c>Task.Delay(TimeSpan, TimeProvider)</c> and
/// <c>PeriodicTimer</c> built on this clock) are simulated too: a due time or period of one simulated hour fires after
/// <c>1 h / speed</c> of real time, never sooner than <see cref="MinimumRealPeriod"/>, so a short simulated period cannot
/// turn into a busy loop.</description></item>
/// <item><description><see cref="GetTimestamp"/> (and so <see cref="TimeProvider.GetElapsedTime(long)"/>) is <b>not</b>
/// accelerated: it measures durations of real work (request latency, backend time), which would be meaningless
/// multiplied by the speed.</description></item>
/// </list>
/// <para>The simulated time is derived from the underlying clock's monotonic timestamp, so it never jumps backwards when
/// the machine's wall clock is adjusted.</para>
/// <para>The speed may change while the clock runs (<see cref="ChangeSpeed"/>: the demo plays a 14-day rollout faster
/// than a day of baseline traffic). The simulated time is continuous across the change, and everything asked of the
/// clock afterwards (the time, new timers, delays, a timer's <c>Change</c>) uses the new speed; a timer already
/// running keeps the real due time it was given, so it fires early or late by at most its remaining period.</para>
/// <para>A throttle (<see cref="Throttle"/>, set by <see cref="TrafficPacer"/>) slows the clock below the speed a scenario
/// asked for when the machine cannot send the simulated traffic on time: the clock then runs at
/// <c>requested speed × throttle</c> (never below 1), continuously like a speed change, and a scenario's later
/// <see cref="ChangeSpeed"/> keeps the throttle.</para>
/// </remarks>
public sealed class AcceleratedTimeProvider : TimeProvider
{
    /// <summary>The smallest real period a positive simulated due time or period is turned into: 1 ms.</summary>
    public static readonly TimeSpan MinimumRealPeriod = TimeSpan.FromMilliseconds(1);

    private readonly TimeProvider _real;

    // The simulated time at a real timestamp and the speed since then; replaced as a whole when the speed changes.
    private Anchor _anchor;

    /// <summary>Creates a clock that starts at <paramref name="start"/> now and then runs <paramref name="speed"/> times faster than <paramref name="real"/>.</summary>
    /// <param name="real">The underlying real clock (<see cref="TimeProvider.System"/>, or a fake one in tests).</param>
    /// <param name="speed">Simulated seconds per real second; at least 1 (1 means "as fast as real time").</param>
    /// <param name="start">The simulated time at creation. Default: the real clock's current time.</param>
    public AcceleratedTimeProvider(TimeProvider real, double speed, DateTimeOffset? start = null)
    {
        ArgumentNullException.ThrowIfNull(real);
        if (!double.IsFinite(speed) || speed < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(speed), speed, "the speed must be a finite number of at least 1");
        }

        _real = real;
        Start = start ?? real.GetUtcNow();
        _anchor = new Anchor(real.GetTimestamp(), Start, speed, 1);
    }

    /// <summary>Simulated seconds per real second, now: <see cref="RequestedSpeed"/> × <see cref="Throttle"/>, at least 1.</summary>
    public double Speed => Volatile.Read(ref _anchor).Speed;

    /// <summary>The speed asked for by the constructor or the last <see cref="ChangeSpeed"/>, before the throttle.</summary>
    public double RequestedSpeed => Volatile.Read(ref _anchor).RequestedSpeed;

    /// <summary>The share of <see cref="RequestedSpeed"/> the clock runs at, in (0, 1]; 1 unless <see cref="SetThrottle"/> slowed it.</summary>
    public double Throttle => Volatile.Read(ref _anchor).Throttle;

    /// <summary>The simulated time at which this clock was created.</summary>
    public DateTimeOffset Start { get; }

    /// <summary>The simulated time elapsed since <see cref="Start"/>.</summary>
    public TimeSpan SimulatedElapsed => GetUtcNow() - Start;

    /// <inheritdoc />
    public override TimeZoneInfo LocalTimeZone => _real.LocalTimeZone;

    /// <inheritdoc />
    public override long TimestampFrequency => _real.TimestampFrequency;

    /// <summary>The simulated current time: the simulated time of the last speed change (or <see cref="Start"/>) plus the real time elapsed since, times <see cref="Speed"/>.</summary>
    public override DateTimeOffset GetUtcNow() => Now(Volatile.Read(ref _anchor));

    /// <summary>
    /// From now on, runs <paramref name="speed"/> times faster than the real clock. The simulated time goes on from where it
    /// is (it never jumps); see the class remarks for timers already running.
    /// </summary>
    /// <param name="speed">Simulated seconds per real second; at least 1.</param>
    public void ChangeSpeed(double speed)
    {
        if (!double.IsFinite(speed) || speed < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(speed), speed, "the speed must be a finite number of at least 1");
        }

        Swap(current => (speed, current.Throttle));
    }

    /// <summary>
    /// From now on, runs at <paramref name="throttle"/> × <see cref="RequestedSpeed"/> (at least 1): the simulated time goes
    /// on from where it is, as with <see cref="ChangeSpeed"/>.
    /// </summary>
    /// <param name="throttle">The share of the requested speed, in (0, 1]; 1 runs at the requested speed.</param>
    public void SetThrottle(double throttle)
    {
        if (!double.IsFinite(throttle) || throttle <= 0 || throttle > 1)
        {
            throw new ArgumentOutOfRangeException(nameof(throttle), throttle, "the throttle must be in (0, 1]");
        }

        Swap(current => (current.RequestedSpeed, throttle));
    }

    private void Swap(Func<Anchor, (double RequestedSpeed, double Throttle)> change)
    {
        while (true)
        {
            var current = Volatile.Read(ref _anchor);
            var timestamp = _real.GetTimestamp();
            var (requested, throttle) = change(current);
            var next = new Anchor(timestamp, Now(current, timestamp), requested, throttle);
            if (ReferenceEquals(Interlocked.CompareExchange(ref _anchor, next, current), current))
            {
                return;
            }
        }
    }

    /// <summary>The underlying clock's timestamp, not accelerated: durations measured with it are real durations.</summary>
    public override long GetTimestamp() => _real.GetTimestamp();

    /// <summary>Creates a timer whose due time and period are simulated durations (see the class remarks).</summary>
    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        ArgumentNullException.ThrowIfNull(callback);
        return new AcceleratedTimer(this, _real.CreateTimer(callback, state, ToReal(dueTime), ToReal(period)));
    }

    /// <summary>The real duration that <paramref name="simulated"/> takes on this clock. Zero and infinite (<see cref="Timeout.InfiniteTimeSpan"/>) stay as they are; a positive duration is at least <see cref="MinimumRealPeriod"/>.</summary>
    public TimeSpan ToReal(TimeSpan simulated)
    {
        if (simulated == Timeout.InfiniteTimeSpan || simulated <= TimeSpan.Zero)
        {
            return simulated;
        }

        var ticks = simulated.Ticks / Speed;
        return ticks < MinimumRealPeriod.Ticks ? MinimumRealPeriod : TimeSpan.FromTicks((long)Math.Ceiling(ticks));
    }

    /// <summary>The simulated duration that <paramref name="real"/> stands for on this clock, at its current speed.</summary>
    public TimeSpan ToSimulated(TimeSpan real) => ToSimulated(real, Speed);

    private static TimeSpan ToSimulated(TimeSpan real, double speed)
    {
        var ticks = real.Ticks * speed;
        return ticks >= TimeSpan.MaxValue.Ticks ? TimeSpan.MaxValue : TimeSpan.FromTicks((long)Math.Round(ticks));
    }

    private DateTimeOffset Now(Anchor anchor) => Now(anchor, _real.GetTimestamp());

    private DateTimeOffset Now(Anchor anchor, long timestamp) =>
        anchor.Simulated + ToSimulated(_real.GetElapsedTime(anchor.RealTimestamp, timestamp), anchor.Speed);

    private sealed record Anchor(long RealTimestamp, DateTimeOffset Simulated, double RequestedSpeed, double Throttle)
    {
        public double Speed { get; } = Math.Max(1, RequestedSpeed * Throttle);
    }

    /// <summary>A timer of the underlying clock whose <see cref="Change"/> takes simulated durations.</summary>
    private sealed class AcceleratedTimer(AcceleratedTimeProvider clock, ITimer inner) : ITimer
    {
        public bool Change(TimeSpan dueTime, TimeSpan period) => inner.Change(clock.ToReal(dueTime), clock.ToReal(period));

        public void Dispose() => inner.Dispose();

        public ValueTask DisposeAsync() => inner.DisposeAsync();
    }
}

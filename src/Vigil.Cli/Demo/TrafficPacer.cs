namespace Vigil.Cli.Demo;

/// <summary>
/// Keeps the demo's simulated traffic on time on a slow or busy machine. The traffic loops send each request at a simulated
/// time drawn in advance. When the machine cannot send them as fast as the accelerated clock asks, the requests fall
/// behind: they are stamped later than they were due, and a simulated day (or a release step's hold, or a monitor's
/// window) gets fewer requests than planned. The pacer then slows the clock (<see cref="AcceleratedTimeProvider.SetThrottle"/>)
/// until the requests are on time again, and gives the speed back as they keep up. A slow machine gets a slower demo
/// with the same number of requests per simulated day, instead of the same real duration with less traffic.
/// </summary>
/// <remarks>
/// <para>
/// Lateness is measured in simulated time when a request is sent. Above <see cref="HighWater"/>, the throttle halves;
/// below <see cref="LowWater"/>, it grows by a quarter, up to 1 (the speed the scenario asked for). Each change waits
/// <see cref="AdjustEvery"/> of real time after the one before, so that the requests sent just before a change do
/// not trigger another one. The throttle never goes below <see cref="MinThrottle"/>, and the clock never runs slower
/// than real time.
/// </para>
/// <para>Thread-safe: requests are sent from several tasks.</para>
/// </remarks>
public sealed class TrafficPacer
{
    /// <summary>Simulated lateness above which the clock is slowed: 2 minutes.</summary>
    public static readonly TimeSpan HighWater = TimeSpan.FromMinutes(2);

    /// <summary>Simulated lateness below which the clock is allowed to speed up again: 20 seconds.</summary>
    public static readonly TimeSpan LowWater = TimeSpan.FromSeconds(20);

    /// <summary>The least real time between two changes of the throttle: 50 ms.</summary>
    public static readonly TimeSpan AdjustEvery = TimeSpan.FromMilliseconds(50);

    /// <summary>The smallest throttle: 1/1024 of the requested speed.</summary>
    public const double MinThrottle = 1.0 / 1024;

    private readonly AcceleratedTimeProvider _clock;
    private readonly Lock _lock = new();
    private long _lastChange;
    private bool _changed;

    /// <summary>Creates a pacer for <paramref name="clock"/>, which runs at its requested speed (throttle 1) from now on.</summary>
    public TrafficPacer(AcceleratedTimeProvider clock)
    {
        ArgumentNullException.ThrowIfNull(clock);
        _clock = clock;
        if (clock.Throttle < 1)
        {
            clock.SetThrottle(1);
        }
    }

    /// <summary>How many times the pacer slowed the clock.</summary>
    public int Slowdowns { get; private set; }

    /// <summary>The lowest throttle the pacer set (1 if it never slowed the clock).</summary>
    public double LowestThrottle { get; private set; } = 1;

    /// <summary>The lowest clock speed while the pacer ran, in simulated seconds per real second.</summary>
    public double LowestSpeed { get; private set; } = double.PositiveInfinity;

    /// <summary>
    /// Reports that a request due at simulated time <paramref name="due"/> is being sent now, and slows or speeds up the
    /// clock by how late it is.
    /// </summary>
    public void Sending(DateTimeOffset due)
    {
        var lateness = _clock.GetUtcNow() - due;
        lock (_lock)
        {
            var now = _clock.GetTimestamp();
            if (_changed && _clock.GetElapsedTime(_lastChange, now) < AdjustEvery)
            {
                return;
            }

            var throttle = _clock.Throttle;
            double next;
            if (lateness > HighWater && throttle > MinThrottle && _clock.Speed > 1)
            {
                next = Math.Max(MinThrottle, throttle / 2);
                Slowdowns++;
            }
            else if (lateness < LowWater && throttle < 1)
            {
                next = Math.Min(1, throttle * 1.25);
            }
            else
            {
                return;
            }

            _clock.SetThrottle(next);
            _lastChange = now;
            _changed = true;
            LowestThrottle = Math.Min(LowestThrottle, next);
            LowestSpeed = Math.Min(LowestSpeed, _clock.Speed);
        }
    }

    /// <summary>Gives the clock its requested speed back (the traffic this pacer watched is over).</summary>
    public void Release()
    {
        lock (_lock)
        {
            if (_clock.Throttle < 1)
            {
                _clock.SetThrottle(1);
            }
        }
    }

    /// <summary>A line for the console when the pacer had to slow the clock, else null.</summary>
    public string? Describe(string scenario) => Slowdowns == 0
        ? null
        : $"({scenario}: this machine could not send the requests on time, so the simulated clock was slowed, at the slowest to {LowestSpeed:N0}× real time ({LowestThrottle:P1} of the speed asked for). Each simulated day still got its requests.)";
}

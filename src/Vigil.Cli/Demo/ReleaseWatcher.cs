using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Vigil.Releases;
using Vigil.Server.Releases;

namespace Vigil.Cli.Demo;

/// <summary>
/// Watches a release through <c>GET /v1/releases/{id}</c> as the controller drives it: prints each transition as it
/// appears (with the numbers behind it) and, every so often, a status line with the step, the weight, the traffic each
/// arm served and each trigger's current estimate and interval.
/// </summary>
public sealed class ReleaseWatcher
{
    private static JsonSerializerOptions ReadOptions { get; } = new(VigilJson.Options) { UnmappedMemberHandling = JsonUnmappedMemberHandling.Skip };

    private readonly DemoContext _context;
    private readonly DemoReleaseClient _client;
    private readonly ReleaseTrafficDriver _traffic;
    private readonly HashSet<long> _shown = [];

    /// <summary>Creates a watcher.</summary>
    public ReleaseWatcher(DemoContext context, DemoReleaseClient client, ReleaseTrafficDriver traffic)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(traffic);
        _context = context;
        _client = client;
        _traffic = traffic;
    }

    /// <summary>
    /// Polls the release every <paramref name="pollEvery"/> of simulated time until it is finished, <paramref name="until"/>
    /// has passed, or <paramref name="onView"/> returns false; prints transitions as they appear and a status line every
    /// <paramref name="statusEvery"/>. Returns the last view.
    /// </summary>
    public async Task<ReleaseView> WatchAsync(
        ReleaseView release,
        TimeSpan pollEvery,
        TimeSpan statusEvery,
        DateTimeOffset until,
        Func<ReleaseView, Task<bool>>? onView,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(release);
        var clock = _context.Clock;
        var view = release;
        var nextStatus = clock.GetUtcNow() + statusEvery;
        ShowNewEvents(view);
        while (view.Active && clock.GetUtcNow() < until)
        {
            await Task.Delay(pollEvery, clock, cancellationToken);
            view = await _client.GetAsync(view.Id, cancellationToken);
            ShowNewEvents(view);
            var now = clock.GetUtcNow();
            if (view.Active && now >= nextStatus)
            {
                ShowStatus(view);
                nextStatus = now + statusEvery;
            }

            if (onView is not null && !await onView(view))
            {
                break;
            }
        }

        return view;
    }

    /// <summary>Prints the transitions of <paramref name="view"/> not printed yet.</summary>
    public void ShowNewEvents(ReleaseView view)
    {
        ArgumentNullException.ThrowIfNull(view);
        foreach (var e in view.Events.OrderBy(e => e.Id))
        {
            if (!_shown.Add(e.Id))
            {
                continue;
            }

            _context.Console.Line($"  {Day(e.At)}  {Transition(e)}");
            var details = Details(e);
            if (e.To == "rolled_back" && details?.Triggers is { } fired)
            {
                foreach (var trigger in fired)
                {
                    _context.Console.Line($"               fired: {Trigger(trigger)}");
                }
            }

            if (e.To == "promoted" && details?.Promotion is { Count: > 0 } promotion)
            {
                foreach (var criterion in promotion)
                {
                    _context.Console.Line($"               promotion: {Criterion(criterion)}");
                }
            }
        }
    }

    /// <summary>Prints one status line: phase and weight, requests per arm (as the users counted them), and each trigger.</summary>
    public void ShowStatus(ReleaseView view)
    {
        ArgumentNullException.ThrowIfNull(view);
        var served = string.Join(", ", _traffic.Tally().Select(c => $"{c.Arm} v{c.Version} {c.Requests:N0}"));
        var line = $"  {Day(_context.Clock.GetUtcNow())}  {Phase(view)} · served so far: {(served.Length == 0 ? "nothing yet" : served)}";
        _context.Console.Line(line);
        foreach (var trigger in view.Triggers ?? [])
        {
            _context.Console.Line($"               {Trigger(trigger)}");
        }
    }

    /// <summary>The simulated day and time of the demo: <c>day 3 14:05</c> (day 1 is the demo's first day).</summary>
    public string Day(DateTimeOffset at)
    {
        var start = _context.Clock.Start.UtcDateTime.Date;
        return $"day {(at.UtcDateTime.Date - start).Days + 1} {at.UtcDateTime:HH:mm}";
    }

    /// <summary>One transition for people: <c>canary → rolled_back by vigil:controller: reason</c>.</summary>
    public static string Transition(ReleaseEvent e)
    {
        ArgumentNullException.ThrowIfNull(e);
        return $"{e.From} → {e.To} by {e.Actor}: {e.Reason}";
    }

    /// <summary>Where the release is, with its weight: <c>canary step 2/2 at 25% since day 3 10:00</c>, <c>paused by the kill switch: canary weight 0.0%</c>.</summary>
    public string Phase(ReleaseView view)
    {
        ArgumentNullException.ThrowIfNull(view);
        var steps = view.Plan.StepList.Count;
        var weight = Percent(view.Traffic.CanaryWeightPpm / 1_000_000.0);
        return view.State.Phase switch
        {
            ReleasePhase.Shadowing => $"shadow, {Percent(view.Traffic.ShadowSamplePpm / 1_000_000.0)} of requests copied to v{view.Challenger}",
            ReleasePhase.Canary => $"canary step {view.State.Step}/{steps} at {weight}" + (view.State.StepStartedAt is { } since ? $" since {Day(since)}" : ""),
            ReleasePhase.Paused when view.State.Pause is { KillSwitch: true } => $"paused by the kill switch: canary weight {weight}",
            ReleasePhase.Paused => $"paused at step {view.State.Step}/{steps}: canary weight {weight}",
            _ => $"{view.Status} (step {view.State.Step}/{steps}, canary weight {weight})",
        };
    }

    /// <summary>
    /// One trigger for people: <c>task_completed: challenger − control −7.9pp [−14.0pp, −1.8pp], fires below −3.0pp (812 challenger vs 15,300 control) → ok</c>.
    /// Relative triggers in percentage points, absolute ones in percent.
    /// </summary>
    public static string Trigger(TriggerEvaluation t)
    {
        ArgumentNullException.ThrowIfNull(t);
        var relative = t.Trigger.EffectiveCompare == TriggerCompare.Control;
        var higherIsBetter = ReleaseMetrics.TryGet(t.Metric, out var metric) && metric.HigherIsBetter;
        var fires = higherIsBetter ? "below" : "above";
        var segment = t.Segment is null ? "" : $" [{t.Segment}]";
        var samples = relative ? $"{t.ChallengerSamples:N0} challenger vs {t.ControlSamples:N0} control" : $"{t.ChallengerSamples:N0} challenger";
        var verdict = t.Verdict.ToString().ToLowerInvariant();
        if (t.Estimate is not { } estimate)
        {
            return $"{t.Metric}{segment}: no data yet ({samples}) → {verdict}";
        }

        return relative
            ? $"{t.Metric}{segment}: challenger − control {Points(estimate)} [{Points(t.Lower)}, {Points(t.Upper)}], fires {fires} {Points(t.Threshold)} ({samples}) → {verdict}"
            : $"{t.Metric}{segment}: {Percent(estimate)} [{Percent(t.Lower)}, {Percent(t.Upper)}], fires {fires} {Percent(t.Threshold)} ({samples}) → {verdict}";
    }

    /// <summary>One promotion criterion for people.</summary>
    public static string Criterion(PromotionEvaluation p)
    {
        ArgumentNullException.ThrowIfNull(p);
        return $"{p.Criterion.Metric}: challenger − control {Points(p.Estimate)} [{Points(p.Lower)}, {Points(p.Upper)}], needs the bound beyond {Points(p.Threshold)} ({p.ChallengerSamples:N0} challenger vs {p.ControlSamples:N0} control) → {p.Verdict.ToString().ToLowerInvariant()}";
    }

    /// <summary>The numbers recorded with a transition (its <see cref="ReleaseEvent.Details"/>), or null.</summary>
    public static TransitionDetails? Details(ReleaseEvent e)
    {
        ArgumentNullException.ThrowIfNull(e);
        if (string.IsNullOrEmpty(e.Details))
        {
            return null;
        }

        try
        {
            return JsonSerializer.Deserialize<TransitionDetails>(e.Details, ReadOptions);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>A fraction as percentage points with a sign: <c>−3.0pp</c>.</summary>
    public static string Points(double? fraction) => fraction is { } f
        ? (f * 100).ToString("+0.0;−0.0;0.0", CultureInfo.InvariantCulture) + "pp"
        : "-";

    /// <summary>A fraction as a percentage: <c>2.0%</c> (up to 2 decimals below 1%).</summary>
    public static string Percent(double? fraction) => fraction is { } f
        ? (f * 100).ToString(Math.Abs(f) is > 0 and < 0.01 ? "0.0#" : "0.0", CultureInfo.InvariantCulture) + "%"
        : "-";
}

/// <summary>The numbers a release transition records (the event's details).</summary>
/// <param name="Triggers">The trigger evaluations behind it (for a rollback: those that fired).</param>
/// <param name="Promotion">The promotion criteria (for a promotion).</param>
/// <param name="FirstBreachAt">For a rollback: when the breach was first seen.</param>
/// <param name="FromStep">The step before.</param>
/// <param name="ToStep">The step after.</param>
public sealed record TransitionDetails(
    IReadOnlyList<TriggerEvaluation>? Triggers = null,
    IReadOnlyList<PromotionEvaluation>? Promotion = null,
    DateTimeOffset? FirstBreachAt = null,
    int? FromStep = null,
    int? ToStep = null);

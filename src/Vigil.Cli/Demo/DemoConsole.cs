using System.Diagnostics;
using System.Globalization;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace Vigil.Cli.Demo;

/// <summary>
/// Where the demo shows what it does. On a terminal: spinners, a live progress bar and coloured tables. Anywhere else
/// (a pipe, a file, CI, a test): plain lines, with a progress line every few simulated hours, and the same tables
/// without colour. Errors go to the error writer as one line each.
/// </summary>
public sealed class DemoConsole
{
    /// <summary>In plain mode, a progress line is printed each time this much simulated time has passed.</summary>
    public static readonly TimeSpan PlainProgressInterval = TimeSpan.FromHours(6);

    private readonly TextWriter _error;

    /// <summary>Creates a console writing to <paramref name="output"/> and <paramref name="error"/>; live widgets only when <paramref name="output"/> is the process's terminal.</summary>
    public DemoConsole(TextWriter output, TextWriter error)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(error);
        _error = error;
        var terminal = ReferenceEquals(output, System.Console.Out) && !System.Console.IsOutputRedirected;
        Ansi = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(output),
            Ansi = terminal ? AnsiSupport.Detect : AnsiSupport.No,
            ColorSystem = terminal ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
            Interactive = terminal ? InteractionSupport.Detect : InteractionSupport.No,
        });
        if (!terminal)
        {
            // No terminal width to fit: do not wrap tables at 80 columns.
            Ansi.Profile.Width = 160;
        }

        IsLive = terminal && Ansi.Profile.Capabilities.Interactive && Ansi.Profile.Capabilities.Ansi;
    }

    /// <summary>Whether live widgets (spinners, progress bars) are shown.</summary>
    public bool IsLive { get; }

    /// <summary>The underlying Spectre console, for tables.</summary>
    public IAnsiConsole Ansi { get; }

    /// <summary>Prints a line of plain text.</summary>
    public void Line(string text = "") => Ansi.WriteLine(text);

    /// <summary>Prints a line with Spectre markup (escape any user text with <see cref="Markup.Escape"/>).</summary>
    public void MarkupLine(string markup) => Ansi.MarkupLine(markup);

    /// <summary>Prints a widget (a table, a panel).</summary>
    public void Write(IRenderable renderable) => Ansi.Write(renderable);

    /// <summary>Prints a failure on the error writer.</summary>
    public void Fail(string message) => _error.WriteLine("error: " + message);

    /// <summary>
    /// Runs one setup step: a spinner with <paramref name="running"/> on a terminal, a plain line elsewhere; then a line
    /// saying what it produced (<paramref name="done"/>) and how long it took.
    /// </summary>
    public async Task<T> StepAsync<T>(string running, Func<Task<T>> work, Func<T, string> done)
    {
        ArgumentNullException.ThrowIfNull(work);
        ArgumentNullException.ThrowIfNull(done);
        var started = Stopwatch.GetTimestamp();
        T result;
        if (IsLive)
        {
            result = await Ansi.Status().Spinner(Spinner.Known.Dots).StartAsync(Markup.Escape(running) + "…", _ => work());
        }
        else
        {
            Line(running + "…");
            result = await work();
        }

        var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        MarkupLine($"[green]✓[/] {Markup.Escape(done(result))} [grey]({seconds:0.0} s)[/]");
        return result;
    }

    /// <summary>
    /// Runs a traffic scenario with its progress shown: a live bar over simulated time on a terminal, a line every
    /// <see cref="PlainProgressInterval"/> of simulated time elsewhere.
    /// </summary>
    public async Task<T> TrackAsync<T>(string title, Func<IProgress<TrafficProgress>, Task<T>> work)
    {
        ArgumentNullException.ThrowIfNull(work);
        if (!IsLive)
        {
            Line($"{title}…");
            return await work(new PlainProgress(this));
        }

        return await Ansi.Progress()
            .AutoClear(false)
            .HideCompleted(false)
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn { Width = 20 }, new PercentageColumn())
            .StartAsync(async context =>
            {
                var task = context.AddTask(Markup.Escape(title), maxValue: 1);
                return await work(new LiveProgress(task));
            });
    }

    /// <summary>One line describing <paramref name="progress"/>.</summary>
    public static string Describe(TrafficProgress progress)
    {
        ArgumentNullException.ThrowIfNull(progress);
        return $"{progress.SimulatedLabel}  requests {progress.Requests:N0}/{progress.Planned:N0}  errors {progress.Errors:N0}  "
            + $"engaged {Percent(progress.EngagementRate)}  feedback {progress.FeedbackSent:N0}";
    }

    /// <summary>A short form of <see cref="Describe"/> that fits next to a progress bar on an 80-column terminal.</summary>
    public static string DescribeShort(TrafficProgress progress)
    {
        ArgumentNullException.ThrowIfNull(progress);
        return $"{progress.SimulatedLabel}  {progress.Requests:N0}/{progress.Planned:N0} req  {progress.Errors:N0} err  {Percent(progress.EngagementRate)} engaged";
    }

    /// <summary>A share as a percentage with one decimal and no space: <c>36.4%</c>.</summary>
    public static string Percent(double share) => (share * 100).ToString("0.0", CultureInfo.InvariantCulture) + "%";

    private sealed class LiveProgress(ProgressTask task) : IProgress<TrafficProgress>
    {
        public void Report(TrafficProgress value)
        {
            var duration = value.SimulatedDuration.TotalSeconds;
            task.MaxValue = duration > 0 ? duration : 1;
            task.Value = value.SimulatedElapsed.TotalSeconds;
            task.Description = Markup.Escape(DescribeShort(value));
        }
    }

    private sealed class PlainProgress(DemoConsole console) : IProgress<TrafficProgress>
    {
        private readonly Lock _lock = new();
        private long _printedIntervals = -1;

        public void Report(TrafficProgress value)
        {
            var intervals = (long)(value.SimulatedElapsed / PlainProgressInterval);
            lock (_lock)
            {
                if (intervals <= _printedIntervals)
                {
                    return;
                }

                _printedIntervals = intervals;
            }

            console.Line("  " + Describe(value));
        }
    }
}

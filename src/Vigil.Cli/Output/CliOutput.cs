using System.Text.Json;
using Spectre.Console;

namespace Vigil.Cli.Output;

/// <summary>
/// Where a command writes: tables and text for people on stdout (through Spectre.Console, coloured only on a terminal),
/// pretty JSON for scripts on stdout, and errors as plain lines on stderr.
/// </summary>
internal sealed class CliOutput
{
    private static readonly JsonSerializerOptions Indented = CreateIndented();

    public CliOutput(TextWriter stdout, TextWriter stderr)
    {
        Out = stdout;
        Error = stderr;
        var terminal = ReferenceEquals(stdout, System.Console.Out) && !System.Console.IsOutputRedirected;
        Console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(stdout),
            Ansi = terminal ? AnsiSupport.Detect : AnsiSupport.No,
            ColorSystem = terminal ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
            Interactive = terminal ? InteractionSupport.Detect : InteractionSupport.No,
        });
        if (!terminal)
        {
            // Not a terminal (a file, a pipe, a test): no width to fit, so do not wrap tables at 80 columns.
            Console.Profile.Width = 200;
        }
    }

    /// <summary>The console for tables and text on stdout.</summary>
    public IAnsiConsole Console { get; }

    public TextWriter Out { get; }

    public TextWriter Error { get; }

    /// <summary>Whether a person is watching a terminal (spinners make sense).</summary>
    public bool Interactive => Console.Profile.Capabilities.Interactive;

    /// <summary>Prints <paramref name="value"/> as indented JSON in Vigil's convention (the API's shape).</summary>
    public void Json<T>(T value) => Out.WriteLine(JsonSerializer.Serialize(value, Indented));

    /// <summary>Prints a line of plain text (no markup).</summary>
    public void Line(string text = "") => Console.WriteLine(text);

    /// <summary>Prints a line with Spectre markup; callers escape user text with <see cref="Markup.Escape"/>.</summary>
    public void MarkupLine(string markup) => Console.MarkupLine(markup);

    /// <summary>Prints a failure on stderr: one line, then each detail on its own indented line.</summary>
    public void Fail(string message, IEnumerable<string>? details = null)
    {
        Error.WriteLine("error: " + message);
        foreach (var detail in details ?? [])
        {
            Error.WriteLine("  - " + detail);
        }
    }

    /// <summary>Prints a warning on stderr.</summary>
    public void Warn(string message) => Error.WriteLine("warning: " + message);

    /// <summary>Runs <paramref name="work"/> with a spinner and <paramref name="status"/> when a person watches a terminal; otherwise just runs it.</summary>
    public async Task<T> WithProgressAsync<T>(string status, Func<Task<T>> work)
    {
        if (!Interactive)
        {
            return await work();
        }

        return await Console.Status().Spinner(Spinner.Known.Dots).StartAsync(Markup.Escape(status), _ => work());
    }

    private static JsonSerializerOptions CreateIndented()
    {
        var options = new JsonSerializerOptions(VigilJson.Options) { WriteIndented = true };
        options.MakeReadOnly(populateMissingResolver: true);
        return options;
    }
}

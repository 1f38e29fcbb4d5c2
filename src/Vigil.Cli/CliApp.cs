using System.CommandLine;
using System.CommandLine.Invocation;
using Vigil.Cli.Commands;
using Vigil.Server.Hosting;

namespace Vigil.Cli;

/// <summary>
/// The <c>vigil</c> command line: <c>vigil &lt;noun&gt; &lt;verb&gt;</c>, like kubectl and promtool.
/// Exit codes: 0 success, 1 failure (the server said no, could not be reached, a file was invalid), 2 usage error.
/// <see cref="Program"/> calls <see cref="RunAsync(string[], TextWriter, TextWriter, CancellationToken)"/>; tests call it
/// in process to capture the output and the exit code.
/// </summary>
public static class CliApp
{
    /// <summary>Runs <c>vigil</c> with <paramref name="args"/>, writing to <paramref name="stdout"/> and <paramref name="stderr"/>; returns the exit code.</summary>
    public static Task<int> RunAsync(string[] args, TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken = default) =>
        RunAsync(args, stdout, stderr, Environment.GetEnvironmentVariable, TimeProvider.System, cancellationToken);

    /// <summary>As above, with the environment and the clock supplied (tests).</summary>
    internal static async Task<int> RunAsync(
        string[] args,
        TextWriter stdout,
        TextWriter stderr,
        Func<string, string?> environment,
        TimeProvider time,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(args);
        var context = new CliContext(stdout, stderr, environment, time);
        var root = BuildRootCommand(context);
        var parseResult = root.Parse(args);
        var configuration = new InvocationConfiguration
        {
            Output = stdout,
            Error = stderr,
            // 'vigil serve' drains the recorder and closes the store on Ctrl+C; give it time before the process is killed.
            ProcessTerminationTimeout = TimeSpan.FromSeconds(30),
        };

        if (parseResult.Action is ParseErrorAction)
        {
            return await ReportUsageErrorAsync(parseResult, configuration, cancellationToken);
        }

        return await parseResult.InvokeAsync(configuration, cancellationToken);
    }

    /// <summary>The whole command tree for one run.</summary>
    internal static RootCommand BuildRootCommand(CliContext context)
    {
        var root = new RootCommand("Vigil: ship, watch and roll back machine-learning models. Run 'vigil serve', then 'vigil services create'.")
        {
            context.Server,
            context.ApiKey,
        };
        root.Add(ServeCommand.Create(context));
        root.Add(ServicesCommands.Create(context));
        root.Add(ModelsCommands.Create(context));
        root.Add(StatusCommand.Create(context));
        root.Add(AuditCommand.Create(context));
        root.Add(KeysCommands.Create(context));
        root.Add(AnalyzeCommands.Create(context));
        root.Add(FlagsCommands.Create(context));
        root.Add(ReleaseCommands.Create(context));
        root.Add(BacktestCommand.Create(context));
        root.Add(AlertsCommands.Create(context));
        root.Add(AlertsCommands.CreateMonitors(context));
        root.Add(BaselineCommands.Create(context));
        root.Add(ApplyCommand.Create(context));
        root.Add(PipelinesCommands.Create(context));
        root.Add(LayerCommands.Metrics(context));
        root.Add(DrillCommand.Create(context));
        RetrainCommands.AddTo(root, context);
        root.Add(Demo.DemoCommand.Create());
        foreach (var version in root.Options.OfType<VersionOption>())
        {
            version.Action = new VersionAction(context.Out);
        }

        return root;
    }

    /// <summary>The line <c>vigil --version</c> prints: <c>vigil 0.1.0 (commit 3479e6f…)</c>.</summary>
    internal static string VersionLine => $"vigil {VigilBuild.Version} (commit {VigilBuild.Commit})";

    /// <summary>Prints every parse error on stderr and how to get help; a group run without a verb also shows its verbs. Exit 2.</summary>
    private static async Task<int> ReportUsageErrorAsync(ParseResult parseResult, InvocationConfiguration configuration, CancellationToken cancellationToken)
    {
        var stderr = configuration.Error;
        var command = parseResult.CommandResult.Command;
        var onlyMissingVerb = command.Subcommands.Count > 0 && command.Action is null && parseResult.Tokens.All(t => t.Type == System.CommandLine.Parsing.TokenType.Command);
        if (onlyMissingVerb)
        {
            // 'vigil models': show the verbs rather than a bare "required command was not provided".
            var path = CliContext.CommandPath(command);
            var help = command.Parents.OfType<Command>().Any()
                ? parseResult.RootCommandResult.Command.Parse([.. path.Split(' ').Skip(1), "--help"])
                : parseResult.RootCommandResult.Command.Parse(["--help"]);
            await help.InvokeAsync(new InvocationConfiguration { Output = stderr, Error = stderr }, cancellationToken);
            return ExitCodes.Usage;
        }

        foreach (var error in parseResult.Errors)
        {
            await stderr.WriteLineAsync("error: " + error.Message);
        }

        await stderr.WriteLineAsync($"Run '{CliContext.CommandPath(command)} --help' for usage.");
        return ExitCodes.Usage;
    }

    /// <summary><c>vigil --version</c>: the version and the commit it was built from, on one line.</summary>
    private sealed class VersionAction(TextWriter output) : SynchronousCommandLineAction
    {
        public override int Invoke(ParseResult parseResult)
        {
            output.WriteLine(VersionLine);
            return ExitCodes.Success;
        }
    }
}

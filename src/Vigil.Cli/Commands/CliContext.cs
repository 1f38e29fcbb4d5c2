using System.CommandLine;
using Vigil.Cli.Client;
using Vigil.Cli.Output;
using Vigil.Server.Hosting;

namespace Vigil.Cli.Commands;

/// <summary>
/// What every command of one <c>vigil</c> run shares: the output writers, the environment, the clock, and the global
/// options <c>--server</c> and <c>--api-key</c>. Built once per run so tests can run the CLI in parallel in one process.
/// </summary>
internal sealed class CliContext
{
    /// <summary>The server address used when neither <c>--server</c> nor <c>VIGIL_SERVER</c> is given.</summary>
    public const string DefaultServer = "http://127.0.0.1:5000";

    public CliContext(TextWriter stdout, TextWriter stderr, Func<string, string?> environment, TimeProvider time)
    {
        Out = stdout;
        Error = stderr;
        Environment = environment;
        Time = time;
        Server = new Option<string>("--server")
        {
            Description = "The Vigil server's address [env: VIGIL_SERVER]",
            HelpName = "url",
            Recursive = true,
            DefaultValueFactory = _ => NonEmpty(environment(VigilEnvironment.Server)) ?? DefaultServer,
        };
        ApiKey = new Option<string?>("--api-key")
        {
            Description = "API key, sent as 'Authorization: Bearer KEY' [env: VIGIL_API_KEY]",
            HelpName = "key",
            Recursive = true,
            DefaultValueFactory = _ => NonEmpty(environment(VigilEnvironment.ApiKey)),
        };
    }

    public TextWriter Out { get; }

    public TextWriter Error { get; }

    public Func<string, string?> Environment { get; }

    public TimeProvider Time { get; }

    /// <summary>Global <c>--server</c>.</summary>
    public Option<string> Server { get; }

    /// <summary>Global <c>--api-key</c>.</summary>
    public Option<string?> ApiKey { get; }

    /// <summary>A new <c>--json</c> option for one command.</summary>
    public static Option<bool> JsonOption() => new("--json")
    {
        Description = "Print the API's JSON (indented) for scripts, instead of tables and text for people",
    };

    /// <summary>
    /// Sets <paramref name="command"/>'s action to <paramref name="action"/>, with Vigil's error handling around it:
    /// server problems, an unreachable server and bad files exit 1 with a message on stderr; usage errors found late exit 2.
    /// </summary>
    public void SetAction(Command command, Func<Invocation, Task<int>> action)
    {
        ArgumentNullException.ThrowIfNull(command);
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var output = new CliOutput(Out, Error);
            var invocation = new Invocation(this, parseResult, output, cancellationToken);
            try
            {
                return await action(invocation);
            }
            catch (VigilApiException ex)
            {
                output.Fail(Describe(ex), ex.Errors);
                return ExitCodes.Failure;
            }
            catch (VigilUnreachableException ex)
            {
                output.Fail(ex.Message);
                return ExitCodes.Failure;
            }
            catch (CliUsageException ex)
            {
                output.Fail(ex.Message);
                Error.WriteLine($"Run '{CommandPath(command)} --help' for usage.");
                return ExitCodes.Usage;
            }
            catch (CliFailureException ex)
            {
                output.Fail(ex.Message, ex.Details);
                return ExitCodes.Failure;
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                output.Fail("cancelled");
                return ExitCodes.Failure;
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // A bug, not an expected failure: say so in one line; VIGIL_DEBUG=1 shows the stack trace for a report.
                output.Fail($"unexpected {ex.GetType().Name}: {ex.Message}. This is a bug in vigil; rerun with VIGIL_DEBUG=1 and report the output.");
                if (Environment(VigilEnvironment.Debug) is "1" or "true")
                {
                    Error.WriteLine(ex.ToString());
                }

                return ExitCodes.Failure;
            }
            finally
            {
                invocation.Dispose();
            }
        });
    }

    /// <summary>"vigil models promote".</summary>
    public static string CommandPath(Command command)
    {
        var names = new List<string>();
        for (Symbol? symbol = command; symbol is Command c; symbol = c.Parents.FirstOrDefault())
        {
            names.Add(c is RootCommand ? "vigil" : c.Name);
        }

        names.Reverse();
        return string.Join(' ', names);
    }

    /// <summary>The one-line message for a server problem, with a hint for access problems.</summary>
    internal static string Describe(VigilApiException ex)
    {
        var message = ex.Detail is { Length: > 0 } detail ? $"{detail} ({ex.Status} {ex.Title})" : $"{ex.Title} ({ex.Status})";
        return ex.Status switch
        {
            401 => message + ". Pass an API key with --api-key or VIGIL_API_KEY.",
            403 => message + ". Use a key with the scope this needs (admin for changes), or ask an admin for one.",
            _ => message,
        };
    }

    private static string? NonEmpty(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();
}

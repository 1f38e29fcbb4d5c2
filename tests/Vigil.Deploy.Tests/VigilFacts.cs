using Vigil.Cli;
using Vigil.Cli.Commands;
using Vigil.Server.Hosting;

namespace Vigil.Deploy.Tests;

/// <summary>
/// What Vigil itself says it reads and accepts, for the manifest tests to check the manifests against: the
/// environment variables of <see cref="VigilEnvironment"/>, and the command line as the real <c>vigil</c> parser reads it.
/// </summary>
internal static class VigilFacts
{
    /// <summary>The environment variables <c>vigil serve</c> reads.</summary>
    public static IReadOnlySet<string> ServerVariables { get; } =
        VigilEnvironment.All.Where(v => v.ReadBy == VigilEnvironmentReader.Server).Select(v => v.Name).ToHashSet(StringComparer.Ordinal);

    /// <summary>Parses <paramref name="args"/> (what follows the <c>vigil</c> executable) with the real command tree and <paramref name="environment"/>.</summary>
    public static ParsedCommand Parse(IReadOnlyList<string> args, IReadOnlyDictionary<string, string> environment)
    {
        var context = new CliContext(TextWriter.Null, TextWriter.Null, name => environment.TryGetValue(name, out var value) ? value : null, TimeProvider.System);
        var result = CliApp.BuildRootCommand(context).Parse([.. args]);
        var path = CliContext.CommandPath(result.CommandResult.Command);
        var urls = new List<Uri>();
        string? store = null;
        if (path == "vigil serve" && result.Errors.Count == 0)
        {
            foreach (var url in (result.GetValue<string[]>("--urls") ?? []).SelectMany(u => u.Split([';', ','], StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)))
            {
                urls.Add(new Uri(url.Replace("://*", "://0.0.0.0", StringComparison.Ordinal).Replace("://+", "://0.0.0.0", StringComparison.Ordinal)));
            }

            store = result.GetValue<string>("--store");
        }

        return new ParsedCommand(path, [.. result.Errors.Select(e => e.Message)], urls, store);
    }
}

/// <summary>A command line as Vigil parsed it: the command's path (<c>vigil serve</c>), the parse errors, and for <c>serve</c> the addresses and the store it would use.</summary>
internal sealed record ParsedCommand(string Path, IReadOnlyList<string> Errors, IReadOnlyList<Uri> Urls, string? Store);

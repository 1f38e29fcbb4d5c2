using System.CommandLine;
using Spectre.Console;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Vigil.Cli.Commands;

/// <summary>
/// <c>vigil apply -f FILE</c>: does what the file describes. A release plan (it has <c>strategy</c>) starts a release,
/// as <c>vigil release start</c>; a service definition (it has <c>inputs</c>) creates the service, as
/// <c>vigil services create -f</c>.
/// </summary>
internal static class ApplyCommand
{
    public static Command Create(CliContext context)
    {
        var file = new Option<FileInfo>("--file", "-f")
        {
            Description = "A release plan (has 'strategy') or a service definition (has 'inputs'), YAML or JSON",
            HelpName = "file.yaml",
            Required = true,
        };
        var json = CliContext.JsonOption();
        var command = new Command("apply", "Start the release or create the service a file describes") { file, json };
        context.SetAction(command, async run =>
        {
            var path = run.Get(file)!;
            return Kind(path) switch
            {
                FileKind.ReleasePlan => await ReleaseCommands.StartAsync(run, path, run.Get(json)),
                _ => await ServicesCommands.CreateAsync(run, ServicesCommands.ReadServiceFile(path), run.Get(json)),
            };
        });
        return command;
    }

    private enum FileKind
    {
        ReleasePlan,
        Service,
    }

    /// <summary>What the file holds, judged by its top-level keys; anything else is a failure naming what was expected.</summary>
    private static FileKind Kind(FileInfo file)
    {
        string text;
        try
        {
            text = File.ReadAllText(file.FullName);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new CliFailureException($"cannot read '{file.FullName}': {ex.Message}");
        }

        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(text));
        }
        catch (YamlException ex)
        {
            throw new CliFailureException($"{file.Name}: line {ex.Start.Line}: not valid YAML or JSON: {ex.Message.Split('\n')[0].Trim()}");
        }

        var keys = stream.Documents.Count == 1 && stream.Documents[0].RootNode is YamlMappingNode mapping
            ? mapping.Children.Keys.OfType<YamlScalarNode>().Select(k => k.Value).ToHashSet(StringComparer.Ordinal)
            : [];
        var isPlan = keys.Contains("strategy");
        var isService = keys.Contains("inputs");
        return (isPlan, isService) switch
        {
            (true, false) => FileKind.ReleasePlan,
            (false, true) => FileKind.Service,
            (true, true) => throw new CliFailureException(
                $"{file.Name} has both 'strategy' (a release plan) and 'inputs' (a service definition); put each in its own file"),
            _ => throw new CliFailureException(
                $"{file.Name} is neither a release plan (no top-level 'strategy') nor a service definition (no top-level 'inputs'); "
                + "see docs/releases.md for plans and docs/cli.md (services create) for services"),
        };
    }
}

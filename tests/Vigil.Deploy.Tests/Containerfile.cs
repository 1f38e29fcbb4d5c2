using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Vigil.Deploy.Tests;

/// <summary>
/// What deploy/Containerfile's final stage declares, read the way a builder reads it: line continuations joined,
/// comments dropped, <c>${ARG}</c> expanded with the arguments' defaults. Lets the manifest tests run where no podman is.
/// </summary>
internal sealed partial class Containerfile
{
    private Containerfile()
    {
    }

    public Dictionary<string, string> Env { get; } = new(StringComparer.Ordinal);

    public Dictionary<string, string> Labels { get; } = new(StringComparer.Ordinal);

    public List<int> ExposedPorts { get; } = [];

    public List<string> Volumes { get; } = [];

    public string User { get; private set; } = "";

    public string WorkingDirectory { get; private set; } = "/";

    public string StopSignal { get; private set; } = "";

    /// <summary>ENTRYPOINT in exec form (null when written in shell form, where a shell would be PID 1).</summary>
    public IReadOnlyList<string>? Entrypoint { get; private set; }

    public IReadOnlyList<string>? Cmd { get; private set; }

    /// <summary>The final stage's base: its FROM, with the build arguments expanded.</summary>
    public string From { get; private set; } = "";

    public static Containerfile Read(string path)
    {
        var file = new Containerfile();
        var globalArgs = new Dictionary<string, string>(StringComparer.Ordinal);
        var stageArgs = new Dictionary<string, string>(StringComparer.Ordinal);
        var inStage = false;
        foreach (var (keyword, arguments) in Instructions(File.ReadAllText(path)))
        {
            switch (keyword)
            {
                case "FROM":
                    inStage = true;
                    // A new stage: what an earlier stage declared does not carry over.
                    file = new Containerfile { From = Expand(arguments.Split(' ', StringSplitOptions.RemoveEmptyEntries)[0], globalArgs) };
                    stageArgs = new Dictionary<string, string>(StringComparer.Ordinal);
                    break;
                case "ARG":
                    var (name, value) = Pair(arguments);
                    if (!inStage)
                    {
                        globalArgs[name] = value ?? "";
                    }
                    else
                    {
                        stageArgs[name] = value ?? (globalArgs.TryGetValue(name, out var inherited) ? inherited : "");
                    }

                    break;
                case "ENV":
                    foreach (var (key, val) in Pairs(arguments))
                    {
                        file.Env[key] = Expand(val, stageArgs);
                    }

                    break;
                case "LABEL":
                    foreach (var (key, val) in Pairs(arguments))
                    {
                        file.Labels[key] = Expand(val, stageArgs);
                    }

                    break;
                case "EXPOSE":
                    file.ExposedPorts.AddRange(arguments.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(p => int.Parse(p.Split('/')[0], System.Globalization.CultureInfo.InvariantCulture)));
                    break;
                case "VOLUME":
                    file.Volumes.AddRange(arguments.TrimStart().StartsWith('[') ? JsonSerializer.Deserialize<string[]>(arguments)! : arguments.Split(' ', StringSplitOptions.RemoveEmptyEntries));
                    break;
                case "USER":
                    file.User = Expand(arguments.Trim(), stageArgs);
                    break;
                case "WORKDIR":
                    file.WorkingDirectory = Expand(arguments.Trim(), stageArgs);
                    break;
                case "STOPSIGNAL":
                    file.StopSignal = arguments.Trim();
                    break;
                case "ENTRYPOINT":
                    file.Entrypoint = ExecForm(arguments);
                    break;
                case "CMD":
                    file.Cmd = ExecForm(arguments);
                    break;
            }
        }

        return file;
    }

    /// <summary>The instructions in order, continuation lines joined, comments and blank lines dropped.</summary>
    internal static IEnumerable<(string Keyword, string Arguments)> Instructions(string text)
    {
        var current = new StringBuilder();
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.TrimEnd('\r');
            if (line.TrimStart().StartsWith('#') || (current.Length == 0 && line.Trim().Length == 0))
            {
                continue;
            }

            if (line.EndsWith('\\'))
            {
                current.Append(line[..^1]).Append(' ');
                continue;
            }

            current.Append(line);
            var instruction = current.ToString().Trim();
            current.Clear();
            var space = instruction.IndexOf(' ', StringComparison.Ordinal);
            yield return space < 0 ? (instruction.ToUpperInvariant(), "") : (instruction[..space].ToUpperInvariant(), instruction[(space + 1)..].Trim());
        }
    }

    private static string[]? ExecForm(string arguments) =>
        arguments.TrimStart().StartsWith('[') ? JsonSerializer.Deserialize<string[]>(arguments) : null;

    private static (string Name, string? Value) Pair(string text)
    {
        var equals = text.IndexOf('=', StringComparison.Ordinal);
        return equals < 0 ? (text.Trim(), null) : (text[..equals].Trim(), Unquote(text[(equals + 1)..].Trim()));
    }

    /// <summary>KEY=VALUE pairs separated by blanks, values optionally double-quoted.</summary>
    private static IEnumerable<(string Key, string Value)> Pairs(string text)
    {
        foreach (Match match in PairPattern().Matches(text))
        {
            yield return (match.Groups["key"].Value, Unquote(match.Groups["value"].Value));
        }
    }

    private static string Unquote(string value) =>
        value.Length >= 2 && value[0] == '"' && value[^1] == '"' ? value[1..^1].Replace("\\\"", "\"", StringComparison.Ordinal) : value;

    private static string Expand(string value, IReadOnlyDictionary<string, string> args) =>
        ArgPattern().Replace(value, m => args.TryGetValue(m.Groups["name"].Value, out var v) ? v : m.Value);

    [GeneratedRegex("""(?<key>[A-Za-z0-9_.\-]+)=(?<value>"(?:[^"\\]|\\.)*"|\S*)""")]
    private static partial Regex PairPattern();

    [GeneratedRegex(@"\$\{(?<name>[A-Za-z0-9_]+)\}|\$(?<name>[A-Za-z0-9_]+)")]
    private static partial Regex ArgPattern();
}

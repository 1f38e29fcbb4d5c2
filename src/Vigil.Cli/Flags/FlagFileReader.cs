using System.Text.Json;
using Vigil.Routing.Flags;
using Vigil.Server.Api;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Vigil.Cli.Flags;

/// <summary>
/// Reads flags from YAML (or JSON, which is YAML too) for <c>vigil flags create|set -f</c>: one flag (a mapping), several
/// (a list of mappings, or several <c>---</c> documents), each in the shape of <see cref="FlagView"/> (docs/flags.md).
/// The YAML is turned into JSON and read with <see cref="VigilJson"/>, so the CLI and the API share one model; each flag is
/// then checked with <see cref="FlagValidator"/>. Every error is reported at once, and nothing is sent when there is one.
/// </summary>
public static class FlagFileReader
{
    /// <summary>Reads the file at <paramref name="path"/>; a missing or unreadable file is one error.</summary>
    public static FlagFileResult ReadFile(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        try
        {
            return Read(File.ReadAllText(path));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return new FlagFileResult([], [$"cannot read '{path}': {ex.Message}"]);
        }
    }

    /// <summary>Parses and checks the text of a flag file.</summary>
    public static FlagFileResult Read(string text)
    {
        var (flags, errors) = ReadItems<FlagView>(text, "flag", "key, enabled, rules …", f => FlagValidator.Validate(f.ToDefinition()));
        return new FlagFileResult(flags, errors);
    }

    /// <summary>Reads the segments of a file (one, or a list), each checked like the server checks it.</summary>
    public static (IReadOnlyList<SegmentView> Segments, IReadOnlyList<string> Errors) ReadSegmentsFile(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        try
        {
            return ReadItems<SegmentView>(File.ReadAllText(path), "segment", "key, conditions", s => FlagValidator.Validate(s.ToSegment()));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return ([], [$"cannot read '{path}': {ex.Message}"]);
        }
    }

    /// <summary>One mapping or a list of mappings (or several YAML documents), each read as a <typeparamref name="T"/> and validated; every error, or the items.</summary>
    private static (IReadOnlyList<T> Items, IReadOnlyList<string> Errors) ReadItems<T>(string text, string noun, string fields, Func<T, IEnumerable<string>> validate)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(text);
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(text));
        }
        catch (YamlException ex)
        {
            return ([], [$"line {ex.Start.Line}: not valid YAML or JSON: {ex.Message.Split('\n')[0]}"]);
        }

        var nodes = new List<YamlNode>();
        foreach (var document in stream.Documents)
        {
            if (document.RootNode is YamlSequenceNode list)
            {
                nodes.AddRange(list.Children);
            }
            else
            {
                nodes.Add(document.RootNode);
            }
        }

        if (nodes.Count == 0)
        {
            return ([], [$"the file holds no {noun}: write at least {fields} (docs/flags.md)"]);
        }

        var items = new List<T>();
        var errors = new List<string>();
        for (var i = 0; i < nodes.Count; i++)
        {
            var where = nodes.Count == 1 ? $"line {nodes[i].Start.Line}: " : $"line {nodes[i].Start.Line}: {noun}s[{i}]: ";
            if (nodes[i] is not YamlMappingNode)
            {
                errors.Add($"{where}expected a {noun} (a mapping with {fields})");
                continue;
            }

            T? item;
            try
            {
                item = Yaml.YamlJson.ToJson(nodes[i]).Deserialize<T>(VigilJson.Options);
            }
            catch (JsonException ex)
            {
                var path = ex.Path is { Length: > 2 } p ? p[2..] + ": " : string.Empty;
                errors.Add($"{where}{path}{Clean(ex.Message)}");
                continue;
            }

            if (item is null)
            {
                errors.Add($"{where}the {noun} is empty");
                continue;
            }

            foreach (var error in validate(item))
            {
                errors.Add(where + error);
            }

            items.Add(item);
        }

        return errors.Count > 0 ? ([], errors) : (items, []);
    }

    /// <summary>Turns a JSON member name back into the file's key in a message: System.Text.Json names the .NET type, keep the first sentence.</summary>
    private static string Clean(string message)
    {
        var cut = message.IndexOf(". Path:", StringComparison.Ordinal);
        return cut > 0 ? message[..cut] : message;
    }
}

/// <summary>The flags of a file, or every error found in it.</summary>
public sealed record FlagFileResult(IReadOnlyList<FlagView> Flags, IReadOnlyList<string> Errors)
{
    public bool IsValid => Errors.Count == 0 && Flags.Count > 0;
}

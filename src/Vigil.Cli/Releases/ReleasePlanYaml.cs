using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using System.Text.RegularExpressions;
using Vigil.Releases;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Vigil.Cli.Releases;

/// <summary>
/// Reads a release plan written in YAML (or JSON, which is YAML too) — the shape of <see cref="ReleasePlan"/> that the
/// API takes as JSON (docs/releases.md). The YAML is turned into the same JSON (plain scalars that are numbers or
/// booleans become JSON numbers and booleans; everything else, such as <c>1%</c>, <c>2d</c>, <c>3pp</c>, <c>250ms</c>,
/// a string) and read with <see cref="VigilJson"/>, so the CLI and the API share one model and one set of rules.
/// Every error is reported at once, with its line where one is known: unknown keys and misplaced lists or mappings
/// first, then the plan's rules (<see cref="ReleasePlanValidator"/>).
/// </summary>
public static partial class ReleasePlanYaml
{
    /// <summary>Reads the file at <paramref name="path"/>; a missing or unreadable file is one error.</summary>
    public static ReleasePlanYamlResult ReadFile(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        try
        {
            return Read(File.ReadAllText(path));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return ReleasePlanYamlResult.Failed($"cannot read '{path}': {ex.Message}");
        }
    }

    /// <summary>Parses and checks the text of a plan.</summary>
    public static ReleasePlanYamlResult Read(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(text));
        }
        catch (YamlException ex)
        {
            return ReleasePlanYamlResult.Failed($"line {ex.Start.Line}: not valid YAML or JSON: {FirstLine(ex.Message)}");
        }

        if (stream.Documents.Count != 1)
        {
            return ReleasePlanYamlResult.Failed(stream.Documents.Count == 0
                ? "the file is empty: a plan needs at least service, challenger, strategy, steps and triggers"
                : $"the file holds {stream.Documents.Count} documents; put one release plan per file");
        }

        var lines = new Dictionary<string, long>(StringComparer.Ordinal);
        var errors = new List<string>();
        var root = stream.Documents[0].RootNode;
        Check(root, VigilJson.Options.GetTypeInfo(typeof(ReleasePlan)), "$", lines, errors);
        if (errors.Count > 0)
        {
            return new ReleasePlanYamlResult(null, null, errors);
        }

        var json = Yaml.YamlJson.ToJson(root);
        ReleasePlan? plan;
        try
        {
            plan = json.Deserialize<ReleasePlan>(VigilJson.Options);
        }
        catch (JsonException ex)
        {
            var at = ex.Path is { } path ? LineOf(path, lines) : null;
            var where = ex.Path is { Length: > 2 } p ? p[2..] + ": " : string.Empty;
            return ReleasePlanYamlResult.Failed($"{at}{where}{Clean(ex.Message)}");
        }

        if (plan is null)
        {
            return ReleasePlanYamlResult.Failed("the plan is empty");
        }

        foreach (var error in ReleasePlanValidator.Validate(plan))
        {
            var match = ErrorPath().Match(error);
            errors.Add(match.Success ? LineOf("$." + match.Value, lines) + error : error);
        }

        return errors.Count > 0 ? new ReleasePlanYamlResult(null, null, errors) : new ReleasePlanYamlResult(plan, json!.ToJsonString(VigilJson.Options), []);
    }

    /// <summary>Finds unknown and repeated keys and lists or mappings in the wrong place, everywhere at once; records each path's line.</summary>
    private static void Check(YamlNode node, JsonTypeInfo type, string path, Dictionary<string, long> lines, List<string> errors)
    {
        lines[path] = node.Start.Line;
        var where = path == "$" ? "the plan" : path[2..];
        switch (type.Kind)
        {
            case JsonTypeInfoKind.Object when node is YamlMappingNode mapping:
                {
                    var seen = new HashSet<string>(StringComparer.Ordinal);
                    var known = type.Properties.Where(p => p.Set is not null || p.AssociatedParameter is not null).ToDictionary(p => p.Name, StringComparer.Ordinal);
                    foreach (var (key, value) in mapping.Children)
                    {
                        var name = (key as YamlScalarNode)?.Value ?? "?";
                        if (!known.TryGetValue(name, out var property))
                        {
                            errors.Add($"line {key.Start.Line}: unknown key '{name}' in {where} (expected {string.Join(", ", known.Keys)})");
                        }
                        else if (!seen.Add(name))
                        {
                            errors.Add($"line {key.Start.Line}: '{name}' appears twice in {where}");
                        }
                        else if (!IsNull(value))
                        {
                            Check(value, VigilJson.Options.GetTypeInfo(property.PropertyType), $"{path}.{name}", lines, errors);
                        }
                    }

                    break;
                }

            case JsonTypeInfoKind.Object:
                errors.Add($"line {node.Start.Line}: {where}: expected a mapping (key: value, or {{ … }})");
                break;
            case JsonTypeInfoKind.Enumerable when node is YamlSequenceNode sequence:
                {
                    var element = VigilJson.Options.GetTypeInfo(type.ElementType!);
                    for (var i = 0; i < sequence.Children.Count; i++)
                    {
                        Check(sequence.Children[i], element, $"{path}[{i}]", lines, errors);
                    }

                    break;
                }

            case JsonTypeInfoKind.Enumerable:
                errors.Add($"line {node.Start.Line}: {where}: expected a list (- item, or [ … ])");
                break;
            default:
                if (node is not YamlScalarNode)
                {
                    errors.Add($"line {node.Start.Line}: {where}: expected a single value, not a list or mapping");
                }

                break;
        }
    }

    private static bool IsNull(YamlNode node) =>
        node is YamlScalarNode { Style: ScalarStyle.Plain or ScalarStyle.Any, Value: null or "" or "~" or "null" or "Null" or "NULL" };

    private static string? LineOf(string path, Dictionary<string, long> lines)
    {
        // The deepest recorded ancestor of the path: "$.steps[1].weight" → "$.steps[1]" → "$.steps".
        for (var p = path; p.Length > 0; p = Parent(p))
        {
            if (lines.TryGetValue(p, out var line))
            {
                return $"line {line}: ";
            }
        }

        return null;
    }

    private static string Parent(string path)
    {
        var cut = Math.Max(path.LastIndexOf('.'), path.LastIndexOf('['));
        return cut <= 0 ? string.Empty : path[..cut];
    }

    private static string Clean(string message)
    {
        // System.Text.Json appends "Path: $.x | LineNumber: …" to its own messages; the line is given in YAML terms instead.
        var cut = message.IndexOf(" Path: ", StringComparison.Ordinal);
        return cut > 0 ? message[..cut] : message;
    }

    private static string FirstLine(string message)
    {
        var line = message.Split('\n')[0].Trim();
        return line.Length > 0 ? char.ToLowerInvariant(line[0]) + line[1..] : "syntax error";
    }


    [GeneratedRegex(@"^[a-z_]+(\[\d+\])?(\.[a-z_]+)?(?=[: ])")]
    private static partial Regex ErrorPath();
}

/// <summary>The outcome of reading a plan: the plan and its JSON (for the API) when valid, else every error found.</summary>
public sealed record ReleasePlanYamlResult(ReleasePlan? Plan, string? Json, IReadOnlyList<string> Errors)
{
    public bool IsValid => Plan is not null && Errors.Count == 0;

    internal static ReleasePlanYamlResult Failed(string error) => new(null, null, [error]);
}

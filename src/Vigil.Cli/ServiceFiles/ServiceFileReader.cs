using System.Globalization;
using Vigil.Registry;
using Vigil.Server.Api;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Vigil.Cli.ServiceFiles;

/// <summary>
/// Reads a service definition file (YAML, or JSON, which is YAML too) of the <see cref="CreateServiceRequest"/> shape
/// with snake_case keys, and returns every error it finds, each with its line, not only the first:
/// <code>
/// name: fraud
/// description: Card fraud score
/// inputs:
///   - { name: amount, type: number, min: 0 }
///   - { name: country, type: category, categories: [DE, FR, US] }
///   - { name: note, type: string, nullable: true }
/// output:
///   kind: probability
///   fallback: { probability: 0, label: false }   # optional: served while the service flag is off
/// </code>
/// Structural mistakes (unknown keys, wrong types, unknown enum values) are found here; the rules of a service
/// (name syntax, duplicate features, min ≤ max …) come from <see cref="ServiceValidator"/>, the same check the server runs.
/// </summary>
public static class ServiceFileReader
{
    private static readonly string[] RootKeys = ["name", "description", "inputs", "output"];
    private static readonly string[] FeatureKeys = ["name", "type", "nullable", "min", "max", "categories"];
    private static readonly string[] OutputKeys = ["kind", "description", "classes", "fallback"];

    /// <summary>Reads the file at <paramref name="path"/>; a missing or unreadable file is one error.</summary>
    public static ServiceFileResult ReadFile(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return ServiceFileResult.Failed($"cannot read '{path}': {ex.Message}");
        }

        return Read(text);
    }

    /// <summary>Parses the text of a service file.</summary>
    public static ServiceFileResult Read(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(text));
        }
        catch (YamlException ex)
        {
            return ServiceFileResult.Failed($"line {ex.Start.Line}: not valid YAML or JSON: {FirstSentence(ex.Message)}");
        }

        if (stream.Documents.Count == 0)
        {
            return ServiceFileResult.Failed("the file is empty: it needs name, inputs and output");
        }

        if (stream.Documents.Count > 1)
        {
            return ServiceFileResult.Failed($"line {stream.Documents[1].RootNode.Start.Line}: the file holds {stream.Documents.Count} documents; put one service per file");
        }

        var errors = new List<string>();
        if (stream.Documents[0].RootNode is not YamlMappingNode root)
        {
            return ServiceFileResult.Failed($"line {stream.Documents[0].RootNode.Start.Line}: expected a mapping with name, inputs and output");
        }

        CheckKeys(root, RootKeys, "the service", errors);
        var name = ReadString(root, "name", "name", errors);
        if (name is null && Find(root, "name") is null)
        {
            errors.Add($"line {root.Start.Line}: name: required ({ServiceValidator.NameRule})");
        }

        var description = ReadString(root, "description", "description", errors);
        var inputs = ReadInputs(root, errors);
        var output = ReadOutput(root, errors);

        // The service's own rules, as the server checks them. A missing name was reported above, so check a placeholder.
        var definition = new ServiceDefinition(name ?? "placeholder", description ?? string.Empty, inputs ?? [], output!, default);
        errors.AddRange(ServiceValidator.Validate(definition));

        if (errors.Count > 0)
        {
            return new ServiceFileResult(null, errors);
        }

        return new ServiceFileResult(new CreateServiceRequest(name!, inputs!, output!, description), []);
    }

    private static List<FeatureSpec>? ReadInputs(YamlMappingNode root, List<string> errors)
    {
        var node = Find(root, "inputs");
        if (node is null || IsNull(node))
        {
            return null;
        }

        if (node is not YamlSequenceNode sequence)
        {
            errors.Add($"line {node.Start.Line}: inputs: expected a list of features");
            return null;
        }

        var features = new List<FeatureSpec>();
        for (var i = 0; i < sequence.Children.Count; i++)
        {
            var where = $"inputs[{i}]";
            if (sequence.Children[i] is not YamlMappingNode item)
            {
                errors.Add($"line {sequence.Children[i].Start.Line}: {where}: expected a mapping with name and type");
                continue;
            }

            CheckKeys(item, FeatureKeys, where, errors);
            var name = ReadString(item, "name", $"{where}.name", errors);
            if (name is null && Find(item, "name") is null)
            {
                errors.Add($"line {item.Start.Line}: {where}.name: required");
            }

            var typeText = ReadString(item, "type", $"{where}.type", errors);
            FeatureType? type = null;
            if (typeText is null)
            {
                if (Find(item, "type") is null)
                {
                    errors.Add($"line {item.Start.Line}: {where}.type: required (number, integer, boolean, string or category)");
                }
            }
            else if (TryParseEnum<FeatureType>(typeText, out var parsed))
            {
                type = parsed;
            }
            else
            {
                errors.Add($"line {Find(item, "type")!.Start.Line}: {where}.type: '{typeText}' is not one of number, integer, boolean, string, category");
            }

            var nullable = ReadBool(item, "nullable", $"{where}.nullable", errors) ?? false;
            var min = ReadNumber(item, "min", $"{where}.min", errors);
            var max = ReadNumber(item, "max", $"{where}.max", errors);
            var categories = ReadStrings(item, "categories", $"{where}.categories", errors);

            // A feature whose type could not be read is still checked for the rest, with the type its other fields imply,
            // so one mistake does not hide or cause others.
            var effectiveType = type ?? (categories is not null ? FeatureType.Category : min is not null || max is not null ? FeatureType.Number : FeatureType.String);
            features.Add(new FeatureSpec(name ?? $"inputs[{i}]", effectiveType, nullable, min, max, categories));
        }

        return features;
    }

    private static OutputSpec? ReadOutput(YamlMappingNode root, List<string> errors)
    {
        var node = Find(root, "output");
        if (node is null || IsNull(node))
        {
            return null;
        }

        if (node is not YamlMappingNode output)
        {
            errors.Add($"line {node.Start.Line}: output: expected a mapping such as {{ kind: probability }}");
            return null;
        }

        CheckKeys(output, OutputKeys, "output", errors);
        var kindText = ReadString(output, "kind", "output.kind", errors);
        var description = ReadString(output, "description", "output.description", errors);
        var classes = ReadStrings(output, "classes", "output.classes", errors);
        System.Text.Json.Nodes.JsonObject? fallback = null;
        if (Find(output, "fallback") is { } fallbackNode && !IsNull(fallbackNode))
        {
            // The output served while the service flag is off (docs/flags.md, "The service flag").
            fallback = Yaml.YamlJson.ToJson(fallbackNode) as System.Text.Json.Nodes.JsonObject;
            if (fallback is null)
            {
                errors.Add($"line {fallbackNode.Start.Line}: output.fallback: expected a mapping of output name to value, such as {{ probability: 0, label: false }}");
            }
        }

        if (kindText is null)
        {
            if (Find(output, "kind") is null)
            {
                errors.Add($"line {output.Start.Line}: output.kind: required (probability, class, score, ranking or text)");
            }

            return new OutputSpec(OutputKind.Score, description, classes);
        }

        if (!TryParseEnum<OutputKind>(kindText, out var kind))
        {
            errors.Add($"line {Find(output, "kind")!.Start.Line}: output.kind: '{kindText}' is not one of probability, class, score, ranking, text");
            return new OutputSpec(OutputKind.Score, description, classes);
        }

        return new OutputSpec(kind, description, classes, fallback);
    }

    private static void CheckKeys(YamlMappingNode mapping, string[] allowed, string where, List<string> errors)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var key in mapping.Children.Keys)
        {
            var name = (key as YamlScalarNode)?.Value ?? "?";
            if (!allowed.Contains(name, StringComparer.Ordinal))
            {
                errors.Add($"line {key.Start.Line}: unknown key '{name}' in {where} (expected {string.Join(", ", allowed)})");
            }
            else if (!seen.Add(name))
            {
                errors.Add($"line {key.Start.Line}: '{name}' appears twice in {where}");
            }
        }
    }

    private static YamlNode? Find(YamlMappingNode mapping, string key)
    {
        foreach (var (k, v) in mapping.Children)
        {
            if (k is YamlScalarNode { Value: { } name } && name == key)
            {
                return v;
            }
        }

        return null;
    }

    private static bool IsNull(YamlNode node) =>
        node is YamlScalarNode { Style: ScalarStyle.Plain or ScalarStyle.Any, Value: null or "" or "~" or "null" or "Null" or "NULL" };

    private static string? ReadString(YamlMappingNode mapping, string key, string where, List<string> errors)
    {
        var node = Find(mapping, key);
        if (node is null || IsNull(node))
        {
            return null;
        }

        if (node is not YamlScalarNode scalar)
        {
            errors.Add($"line {node.Start.Line}: {where}: expected a single value, not a list or mapping");
            return null;
        }

        return scalar.Value;
    }

    private static bool? ReadBool(YamlMappingNode mapping, string key, string where, List<string> errors)
    {
        var node = Find(mapping, key);
        if (node is null || IsNull(node))
        {
            return null;
        }

        if (node is YamlScalarNode { Style: ScalarStyle.Plain, Value: { } text })
        {
            if (string.Equals(text, "true", StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }

            if (string.Equals(text, "false", StringComparison.OrdinalIgnoreCase))
            {
                return false;
            }
        }

        errors.Add($"line {node.Start.Line}: {where}: expected true or false, got {Describe(node)}");
        return null;
    }

    private static double? ReadNumber(YamlMappingNode mapping, string key, string where, List<string> errors)
    {
        var node = Find(mapping, key);
        if (node is null || IsNull(node))
        {
            return null;
        }

        if (node is YamlScalarNode { Style: ScalarStyle.Plain, Value: { } text }
            && double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value))
        {
            return value;
        }

        errors.Add($"line {node.Start.Line}: {where}: expected a number, got {Describe(node)}");
        return null;
    }

    private static List<string>? ReadStrings(YamlMappingNode mapping, string key, string where, List<string> errors)
    {
        var node = Find(mapping, key);
        if (node is null || IsNull(node))
        {
            return null;
        }

        if (node is not YamlSequenceNode sequence)
        {
            errors.Add($"line {node.Start.Line}: {where}: expected a list such as [a, b, c]");
            return null;
        }

        var values = new List<string>();
        for (var i = 0; i < sequence.Children.Count; i++)
        {
            if (sequence.Children[i] is YamlScalarNode { Value: { } value } && !IsNull(sequence.Children[i]))
            {
                values.Add(value);
            }
            else
            {
                errors.Add($"line {sequence.Children[i].Start.Line}: {where}[{i}]: expected a single value");
            }
        }

        return values;
    }

    /// <summary>Parses a kebab-case enum value (<c>number</c>, <c>previous-champion</c>) as the API spells it.</summary>
    internal static bool TryParseEnum<T>(string text, out T value)
        where T : struct, Enum
    {
        foreach (var candidate in Enum.GetValues<T>())
        {
            if (string.Equals(EnumText(candidate), text, StringComparison.Ordinal))
            {
                value = candidate;
                return true;
            }
        }

        value = default;
        return false;
    }

    /// <summary>The wire spelling of an enum value (kebab-case, as <see cref="VigilJson"/> writes it).</summary>
    internal static string EnumText<T>(T value)
        where T : struct, Enum => VigilJson.Serialize(value).Trim('"');

    private static string Describe(YamlNode node) => node switch
    {
        YamlScalarNode { Style: ScalarStyle.Plain } scalar => $"'{scalar.Value}'",
        YamlScalarNode scalar => $"the string \"{scalar.Value}\"",
        YamlSequenceNode => "a list",
        _ => "a mapping",
    };

    private static string FirstSentence(string message)
    {
        var line = message.Split('\n')[0].Trim();
        return line.Length > 0 ? char.ToLowerInvariant(line[0]) + line[1..] : "syntax error";
    }
}

/// <summary>The outcome of reading a service file: the request when it is valid, else every error found.</summary>
public sealed record ServiceFileResult(CreateServiceRequest? Request, IReadOnlyList<string> Errors)
{
    public bool IsValid => Request is not null && Errors.Count == 0;

    internal static ServiceFileResult Failed(string error) => new(null, [error]);
}

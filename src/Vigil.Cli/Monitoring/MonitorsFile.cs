using System.Text.Json;
using System.Text.Json.Nodes;
using Vigil.Cli.DataFiles;
using Vigil.Monitoring;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Vigil.Cli.Monitoring;

/// <summary>
/// Reads monitors from YAML or JSON: a list of monitors, or a mapping with a <c>monitors:</c> list (the shape
/// <c>vigil monitors list --json</c> prints). Every invalid monitor is reported, each with its name or position.
/// </summary>
internal static class MonitorsFile
{
    public static IReadOnlyList<MonitorDefinition> Read(string path, IReadOnlyCollection<string>? features)
    {
        if (!File.Exists(path))
        {
            throw new DataFileException($"{path}: no such file");
        }

        return Parse(File.ReadAllText(path), path, features);
    }

    public static IReadOnlyList<MonitorDefinition> Parse(string text, string source, IReadOnlyCollection<string>? features)
    {
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(text));
        }
        catch (YamlException ex)
        {
            throw new DataFileException($"{source}, line {ex.Start.Line}: not valid YAML or JSON: {ex.Message.Split('\n')[0]}");
        }

        if (stream.Documents.Count != 1)
        {
            throw new DataFileException($"{source}: expected one document with a list of monitors");
        }

        var json = Yaml.YamlJson.ToJson(stream.Documents[0].RootNode);
        if (json is JsonObject root && root["monitors"] is JsonArray inner)
        {
            json = inner;
        }

        if (json is not JsonArray list || list.Count == 0)
        {
            throw new DataFileException($"{source}: expected a list of monitors (or 'monitors:' with a list), each with name, layer, metric, threshold and window");
        }

        var monitors = new List<MonitorDefinition>();
        var errors = new List<string>();
        for (var i = 0; i < list.Count; i++)
        {
            var name = (list[i] as JsonObject)?["name"]?.ToString() ?? $"#{i + 1}";
            try
            {
                var monitor = list[i].Deserialize<MonitorDefinition>(VigilJson.Options)!;
                errors.AddRange(monitor.Validate(features).Select(e => $"monitor {name}: {e}"));
                monitors.Add(monitor);
            }
            catch (JsonException ex)
            {
                var message = ex.Message;
                var cut = message.IndexOf(" Path: ", StringComparison.Ordinal);
                errors.Add($"monitor {name}: {(cut > 0 ? message[..cut] : message)}");
            }
        }

        var twice = monitors.GroupBy(m => m.Name, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (twice is not null)
        {
            errors.Add($"monitor name '{twice.Key}' is used twice");
        }

        if (errors.Count > 0)
        {
            throw new DataFileException($"{source}: " + string.Join("; ", errors));
        }

        return monitors;
    }
}

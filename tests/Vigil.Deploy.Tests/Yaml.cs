using YamlDotNet.RepresentationModel;

namespace Vigil.Deploy.Tests;

/// <summary>YAML documents as plain trees: maps (string keys), lists and scalar strings, with navigation that fails with the path it missed.</summary>
internal static class Yaml
{
    public static IReadOnlyList<Dictionary<string, object?>> LoadAll(string path)
    {
        var stream = new YamlStream();
        using (var reader = new StreamReader(path))
        {
            stream.Load(reader);
        }

        return [.. stream.Documents.Select(d => Convert(d.RootNode)).OfType<Dictionary<string, object?>>()];
    }

    public static Dictionary<string, object?> Load(string path) => Assert.Single(LoadAll(path));

    public static Dictionary<string, object?> Map(object? node, string key)
    {
        var value = Optional(node, key);
        return Assert.IsType<Dictionary<string, object?>>(value, exactMatch: false);
    }

    public static List<object?> List(object? node, string key) => Assert.IsType<List<object?>>(Optional(node, key), exactMatch: false);

    public static string Text(object? node, string key) => Assert.IsType<string>(Optional(node, key), exactMatch: false);

    public static object? Optional(object? node, string key) =>
        node is Dictionary<string, object?> map && map.TryGetValue(key, out var value) ? value : null;

    public static IEnumerable<Dictionary<string, object?>> Maps(object? node, string key) =>
        Optional(node, key) is List<object?> list ? list.OfType<Dictionary<string, object?>>() : [];

    private static object? Convert(YamlNode node) => node switch
    {
        YamlMappingNode map => map.Children.ToDictionary(c => ((YamlScalarNode)c.Key).Value!, c => Convert(c.Value), StringComparer.Ordinal),
        YamlSequenceNode list => list.Children.Select(Convert).ToList(),
        YamlScalarNode scalar => scalar.Value,
        _ => null,
    };
}

using System.Text.Json;
using Vigil.Pipelines;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Vigil.Cli.Pipelines;

/// <summary>
/// Reads a pipeline declaration from YAML (or JSON) for <c>vigil pipelines apply -f</c>: the YAML becomes the JSON the
/// API reads (one converter for every file), is read as a <see cref="PipelineDefinition"/>, and checked with
/// <see cref="PipelineValidator"/>; every mistake is reported at once.
/// </summary>
public static class PipelineFileReader
{
    public static (PipelineDefinition? Definition, IReadOnlyList<string> Errors) ReadFile(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return (null, [$"cannot read '{path}': {ex.Message}"]);
        }

        return Read(text);
    }

    public static (PipelineDefinition? Definition, IReadOnlyList<string> Errors) Read(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(text));
        }
        catch (YamlException ex)
        {
            return (null, [$"line {ex.Start.Line}: not valid YAML or JSON: {ex.Message.Split('\n')[0]}"]);
        }

        if (stream.Documents.Count != 1 || stream.Documents[0].RootNode is not YamlMappingNode root)
        {
            return (null, ["expected one pipeline: a mapping with name and stages (docs/pipelines.md)"]);
        }

        PipelineDefinition? definition;
        try
        {
            definition = Yaml.YamlJson.ToJson(root).Deserialize<PipelineDefinition>(VigilJson.Options);
        }
        catch (JsonException ex)
        {
            var where = ex.Path is { Length: > 0 } p ? p.TrimStart('$', '.') + ": " : string.Empty;
            var message = ex.Message;
            var cut = message.IndexOf(". Path:", StringComparison.Ordinal);
            return (null, [$"{where}{(cut > 0 ? message[..cut] : message)}"]);
        }

        if (definition is null)
        {
            return (null, ["the file holds no pipeline"]);
        }

        var errors = PipelineValidator.Validate(definition);
        return errors.Count == 0 ? (definition, []) : (null, errors);
    }
}

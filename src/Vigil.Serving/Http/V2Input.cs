using System.Text.Json.Nodes;
using Vigil.Registry;

namespace Vigil.Serving.Http;

/// <summary>One input of an Open Inference Protocol v2 request: the feature it carries and its v2 datatype.</summary>
internal sealed record V2Input(string Name, int FeatureIndex, string Datatype)
{
    /// <summary>The datatype sent when the remote does not publish its metadata.</summary>
    public static string DefaultDatatype(FeatureType type) => type switch
    {
        FeatureType.Number => "FP64",
        FeatureType.Integer => "INT64",
        FeatureType.Boolean => "BOOL",
        _ => "BYTES",
    };

    /// <summary>True when a feature of <paramref name="type"/> can be sent as <paramref name="datatype"/>.</summary>
    public static bool IsCompatible(FeatureType type, string datatype) => datatype switch
    {
        "FP16" or "FP32" or "FP64" => type is FeatureType.Number or FeatureType.Integer or FeatureType.Boolean,
        "INT8" or "INT16" or "INT32" or "INT64" or "UINT8" or "UINT16" or "UINT32" or "UINT64" => type is FeatureType.Integer or FeatureType.Boolean,
        "BOOL" => type == FeatureType.Boolean,
        "BYTES" => type is FeatureType.String or FeatureType.Category,
        _ => false,
    };

    /// <summary>The JSON element for one value.</summary>
    public JsonNode? Encode(FeatureValue value) => Datatype switch
    {
        "BOOL" => JsonValue.Create(value.Kind == FeatureValueKind.Boolean && value.Number != 0),
        "BYTES" => JsonValue.Create(value.Text ?? string.Empty),
        "FP16" or "FP32" or "FP64" => value.IsNull ? null : JsonValue.Create(value.Number),
        _ => value.IsNull ? null : JsonValue.Create((long)value.Number),
    };
}

using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Vigil;

/// <summary>The one JSON convention of Vigil's API, store columns and CLI output: snake_case names, kebab-case enum values, nulls written out, unknown and missing required members refused.</summary>
public static class VigilJson
{
    /// <summary>Options for every JSON Vigil reads or writes.</summary>
    public static JsonSerializerOptions Options { get; } = Create();

    /// <summary>Applies Vigil's conventions to an options object (used for ASP.NET Core's own options).</summary>
    public static void Configure(JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower;
        // Messages quote names with ' and people read this JSON: do not escape it as \u0027. (Vigil never embeds JSON in HTML.)
        options.Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping;
        options.DictionaryKeyPolicy = null;
        options.DefaultIgnoreCondition = JsonIgnoreCondition.Never;
        options.NumberHandling = JsonNumberHandling.Strict;
        options.AllowTrailingCommas = false;
        options.ReadCommentHandling = JsonCommentHandling.Disallow;
        options.UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow;
        options.RespectNullableAnnotations = true;
        options.RespectRequiredConstructorParameters = true;
        options.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.KebabCaseLower, allowIntegerValues: false));
    }

    public static string Serialize<T>(T value) => JsonSerializer.Serialize(value, Options);

    public static T? Deserialize<T>(string json) => JsonSerializer.Deserialize<T>(json, Options);

    private static JsonSerializerOptions Create()
    {
        var options = new JsonSerializerOptions();
        Configure(options);
        options.MakeReadOnly(populateMissingResolver: true);
        return options;
    }
}

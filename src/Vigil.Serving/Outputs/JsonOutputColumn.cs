using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Vigil.Serving.Outputs;

/// <summary>An output given as one JSON value per row (a scalar or an array), as a remote model answers.</summary>
internal sealed class JsonOutputColumn : OutputColumn
{
    private readonly IReadOnlyList<JsonNode?> _rows;

    public JsonOutputColumn(string name, IReadOnlyList<JsonNode?> rows)
        : base(name)
    {
        _rows = rows;
    }

    public override int WidthOf(int row) => _rows[row] is JsonArray array ? array.Count : 1;

    public override double GetNumber(int row, int index)
    {
        var node = Element(row, index);
        if (node is JsonValue value)
        {
            switch (value.GetValueKind())
            {
                case JsonValueKind.Number:
                    return value.GetValue<double>();
                case JsonValueKind.True:
                    return 1;
                case JsonValueKind.False:
                    return 0;
                case JsonValueKind.String when double.TryParse(value.GetValue<string>(), NumberStyles.Float, CultureInfo.InvariantCulture, out var parsed):
                    return parsed;
            }
        }

        return double.NaN;
    }

    public override string? GetText(int row, int index)
    {
        var node = Element(row, index);
        return node switch
        {
            null => null,
            JsonValue value when value.GetValueKind() == JsonValueKind.String => value.GetValue<string>(),
            _ => node.ToJsonString(),
        };
    }

    public override bool? GetBoolean(int row, int index)
    {
        var node = Element(row, index);
        if (node is JsonValue value)
        {
            switch (value.GetValueKind())
            {
                case JsonValueKind.True:
                    return true;
                case JsonValueKind.False:
                    return false;
                case JsonValueKind.Number:
                    return value.GetValue<double>() != 0;
                case JsonValueKind.String when bool.TryParse(value.GetValue<string>(), out var parsed):
                    return parsed;
            }
        }

        return null;
    }

    public override JsonNode? GetNode(int row, int index) => Element(row, index)?.DeepClone();

    public override JsonNode? GetRowNode(int row) => _rows[row]?.DeepClone();

    private JsonNode? Element(int row, int index) => _rows[row] switch
    {
        JsonArray array => index < array.Count ? array[index] : null,
        var scalar => index == 0 ? scalar : null,
    };
}

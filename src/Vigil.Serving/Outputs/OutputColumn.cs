using System.Text.Json.Nodes;

namespace Vigil.Serving.Outputs;

/// <summary>
/// One named output of a model for a batch of rows, read without knowing its element type: a tensor of shape [N] or
/// [N, width] from an in-process model, or one JSON value per row from a remote.
/// </summary>
internal abstract class OutputColumn
{
    protected OutputColumn(string name)
    {
        Name = name;
    }

    /// <summary>The output's name as the model reports it.</summary>
    public string Name { get; }

    /// <summary>How many values row <paramref name="row"/> has (1 for a scalar).</summary>
    public abstract int WidthOf(int row);

    /// <summary>Value <paramref name="index"/> of row <paramref name="row"/> as a number: booleans are 1 or 0, anything else NaN.</summary>
    public abstract double GetNumber(int row, int index);

    /// <summary>Value <paramref name="index"/> of row <paramref name="row"/> as text; numbers and booleans are formatted.</summary>
    public abstract string? GetText(int row, int index);

    /// <summary>Value <paramref name="index"/> of row <paramref name="row"/> as a boolean: numbers are true when not 0; null when it is not one.</summary>
    public abstract bool? GetBoolean(int row, int index);

    /// <summary>A new JSON node for value <paramref name="index"/> of row <paramref name="row"/>.</summary>
    public abstract JsonNode? GetNode(int row, int index);

    /// <summary>A new JSON node for the whole of row <paramref name="row"/>: a scalar, or an array when it has several values.</summary>
    public virtual JsonNode? GetRowNode(int row)
    {
        var width = WidthOf(row);
        if (width == 1)
        {
            return GetNode(row, 0);
        }

        var array = new JsonArray();
        for (var j = 0; j < width; j++)
        {
            array.Add(GetNode(row, j));
        }

        return array;
    }

    /// <summary>A JSON number, or null for NaN and infinities (JSON has no such numbers).</summary>
    internal static JsonNode? Number(double value) => double.IsFinite(value) ? JsonValue.Create(value) : null;
}

using System.Text.Json;
using System.Text.Json.Serialization;

namespace Vigil.Releases;

/// <summary>
/// A difference between two percentages, in percentage points, written <c>"3pp"</c> on the wire: the margins of
/// relative triggers (<c>max_drop: 3pp</c>) and of promotion criteria (<c>non_inferior_margin: 1pp</c>). 70% → 67% is a
/// drop of 3pp (not 3%).
/// </summary>
/// <param name="Value">The number of points: 3 for "3pp".</param>
[JsonConverter(typeof(PercentagePointsJsonConverter))]
public readonly record struct PercentagePoints(double Value)
{
    /// <summary>The difference as a fraction: 0.03 for "3pp".</summary>
    public double Fraction => Value / 100;

    /// <summary>Parses "3pp", "0.5pp" (the pp suffix is required).</summary>
    public static bool TryParse(string? text, out PercentagePoints points)
    {
        points = default;
        if (!UnitText.TrySplit(text, out var number, out var unit) || unit != "pp")
        {
            return false;
        }

        points = new PercentagePoints(number);
        return true;
    }

    public override string ToString() => UnitText.Format(Value) + "pp";
}

/// <summary>Reads and writes <see cref="PercentagePoints"/> as "3pp".</summary>
public sealed class PercentagePointsJsonConverter : JsonConverter<PercentagePoints>
{
    public override PercentagePoints Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        var text = UnitText.ReadString(ref reader, "a margin in percentage points", "3pp");
        return PercentagePoints.TryParse(text, out var points)
            ? points
            : throw new JsonException($"'{text}' is not a margin in percentage points: write a number followed by pp, such as 3pp (70% → 67% is a drop of 3pp)");
    }

    public override void Write(Utf8JsonWriter writer, PercentagePoints value, JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteStringValue(value.ToString());
    }
}

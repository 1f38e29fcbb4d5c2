using System.Text.Json;
using System.Text.Json.Serialization;

namespace Vigil.Releases;

/// <summary>
/// A share in percent, written with its sign on the wire: <c>"1%"</c>, <c>"0.5%"</c>, <c>"100%"</c>. Used for traffic
/// weights, shadow samples and absolute proportion thresholds (<c>error_rate max 2%</c>).
/// </summary>
/// <param name="Value">The number of percent: 1 for "1%".</param>
[JsonConverter(typeof(PercentJsonConverter))]
public readonly record struct Percent(double Value)
{
    /// <summary>The share as a fraction: 0.01 for "1%".</summary>
    public double Fraction => Value / 100;

    /// <summary>Parses "1%", "0.5%" (the % sign is required).</summary>
    public static bool TryParse(string? text, out Percent percent)
    {
        percent = default;
        if (!UnitText.TrySplit(text, out var number, out var unit) || unit != "%")
        {
            return false;
        }

        percent = new Percent(number);
        return true;
    }

    public override string ToString() => UnitText.Format(Value) + "%";
}

/// <summary>Reads and writes <see cref="Percent"/> as "1%".</summary>
public sealed class PercentJsonConverter : JsonConverter<Percent>
{
    public override Percent Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        var text = UnitText.ReadString(ref reader, "a percentage", "5%");
        return Percent.TryParse(text, out var percent)
            ? percent
            : throw new JsonException($"'{text}' is not a percentage: write a number followed by %, such as 5% or 0.5%");
    }

    public override void Write(Utf8JsonWriter writer, Percent value, JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteStringValue(value.ToString());
    }
}

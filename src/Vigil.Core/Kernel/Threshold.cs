using System.Text.Json;
using System.Text.Json.Serialization;

namespace Vigil;

/// <summary>The unit of an absolute trigger threshold.</summary>
public enum ThresholdUnit
{
    /// <summary>A share of requests or outcomes, in percent ("2%").</summary>
    Percent,

    /// <summary>A latency in milliseconds ("250ms").</summary>
    Milliseconds,
}

/// <summary>
/// The value of an absolute trigger (<c>max</c> or <c>min</c>), with its unit on the wire: <c>"2%"</c> for proportion
/// metrics, <c>"250ms"</c> for latency metrics.
/// </summary>
[JsonConverter(typeof(ThresholdJsonConverter))]
public readonly record struct Threshold(double Value, ThresholdUnit Unit)
{
    public static Threshold Percent(double value) => new(value, ThresholdUnit.Percent);

    public static Threshold Milliseconds(double value) => new(value, ThresholdUnit.Milliseconds);

    /// <summary>Parses "2%" or "250ms".</summary>
    public static bool TryParse(string? text, out Threshold threshold)
    {
        threshold = default;
        if (!UnitText.TrySplit(text, out var number, out var unit))
        {
            return false;
        }

        switch (unit)
        {
            case "%":
                threshold = Percent(number);
                return true;
            case "ms":
                threshold = Milliseconds(number);
                return true;
            default:
                return false;
        }
    }

    public override string ToString() => UnitText.Format(Value) + (Unit == ThresholdUnit.Percent ? "%" : "ms");
}

/// <summary>Reads and writes <see cref="Threshold"/> as "2%" or "250ms".</summary>
public sealed class ThresholdJsonConverter : JsonConverter<Threshold>
{
    public override Threshold Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        var text = UnitText.ReadString(ref reader, "a threshold", "2%");
        return Threshold.TryParse(text, out var threshold)
            ? threshold
            : throw new JsonException($"'{text}' is not a threshold: write a percentage such as 2% or a latency in milliseconds such as 250ms");
    }

    public override void Write(Utf8JsonWriter writer, Threshold value, JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteStringValue(value.ToString());
    }
}

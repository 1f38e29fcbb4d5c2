using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Vigil;

/// <summary>
/// A length of time in a release plan, written on the wire as whole numbers of days, hours, minutes and seconds,
/// largest first: <c>"2d"</c>, <c>"4h"</c>, <c>"5m"</c>, <c>"90s"</c>, <c>"1h30m"</c>. Written back in the same form,
/// largest units first ("90s" is written "1m30s").
/// </summary>
[JsonConverter(typeof(DurationJsonConverter))]
public readonly record struct Duration(TimeSpan Value)
{
    public static Duration Days(int days) => new(TimeSpan.FromDays(days));

    public static Duration Hours(int hours) => new(TimeSpan.FromHours(hours));

    public static Duration Minutes(int minutes) => new(TimeSpan.FromMinutes(minutes));

    public static Duration Seconds(int seconds) => new(TimeSpan.FromSeconds(seconds));

    /// <summary>Parses "2d", "4h", "5m", "90s", "1d12h", "0s"; each unit at most once, largest first.</summary>
    public static bool TryParse(string? text, out Duration duration)
    {
        duration = default;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }

        var s = text.Trim();
        var i = 0;
        var lastRank = int.MaxValue;
        long seconds = 0;
        while (i < s.Length)
        {
            var start = i;
            while (i < s.Length && char.IsAsciiDigit(s[i]))
            {
                i++;
            }

            if (i == start || i == s.Length || i - start > 9)
            {
                return false;
            }

            var number = long.Parse(s.AsSpan(start, i - start), NumberStyles.None, CultureInfo.InvariantCulture);
            var (rank, unitSeconds) = s[i] switch
            {
                'd' => (3, 86_400L),
                'h' => (2, 3_600L),
                'm' => (1, 60L),
                's' => (0, 1L),
                _ => (-1, 0L),
            };
            if (rank < 0 || rank >= lastRank)
            {
                return false;
            }

            lastRank = rank;
            seconds += number * unitSeconds;
            i++;
        }

        if (seconds > (long)TimeSpan.MaxValue.TotalSeconds / 2)
        {
            return false;
        }

        duration = new Duration(TimeSpan.FromSeconds(seconds));
        return true;
    }

    public override string ToString()
    {
        var total = (long)Math.Floor(Value.TotalSeconds);
        if (total == 0)
        {
            return "0s";
        }

        var sign = total < 0 ? "-" : string.Empty;
        total = Math.Abs(total);
        var text = new StringBuilder(sign);
        foreach (var (unit, size) in new[] { ('d', 86_400L), ('h', 3_600L), ('m', 60L), ('s', 1L) })
        {
            if (total >= size)
            {
                text.Append((total / size).ToString(CultureInfo.InvariantCulture)).Append(unit);
                total %= size;
            }
        }

        return text.ToString();
    }
}

/// <summary>Reads and writes <see cref="Duration"/> as "2d", "1h30m".</summary>
public sealed class DurationJsonConverter : JsonConverter<Duration>
{
    public override Duration Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        var text = UnitText.ReadString(ref reader, "a duration", "2d");
        return Duration.TryParse(text, out var duration)
            ? duration
            : throw new JsonException($"'{text}' is not a duration: write whole days, hours, minutes or seconds, largest first, such as 2d, 4h, 5m, 90s or 1h30m");
    }

    public override void Write(Utf8JsonWriter writer, Duration value, JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteStringValue(value.ToString());
    }
}

using System.Globalization;
using System.Text.Json;

namespace Vigil;

/// <summary>Parsing and formatting of the unit-bearing values of a release plan ("1%", "3pp", "250ms", "2d").</summary>
internal static class UnitText
{
    /// <summary>Splits "12.5pp" into 12.5 and "pp"; the number is a plain decimal (no exponent, no thousands separator).</summary>
    public static bool TrySplit(string? text, out double number, out string unit)
    {
        number = 0;
        unit = string.Empty;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }

        var s = text.Trim();
        var end = 0;
        if (end < s.Length && (s[end] == '-' || s[end] == '+'))
        {
            end++;
        }

        var digits = 0;
        var dot = false;
        while (end < s.Length && (char.IsAsciiDigit(s[end]) || (s[end] == '.' && !dot)))
        {
            if (s[end] == '.')
            {
                dot = true;
            }
            else
            {
                digits++;
            }

            end++;
        }

        if (digits == 0)
        {
            return false;
        }

        if (!double.TryParse(s.AsSpan(0, end), NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out number)
            || !double.IsFinite(number))
        {
            return false;
        }

        unit = s[end..].Trim();
        return true;
    }

    public static string Format(double value) => value.ToString("R", CultureInfo.InvariantCulture);

    /// <summary>Reads a JSON string token, or explains that the value needs its unit.</summary>
    public static string ReadString(ref Utf8JsonReader reader, string what, string example)
    {
        if (reader.TokenType == JsonTokenType.String)
        {
            return reader.GetString()!;
        }

        if (reader.TokenType == JsonTokenType.Number)
        {
            throw new JsonException($"{what} needs its unit: write it as a string such as \"{example}\", not a bare number");
        }

        throw new JsonException($"{what}: expected a string such as \"{example}\"");
    }
}

using System.Globalization;
using Vigil.Registry;

namespace Vigil.Cli.ServiceFiles;

/// <summary>
/// The compact command-line spelling of a service's schema, for <c>vigil services create --input … --output …</c>:
/// <list type="bullet">
/// <item><c>price:number</c>, <c>age:integer:0..130</c> (inclusive bounds, either side may be empty: <c>0..</c>)</item>
/// <item><c>country:category:DE,FR,US</c> (a closed list) or <c>country:category</c> (open)</item>
/// <item><c>note:string?</c> — a trailing <c>?</c> on the type marks the feature nullable</item>
/// <item>outputs: <c>probability</c>, <c>score</c>, <c>class:cat,dog</c></item>
/// </list>
/// </summary>
public static class FeatureArgument
{
    /// <summary>Parses one <c>--input</c> value; on failure <paramref name="error"/> says what is wrong and shows the right form.</summary>
    public static bool TryParse(string text, out FeatureSpec? feature, out string? error)
    {
        feature = null;
        error = null;
        var parts = (text ?? string.Empty).Split(':', 3);
        if (parts.Length < 2 || parts[0].Length == 0 || parts[1].Length == 0)
        {
            error = $"--input '{text}': expected NAME:TYPE[?][:DETAIL], e.g. price:number, country:category:DE,FR,US or note:string?";
            return false;
        }

        var name = parts[0].Trim();
        var typeText = parts[1].Trim();
        var nullable = typeText.EndsWith('?');
        if (nullable)
        {
            typeText = typeText[..^1];
        }

        if (!ServiceFileReader.TryParseEnum<FeatureType>(typeText, out var type))
        {
            error = $"--input '{text}': type '{typeText}' is not one of number, integer, boolean, string, category";
            return false;
        }

        double? min = null;
        double? max = null;
        IReadOnlyList<string>? categories = null;
        if (parts.Length == 3)
        {
            var detail = parts[2];
            switch (type)
            {
                case FeatureType.Category:
                    categories = [.. detail.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)];
                    break;
                case FeatureType.Number or FeatureType.Integer:
                    if (!TryParseRange(detail, out min, out max))
                    {
                        error = $"--input '{text}': '{detail}' is not a range; write MIN..MAX, MIN.. or ..MAX, e.g. 0..1000";
                        return false;
                    }

                    break;
                default:
                    error = $"--input '{text}': a {typeText} feature takes nothing after its type (categories are for category features, MIN..MAX for numbers)";
                    return false;
            }
        }

        feature = new FeatureSpec(name, type, nullable, min, max, categories);
        return true;
    }

    /// <summary>Parses the <c>--output</c> value: a kind, and for <c>class</c> optionally its labels (<c>class:cat,dog</c>).</summary>
    public static bool TryParseOutput(string text, out OutputSpec? output, out string? error)
    {
        output = null;
        error = null;
        var parts = (text ?? string.Empty).Split(':', 2);
        if (!ServiceFileReader.TryParseEnum<OutputKind>(parts[0].Trim(), out var kind))
        {
            error = $"--output '{text}': expected one of probability, class, score, ranking, text (class may list labels: class:cat,dog)";
            return false;
        }

        IReadOnlyList<string>? classes = null;
        if (parts.Length == 2)
        {
            if (kind != OutputKind.Class)
            {
                error = $"--output '{text}': only a class output lists labels after ':'";
                return false;
            }

            classes = [.. parts[1].Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)];
        }

        output = new OutputSpec(kind, null, classes);
        return true;
    }

    private static bool TryParseRange(string text, out double? min, out double? max)
    {
        min = null;
        max = null;
        var separator = text.IndexOf("..", StringComparison.Ordinal);
        if (separator < 0)
        {
            return false;
        }

        var low = text[..separator].Trim();
        var high = text[(separator + 2)..].Trim();
        if (low.Length > 0)
        {
            if (!double.TryParse(low, NumberStyles.Float, CultureInfo.InvariantCulture, out var lo))
            {
                return false;
            }

            min = lo;
        }

        if (high.Length > 0)
        {
            if (!double.TryParse(high, NumberStyles.Float, CultureInfo.InvariantCulture, out var hi))
            {
                return false;
            }

            max = hi;
        }

        return min is not null || max is not null;
    }
}

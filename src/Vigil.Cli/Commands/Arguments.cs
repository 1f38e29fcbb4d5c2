using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;

namespace Vigil.Cli.Commands;

/// <summary>Options whose values need parsing (times, key=value pairs); a bad value is a usage error at parse time (exit 2).</summary>
internal static class Arguments
{
    /// <summary>
    /// An option taking a time: an ISO 8601 date or date-time (<c>2026-11-01</c>, <c>2026-11-20T10:00:00Z</c>; UTC when no
    /// offset is given) or, when <paramref name="allowRelative"/>, an age such as <c>30m</c>, <c>24h</c>, <c>7d</c> meaning that long ago.
    /// </summary>
    public static Option<DateTimeOffset?> Time(string name, string description, TimeProvider time, bool allowRelative)
    {
        return new Option<DateTimeOffset?>(name)
        {
            Description = description,
            HelpName = allowRelative ? "time|age" : "time",
            CustomParser = result =>
            {
                var text = result.Tokens.Count > 0 ? result.Tokens[^1].Value : string.Empty;
                if (TryParseTime(text, time.GetUtcNow(), allowRelative, out var value, out var error))
                {
                    return value;
                }

                result.AddError($"{name} '{text}': {error}");
                return null;
            },
        };
    }

    /// <summary>Parses a time or (when allowed) an age relative to <paramref name="now"/>.</summary>
    public static bool TryParseTime(string text, DateTimeOffset now, bool allowRelative, out DateTimeOffset value, out string? error)
    {
        value = default;
        error = null;
        text = text.Trim();
        if (allowRelative && TryParseAge(text, out var age))
        {
            value = now - age;
            return true;
        }

        if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out value)
            && text.Length >= 10 && char.IsAsciiDigit(text[0]))
        {
            return true;
        }

        error = allowRelative
            ? "expected an ISO 8601 time such as 2026-11-01 or 2026-11-20T10:00:00Z, or an age such as 30m, 24h or 7d"
            : "expected an ISO 8601 time such as 2026-11-01 or 2026-11-20T10:00:00Z";
        return false;
    }

    /// <summary>A repeatable <c>--name key=value</c> option collected into a dictionary; values are converted by <paramref name="convert"/>.</summary>
    public static Option<Dictionary<string, T>> KeyValues<T>(string name, string description, string helpName, Func<string, (bool Ok, T Value)> convert, string valueRule)
    {
        return new Option<Dictionary<string, T>>(name)
        {
            Description = description,
            HelpName = helpName,
            Arity = ArgumentArity.ZeroOrMore,
            AllowMultipleArgumentsPerToken = false,
            DefaultValueFactory = _ => new Dictionary<string, T>(StringComparer.Ordinal),
            CustomParser = result => ParseKeyValues(result, name, convert, valueRule),
        };
    }

    /// <summary>Converts a metric value (a finite number).</summary>
    public static (bool Ok, double Value) Number(string text) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && double.IsFinite(value) ? (true, value) : (false, 0);

    private static Dictionary<string, T> ParseKeyValues<T>(ArgumentResult result, string name, Func<string, (bool Ok, T Value)> convert, string valueRule)
    {
        var values = new Dictionary<string, T>(StringComparer.Ordinal);
        foreach (var token in result.Tokens)
        {
            var separator = token.Value.IndexOf('=', StringComparison.Ordinal);
            if (separator <= 0)
            {
                result.AddError($"{name} '{token.Value}': expected KEY=VALUE");
                continue;
            }

            var key = token.Value[..separator].Trim();
            var (ok, value) = convert(token.Value[(separator + 1)..]);
            if (!ok)
            {
                result.AddError($"{name} '{token.Value}': {valueRule}");
            }
            else if (!values.TryAdd(key, value))
            {
                result.AddError($"{name}: '{key}' is given twice");
            }
        }

        return values;
    }

    private static bool TryParseAge(string text, out TimeSpan age)
    {
        age = default;
        if (text.Length < 2 || !long.TryParse(text.AsSpan(0, text.Length - 1), NumberStyles.None, CultureInfo.InvariantCulture, out var amount))
        {
            return false;
        }

        TimeSpan? unit = text[^1] switch
        {
            's' => TimeSpan.FromSeconds(1),
            'm' => TimeSpan.FromMinutes(1),
            'h' => TimeSpan.FromHours(1),
            'd' => TimeSpan.FromDays(1),
            'w' => TimeSpan.FromDays(7),
            _ => null,
        };
        if (unit is not { } u || amount > 100 * 365 * TimeSpan.TicksPerDay / u.Ticks)
        {
            return false;
        }

        age = u * amount;
        return true;
    }
}

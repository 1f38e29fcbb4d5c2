using System.Text.Json;

namespace Vigil.Routing.Flags;

/// <summary>
/// The attributes of one request (country, plan, device …), built once per request and read by every flag evaluation
/// without allocating. Lookup is a linear scan with ordinal comparison: fastest for the handful of attributes a request
/// carries (at most <see cref="MaxAttributes"/>).
/// </summary>
public sealed class RequestAttributes
{
    /// <summary>At most this many attributes (the gateway's limit).</summary>
    public const int MaxAttributes = 64;

    /// <summary>Names and string values are at most this many characters (the gateway's limit).</summary>
    public const int MaxLength = 256;

    private readonly string[] _names;
    private readonly AttributeValue[] _values;

    private RequestAttributes(string[] names, AttributeValue[] values)
    {
        _names = names;
        _values = values;
    }

    /// <summary>No attributes.</summary>
    public static RequestAttributes Empty { get; } = new([], []);

    /// <summary>The number of attributes.</summary>
    public int Count => _names.Length;

    /// <summary>Finds the attribute called <paramref name="name"/> (case-sensitive).</summary>
    public bool TryGet(string name, out AttributeValue value)
    {
        var names = _names;
        for (var i = 0; i < names.Length; i++)
        {
            if (string.Equals(names[i], name, StringComparison.Ordinal))
            {
                value = _values[i];
                return true;
            }
        }

        value = default;
        return false;
    }

    /// <summary>The attributes, in the order given.</summary>
    public IEnumerable<KeyValuePair<string, AttributeValue>> Enumerate()
    {
        for (var i = 0; i < _names.Length; i++)
        {
            yield return new(_names[i], _values[i]);
        }
    }

    /// <summary>Attributes from name/value pairs (the API's <c>attributes</c> map, the CLI's <c>--attr name=value</c>); strings that read as numbers are numeric.</summary>
    /// <exception cref="ArgumentException">A name is empty or appears twice.</exception>
    public static RequestAttributes Create(IEnumerable<KeyValuePair<string, string>> pairs)
    {
        ArgumentNullException.ThrowIfNull(pairs);
        var names = new List<string>();
        var values = new List<AttributeValue>();
        foreach (var (name, value) in pairs)
        {
            if (string.IsNullOrEmpty(name))
            {
                throw new ArgumentException("an attribute name is empty", nameof(pairs));
            }

            if (names.Contains(name, StringComparer.Ordinal))
            {
                throw new ArgumentException($"attribute '{name}' appears twice", nameof(pairs));
            }

            names.Add(name);
            values.Add(AttributeValue.FromString(value ?? throw new ArgumentException($"attribute '{name}' is null", nameof(pairs))));
        }

        return names.Count == 0 ? Empty : new([.. names], [.. values]);
    }

    /// <summary>Attributes from explicit values (tests, benchmarks, hosts that already typed their attributes).</summary>
    /// <exception cref="ArgumentException">A name is empty or appears twice.</exception>
    public static RequestAttributes Create(params ReadOnlySpan<(string Name, AttributeValue Value)> attributes)
    {
        var names = new string[attributes.Length];
        var values = new AttributeValue[attributes.Length];
        for (var i = 0; i < attributes.Length; i++)
        {
            var (name, value) = attributes[i];
            if (string.IsNullOrEmpty(name))
            {
                throw new ArgumentException("an attribute name is empty", nameof(attributes));
            }

            if (Array.IndexOf(names, name, 0, i) >= 0)
            {
                throw new ArgumentException($"attribute '{name}' appears twice", nameof(attributes));
            }

            names[i] = name;
            values[i] = value;
        }

        return names.Length == 0 ? Empty : new(names, values);
    }

    /// <summary>
    /// Attributes from the request's JSON <c>attributes</c> object: strings, numbers (kept as written, numeric) and
    /// booleans; a null value is the same as a missing attribute. Every problem is reported: a non-object, nested
    /// objects or arrays, a name given twice, more than <see cref="MaxAttributes"/> attributes, names or strings
    /// longer than <see cref="MaxLength"/>.
    /// </summary>
    public static Result<RequestAttributes> FromJson(JsonElement attributes)
    {
        if (attributes.ValueKind is JsonValueKind.Null or JsonValueKind.Undefined)
        {
            return Result<RequestAttributes>.Ok(Empty);
        }

        if (attributes.ValueKind != JsonValueKind.Object)
        {
            return Failure.Invalid("'attributes' must be an object of name to string, number or boolean, e.g. {\"country\": \"DE\"}");
        }

        var names = new List<string>();
        var values = new List<AttributeValue>();
        var errors = new List<string>();
        var count = 0;
        foreach (var property in attributes.EnumerateObject())
        {
            count++;
            var name = property.Name;
            var shown = name.Length > 32 ? name[..32] + "…" : name;
            if (name.Length is 0 or > MaxLength)
            {
                errors.Add($"attribute name '{shown}' must be 1–{MaxLength} characters");
                continue;
            }

            if (names.Contains(name, StringComparer.Ordinal))
            {
                errors.Add($"attribute '{shown}' appears twice");
                continue;
            }

            var value = property.Value;
            switch (value.ValueKind)
            {
                case JsonValueKind.Null:
                    continue;
                case JsonValueKind.String:
                    var text = value.GetString()!;
                    if (text.Length > MaxLength)
                    {
                        errors.Add($"attribute '{shown}' is longer than {MaxLength} characters");
                        continue;
                    }

                    names.Add(name);
                    values.Add(AttributeValue.FromString(text));
                    break;
                case JsonValueKind.Number:
                    var raw = value.GetRawText();
                    names.Add(name);
                    values.Add(value.TryGetDouble(out var number) ? AttributeValue.FromNumber(number, raw) : AttributeValue.FromString(raw));
                    break;
                case JsonValueKind.True or JsonValueKind.False:
                    names.Add(name);
                    values.Add(AttributeValue.FromBoolean(value.GetBoolean()));
                    break;
                default:
                    errors.Add($"attribute '{shown}' must be a string, number or boolean");
                    break;
            }
        }

        if (count > MaxAttributes)
        {
            errors.Add($"at most {MaxAttributes} attributes are allowed, got {count}");
        }

        if (errors.Count > 0)
        {
            return Failure.Invalid($"'attributes' is not valid: {errors[0]}", errors);
        }

        return Result<RequestAttributes>.Ok(names.Count == 0 ? Empty : new([.. names], [.. values]));
    }
}

using System.Globalization;

namespace Vigil.Routing.Flags;

/// <summary>
/// One request attribute as flags see it: its text (what <c>in</c>, <c>equals</c>, <c>starts_with</c> … compare) and,
/// when it reads as a finite number, that number (what <c>&lt;</c>, <c>&gt;=</c> … compare).
/// </summary>
public readonly record struct AttributeValue
{
    private const NumberStyles NumberStyle = NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint | NumberStyles.AllowExponent;

    private AttributeValue(string text, double number)
    {
        Text = text;
        Number = number;
    }

    /// <summary>The text: a string as is, a JSON number as written, a boolean as <c>true</c> or <c>false</c>.</summary>
    public string Text { get; }

    /// <summary>The number, or NaN when the attribute is not a finite number.</summary>
    public double Number { get; }

    /// <summary>True when numeric operators can compare this attribute.</summary>
    public bool IsNumber => double.IsFinite(Number);

    /// <summary>A string attribute; numeric when it reads as a finite decimal number (invariant culture: <c>42</c>, <c>-1.5</c>, <c>1e3</c>; no spaces, no thousands separators).</summary>
    public static AttributeValue FromString(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return new(text, TryReadNumber(text, out var number) ? number : double.NaN);
    }

    /// <summary>A number attribute; <paramref name="text"/> is how it is written (defaults to the shortest round-trip form).</summary>
    public static AttributeValue FromNumber(double number, string? text = null) =>
        new(text ?? number.ToString("R", CultureInfo.InvariantCulture), double.IsFinite(number) ? number : double.NaN);

    /// <summary>A boolean attribute: text <c>true</c> or <c>false</c>, not a number.</summary>
    public static AttributeValue FromBoolean(bool value) => new(value ? "true" : "false", double.NaN);

    /// <summary>Reads <paramref name="text"/> as a finite number with the rule of <see cref="FromString"/>.</summary>
    public static bool TryReadNumber(string? text, out double number) =>
        double.TryParse(text, NumberStyle, CultureInfo.InvariantCulture, out number) && double.IsFinite(number);

    public override string ToString() => Text;
}

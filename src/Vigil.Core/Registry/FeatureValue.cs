using System.Globalization;

namespace Vigil.Registry;

/// <summary>The kind of a <see cref="FeatureValue"/>.</summary>
public enum FeatureValueKind : byte
{
    /// <summary>null or absent.</summary>
    Null,
    /// <summary>A finite number.</summary>
    Number,
    /// <summary>true or false.</summary>
    Boolean,
    /// <summary>Text (string and category features).</summary>
    Text,
}

/// <summary>One input value of a request, already checked against the feature's type. A small struct: no boxing on the request path.</summary>
public readonly record struct FeatureValue
{
    private FeatureValue(FeatureValueKind kind, double number, string? text)
    {
        Kind = kind;
        Number = number;
        Text = text;
    }

    public FeatureValueKind Kind { get; }

    /// <summary>The number (Number), 1 or 0 (Boolean), NaN otherwise.</summary>
    public double Number { get; }

    /// <summary>The text (Text), null otherwise.</summary>
    public string? Text { get; }

    public bool IsNull => Kind == FeatureValueKind.Null;

    public static FeatureValue Null { get; } = new(FeatureValueKind.Null, double.NaN, null);

    public static FeatureValue FromNumber(double value) => new(FeatureValueKind.Number, value, null);

    public static FeatureValue FromBoolean(bool value) => new(FeatureValueKind.Boolean, value ? 1 : 0, null);

    public static FeatureValue FromText(string value) => new(FeatureValueKind.Text, double.NaN, value);

    /// <summary>The value as a float for a model input: numbers and booleans as they are, NaN for null.</summary>
    public float AsSingle() => Kind is FeatureValueKind.Number or FeatureValueKind.Boolean ? (float)Number : float.NaN;

    public override string ToString() => Kind switch
    {
        FeatureValueKind.Null => "null",
        FeatureValueKind.Number => Number.ToString("R", CultureInfo.InvariantCulture),
        FeatureValueKind.Boolean => Number != 0 ? "true" : "false",
        _ => Text!,
    };
}

/// <summary>One request's inputs, in the order of the service's input schema (index i is <c>Inputs[i]</c>).</summary>
/// <param name="Values">One value per declared feature; absent optional features are <see cref="FeatureValue.Null"/>.</param>
public sealed record InputRow(FeatureValue[] Values)
{
    public FeatureValue this[int index] => Values[index];
}

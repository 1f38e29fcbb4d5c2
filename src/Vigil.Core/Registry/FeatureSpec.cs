namespace Vigil.Registry;

/// <summary>The type of one input feature of a service's schema.</summary>
public enum FeatureType
{
    /// <summary>A finite floating-point number.</summary>
    Number,
    /// <summary>A whole number (a JSON number with no fractional part).</summary>
    Integer,
    /// <summary>true or false.</summary>
    Boolean,
    /// <summary>Free text.</summary>
    String,
    /// <summary>One of a set of labels; <see cref="FeatureSpec.Categories"/> lists the allowed ones when known.</summary>
    Category,
}

/// <summary>One feature of a service's input schema.</summary>
/// <param name="Name">The feature's name, as it appears in request inputs and model inputs.</param>
/// <param name="Type">Its type.</param>
/// <param name="Nullable">Whether null (or absence) is allowed.</param>
/// <param name="Min">Inclusive lower bound for numeric features.</param>
/// <param name="Max">Inclusive upper bound for numeric features.</param>
/// <param name="Categories">The allowed values of a category feature, when the list is closed.</param>
public sealed record FeatureSpec(
    string Name,
    FeatureType Type,
    bool Nullable = false,
    double? Min = null,
    double? Max = null,
    IReadOnlyList<string>? Categories = null)
{
    public bool IsNumeric => Type is FeatureType.Number or FeatureType.Integer;
}

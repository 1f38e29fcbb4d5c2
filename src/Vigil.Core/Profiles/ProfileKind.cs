namespace Vigil.Profiles;

/// <summary>Which summaries a <see cref="FeatureProfile"/> keeps.</summary>
public enum ProfileKind : byte
{
    /// <summary>Numbers: moments and a KLL quantile sketch.</summary>
    Numeric = 1,
    /// <summary>Labels and strings: frequent items and a distinct-count estimate.</summary>
    Categorical = 2,
}

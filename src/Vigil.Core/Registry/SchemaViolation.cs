namespace Vigil.Registry;

/// <summary>The ways a request's inputs can break the service schema.</summary>
public enum ViolationKind
{
    /// <summary>A declared, non-nullable feature is absent.</summary>
    Missing,
    /// <summary>A feature that the schema does not declare.</summary>
    Unknown,
    /// <summary>A value of the wrong JSON type (a string for a number …), or a fractional value for an integer.</summary>
    WrongType,
    /// <summary>null where the feature is not nullable.</summary>
    Null,
    /// <summary>NaN or ±Infinity (including numbers too large for a double).</summary>
    NotFinite,
    /// <summary>Below min or above max.</summary>
    OutOfRange,
    /// <summary>A category value outside the declared categories.</summary>
    UnseenCategory,
}

/// <summary>One schema violation of one feature of one request.</summary>
public readonly record struct SchemaViolation(string Feature, ViolationKind Kind, string Message)
{
    /// <summary>
    /// True when the model cannot be called with the value at all (missing, wrong type, null, not finite): the request is
    /// refused with 422. Unknown features, out-of-range values and unseen categories are served and counted.
    /// </summary>
    public bool PreventsServing => Kind is ViolationKind.Missing or ViolationKind.WrongType or ViolationKind.Null or ViolationKind.NotFinite;
}

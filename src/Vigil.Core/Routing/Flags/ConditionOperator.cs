namespace Vigil.Routing.Flags;

/// <summary>The operators of a <see cref="Condition"/>. Their wire names are in <see cref="ConditionOperators"/>.</summary>
public enum ConditionOperator
{
    /// <summary><c>in</c>: the attribute's text is one of the values (ordinal, case-sensitive).</summary>
    In,
    /// <summary><c>not_in</c>: the attribute is present and its text is none of the values.</summary>
    NotIn,
    /// <summary><c>equals</c>: the attribute's text equals the value (ordinal, case-sensitive).</summary>
    EqualTo,
    /// <summary><c>&lt;</c>: numeric.</summary>
    LessThan,
    /// <summary><c>&lt;=</c>: numeric.</summary>
    LessThanOrEqual,
    /// <summary><c>&gt;</c>: numeric.</summary>
    GreaterThan,
    /// <summary><c>&gt;=</c>: numeric.</summary>
    GreaterThanOrEqual,
    /// <summary><c>starts_with</c>: the attribute's text starts with the value (ordinal).</summary>
    StartsWith,
    /// <summary><c>contains</c>: the attribute's text contains the value (ordinal).</summary>
    Contains,
}

/// <summary>Wire names of <see cref="ConditionOperator"/>.</summary>
public static class ConditionOperators
{
    /// <summary>Every wire name, in documentation order.</summary>
    public static IReadOnlyList<string> Names { get; } = ["in", "not_in", "equals", "<", "<=", ">", ">=", "starts_with", "contains"];

    /// <summary>Reads a wire name (exact, case-sensitive).</summary>
    public static bool TryParse(string? name, out ConditionOperator op)
    {
        switch (name)
        {
            case "in": op = ConditionOperator.In; return true;
            case "not_in": op = ConditionOperator.NotIn; return true;
            case "equals": op = ConditionOperator.EqualTo; return true;
            case "<": op = ConditionOperator.LessThan; return true;
            case "<=": op = ConditionOperator.LessThanOrEqual; return true;
            case ">": op = ConditionOperator.GreaterThan; return true;
            case ">=": op = ConditionOperator.GreaterThanOrEqual; return true;
            case "starts_with": op = ConditionOperator.StartsWith; return true;
            case "contains": op = ConditionOperator.Contains; return true;
            default: op = default; return false;
        }
    }

    /// <summary>The wire name of <paramref name="op"/>.</summary>
    public static string Name(ConditionOperator op) => Names[(int)op];

    /// <summary>True for <c>in</c> and <c>not_in</c>, which take <see cref="Condition.Values"/>; every other operator takes <see cref="Condition.Value"/>.</summary>
    public static bool TakesList(ConditionOperator op) => op is ConditionOperator.In or ConditionOperator.NotIn;

    /// <summary>True for <c>&lt;</c>, <c>&lt;=</c>, <c>&gt;</c>, <c>&gt;=</c>.</summary>
    public static bool IsNumeric(ConditionOperator op) =>
        op is ConditionOperator.LessThan or ConditionOperator.LessThanOrEqual or ConditionOperator.GreaterThan or ConditionOperator.GreaterThanOrEqual;
}

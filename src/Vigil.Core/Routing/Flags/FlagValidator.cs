using Vigil.Registry;

namespace Vigil.Routing.Flags;

/// <summary>Checks flags and segments and returns every error it finds, not only the first.</summary>
public static class FlagValidator
{
    public const int MaxKeyLength = ServiceValidator.MaxNameLength;
    public const int MaxDescriptionLength = 2_000;
    public const int MaxRules = 100;
    public const int MaxConditions = 32;
    public const int MaxSegmentsPerRule = 16;
    public const int MaxValues = 10_000;

    /// <summary>Attribute names and operand values are at most this long, as request attributes are.</summary>
    public const int MaxLength = RequestAttributes.MaxLength;

    /// <summary>True when <paramref name="key"/> is a valid flag or segment key: the DNS-label rule of service names.</summary>
    public static bool IsValidKey(string? key) => ServiceValidator.IsValidName(key);

    public static string KeyRule =>
        $"a key is 1–{MaxKeyLength} characters of a–z, 0–9 and '-', starts with a letter and does not end with '-'";

    /// <summary>
    /// Checks one flag; rules may reference the segments in <paramref name="segments"/> (by key). With null segments (a
    /// file checked before it is sent, where the server's segments are not known) references are not checked.
    /// </summary>
    public static IReadOnlyList<string> Validate(FlagDefinition flag, IReadOnlyDictionary<string, Segment>? segments = null)
    {
        ArgumentNullException.ThrowIfNull(flag);
        var errors = new List<string>();
        ValidateFlag(flag, segments, errors);
        return errors;
    }

    /// <summary>Checks one segment.</summary>
    public static IReadOnlyList<string> Validate(Segment segment)
    {
        ArgumentNullException.ThrowIfNull(segment);
        var errors = new List<string>();
        ValidateSegment(segment, errors);
        return errors;
    }

    /// <summary>Checks a service's flags and segments together: each of them, duplicate keys, and references to unknown segments.</summary>
    public static IReadOnlyList<string> ValidateSet(IReadOnlyList<FlagDefinition> flags, IReadOnlyList<Segment> segments)
    {
        ArgumentNullException.ThrowIfNull(flags);
        ArgumentNullException.ThrowIfNull(segments);
        var errors = new List<string>();
        var bySegmentKey = new Dictionary<string, Segment>(StringComparer.Ordinal);
        for (var i = 0; i < segments.Count; i++)
        {
            if (segments[i] is not { } segment)
            {
                errors.Add($"segments[{i}]: is null");
                continue;
            }

            ValidateSegment(segment, errors);
            if (segment.Key is not null && !bySegmentKey.TryAdd(segment.Key, segment))
            {
                errors.Add($"segment '{segment.Key}': the key is declared twice");
            }
        }

        var flagKeys = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < flags.Count; i++)
        {
            if (flags[i] is not { } flag)
            {
                errors.Add($"flags[{i}]: is null");
                continue;
            }

            ValidateFlag(flag, bySegmentKey, errors);
            if (flag.Key is not null && !flagKeys.Add(flag.Key))
            {
                errors.Add($"flag '{flag.Key}': the key is declared twice");
            }
        }

        return errors;
    }

    private static void ValidateFlag(FlagDefinition flag, IReadOnlyDictionary<string, Segment>? segments, List<string> errors)
    {
        var where = $"flag '{flag.Key}'";
        if (!IsValidKey(flag.Key))
        {
            errors.Add($"{where}: key is not valid: {KeyRule}");
        }

        if (flag.Description is { Length: > MaxDescriptionLength })
        {
            errors.Add($"{where}: description is longer than {MaxDescriptionLength} characters");
        }

        if (flag.Percentage is { } percent && !Bucketing.TryPercentToPpm(percent, out _))
        {
            errors.Add($"{where}: percentage {percent} is not valid: give a number of percent from 0 to 100 with at most 4 decimals (1 ppm)");
        }

        var rules = flag.Rules ?? [];
        if (rules.Count > MaxRules)
        {
            errors.Add($"{where}: at most {MaxRules} rules are allowed, got {rules.Count}");
            return;
        }

        for (var r = 0; r < rules.Count; r++)
        {
            var at = $"{where}: rules[{r}]";
            if (rules[r] is not { } rule)
            {
                errors.Add($"{at}: is null");
                continue;
            }

            var conditions = rule.Conditions ?? [];
            var segmentKeys = rule.Segments ?? [];
            if (conditions.Count == 0 && segmentKeys.Count == 0)
            {
                errors.Add($"{at}: has no conditions and no segments, so it would match every request; give it a condition, or use percentage 100 or a flag without rules");
            }

            if (conditions.Count > MaxConditions)
            {
                errors.Add($"{at}: at most {MaxConditions} conditions are allowed, got {conditions.Count}");
            }
            else
            {
                for (var c = 0; c < conditions.Count; c++)
                {
                    ValidateCondition(conditions[c], $"{at}.conditions[{c}]", errors);
                }
            }

            if (segmentKeys.Count > MaxSegmentsPerRule)
            {
                errors.Add($"{at}: at most {MaxSegmentsPerRule} segments are allowed, got {segmentKeys.Count}");
                continue;
            }

            for (var s = 0; s < segmentKeys.Count; s++)
            {
                var key = segmentKeys[s];
                if (key is null || (segments is not null && !segments.ContainsKey(key)))
                {
                    var known = segments is { Count: > 0 } ? "known segments: " + string.Join(", ", segments.Keys.Order(StringComparer.Ordinal)) : "no segments are defined";
                    errors.Add($"{at}.segments[{s}]: unknown segment '{key}' ({known})");
                }
            }
        }
    }

    private static void ValidateSegment(Segment segment, List<string> errors)
    {
        var where = $"segment '{segment.Key}'";
        if (!IsValidKey(segment.Key))
        {
            errors.Add($"{where}: key is not valid: {KeyRule}");
        }

        if (segment.Description is { Length: > MaxDescriptionLength })
        {
            errors.Add($"{where}: description is longer than {MaxDescriptionLength} characters");
        }

        var conditions = segment.Conditions ?? [];
        if (conditions.Count == 0)
        {
            errors.Add($"{where}: declare at least one condition");
        }
        else if (conditions.Count > MaxConditions)
        {
            errors.Add($"{where}: at most {MaxConditions} conditions are allowed, got {conditions.Count}");
        }
        else
        {
            for (var c = 0; c < conditions.Count; c++)
            {
                ValidateCondition(conditions[c], $"{where}: conditions[{c}]", errors);
            }
        }
    }

    private static void ValidateCondition(Condition? condition, string where, List<string> errors)
    {
        if (condition is null)
        {
            errors.Add($"{where}: is null");
            return;
        }

        if (string.IsNullOrEmpty(condition.Attribute) || condition.Attribute.Length > MaxLength)
        {
            errors.Add($"{where}: attribute must be a name of 1–{MaxLength} characters");
        }

        if (!ConditionOperators.TryParse(condition.Operator, out var op))
        {
            errors.Add($"{where}: unknown operator '{condition.Operator}'; use one of {string.Join(", ", ConditionOperators.Names)}");
            return;
        }

        var name = ConditionOperators.Name(op);
        if (ConditionOperators.TakesList(op))
        {
            if (condition.Value is not null)
            {
                errors.Add($"{where}: '{name}' takes a list in 'values', not 'value'");
            }

            if (condition.Values is not { Count: > 0 } values)
            {
                errors.Add($"{where}: '{name}' needs a non-empty 'values' list");
            }
            else if (values.Count > MaxValues)
            {
                errors.Add($"{where}: at most {MaxValues} values are allowed, got {values.Count}");
            }
            else if (values.Any(v => v is null || v.Length > MaxLength))
            {
                errors.Add($"{where}: every value must be a string, number or boolean of at most {MaxLength} characters");
            }

            return;
        }

        if (condition.Values is not null)
        {
            errors.Add($"{where}: '{name}' takes one operand in 'value', not a 'values' list");
        }

        if (condition.Value is not { } value)
        {
            errors.Add($"{where}: '{name}' needs a 'value'");
        }
        else if (value.Length > MaxLength)
        {
            errors.Add($"{where}: value is longer than {MaxLength} characters");
        }
        else if (ConditionOperators.IsNumeric(op) && !AttributeValue.TryReadNumber(value, out _))
        {
            errors.Add($"{where}: '{name}' compares numbers, and '{value}' is not a finite number");
        }
        else if (op is ConditionOperator.StartsWith or ConditionOperator.Contains && value.Length == 0)
        {
            errors.Add($"{where}: '{name}' with an empty value matches every request that has the attribute; give a non-empty value");
        }
    }
}

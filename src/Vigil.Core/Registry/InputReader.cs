using System.Text.Json;

namespace Vigil.Registry;

/// <summary>
/// Reads a request's <c>inputs</c> JSON object into an <see cref="InputRow"/> in schema order, collecting every
/// <see cref="SchemaViolation"/> rather than stopping at the first.
/// </summary>
public static class InputReader
{
    /// <summary>Reads <paramref name="inputs"/> against <paramref name="service"/>'s schema; violations are appended to <paramref name="violations"/>.</summary>
    public static InputRow Read(ServiceDefinition service, JsonElement inputs, List<SchemaViolation> violations)
    {
        ArgumentNullException.ThrowIfNull(service);
        ArgumentNullException.ThrowIfNull(violations);
        if (inputs.ValueKind != JsonValueKind.Object)
        {
            violations.Add(new SchemaViolation("inputs", ViolationKind.WrongType, "inputs must be a JSON object of feature name to value"));
            var empty = new FeatureValue[service.Inputs.Count];
            Array.Fill(empty, FeatureValue.Null);
            return new InputRow(empty);
        }

        var reader = new RowBuilder(service, violations);
        foreach (var property in inputs.EnumerateObject())
        {
            reader.Add(property.Name, property.Value);
        }

        return reader.Build();
    }

    /// <summary>
    /// Builds one row from (feature name, value) pairs given one at a time, e.g. from the columns of an Open Inference
    /// Protocol request. Create one per row.
    /// </summary>
    public struct RowBuilder
    {
        private readonly ServiceDefinition _service;
        private readonly List<SchemaViolation> _violations;
        private readonly FeatureValue[] _values;
        private readonly bool[] _seen;

        public RowBuilder(ServiceDefinition service, List<SchemaViolation> violations)
        {
            ArgumentNullException.ThrowIfNull(service);
            _service = service;
            _violations = violations;
            _values = new FeatureValue[service.Inputs.Count];
            _seen = new bool[service.Inputs.Count];
        }

        public readonly void Add(string name, JsonElement value)
        {
            var features = _service.Inputs;
            var index = IndexOf(features, name);
            if (index < 0)
            {
                _violations.Add(new SchemaViolation(name, ViolationKind.Unknown, $"'{name}' is not a feature of service '{_service.Name}'"));
                return;
            }

            if (_seen[index])
            {
                _violations.Add(new SchemaViolation(name, ViolationKind.WrongType, $"'{name}' is given twice"));
                return;
            }

            _seen[index] = true;
            _values[index] = ReadValue(features[index], value, _violations);
        }

        public readonly InputRow Build()
        {
            var features = _service.Inputs;
            for (var i = 0; i < features.Count; i++)
            {
                if (!_seen[i])
                {
                    _values[i] = FeatureValue.Null;
                    if (!features[i].Nullable)
                    {
                        _violations.Add(new SchemaViolation(features[i].Name, ViolationKind.Missing, $"'{features[i].Name}' is required ({Describe(features[i].Type)})"));
                    }
                }
            }

            return new InputRow(_values);
        }
    }

    private static int IndexOf(IReadOnlyList<FeatureSpec> features, string name)
    {
        for (var i = 0; i < features.Count; i++)
        {
            if (string.Equals(features[i].Name, name, StringComparison.Ordinal))
            {
                return i;
            }
        }

        return -1;
    }

    private static FeatureValue ReadValue(FeatureSpec feature, JsonElement value, List<SchemaViolation> violations)
    {
        if (value.ValueKind == JsonValueKind.Null)
        {
            if (!feature.Nullable)
            {
                violations.Add(new SchemaViolation(feature.Name, ViolationKind.Null, $"'{feature.Name}' is null but the feature is not nullable"));
            }

            return FeatureValue.Null;
        }

        switch (feature.Type)
        {
            case FeatureType.Number:
            case FeatureType.Integer:
                if (value.ValueKind != JsonValueKind.Number)
                {
                    violations.Add(WrongType(feature, value));
                    return FeatureValue.Null;
                }

                if (!value.TryGetDouble(out var number) || !double.IsFinite(number))
                {
                    violations.Add(new SchemaViolation(feature.Name, ViolationKind.NotFinite, $"'{feature.Name}' is {value.GetRawText()}, which is not a finite number"));
                    return FeatureValue.Null;
                }

                if (feature.Type == FeatureType.Integer && Math.Floor(number) != number)
                {
                    violations.Add(new SchemaViolation(feature.Name, ViolationKind.WrongType, $"'{feature.Name}' must be an integer, got {value.GetRawText()}"));
                    return FeatureValue.Null;
                }

                if ((feature.Min is { } min && number < min) || (feature.Max is { } max && number > max))
                {
                    violations.Add(new SchemaViolation(feature.Name, ViolationKind.OutOfRange, $"'{feature.Name}' is {value.GetRawText()}, outside [{feature.Min?.ToString() ?? "-inf"}, {feature.Max?.ToString() ?? "inf"}]"));
                }

                return FeatureValue.FromNumber(number);
            case FeatureType.Boolean:
                if (value.ValueKind is JsonValueKind.True or JsonValueKind.False)
                {
                    return FeatureValue.FromBoolean(value.ValueKind == JsonValueKind.True);
                }

                violations.Add(WrongType(feature, value));
                return FeatureValue.Null;
            case FeatureType.String:
            case FeatureType.Category:
                if (value.ValueKind != JsonValueKind.String)
                {
                    violations.Add(WrongType(feature, value));
                    return FeatureValue.Null;
                }

                var text = value.GetString()!;
                if (feature.Categories is { } categories && !Contains(categories, text))
                {
                    violations.Add(new SchemaViolation(feature.Name, ViolationKind.UnseenCategory, $"'{feature.Name}' is '{Truncate(text)}', not one of its declared categories"));
                }

                return FeatureValue.FromText(text);
            default:
                violations.Add(WrongType(feature, value));
                return FeatureValue.Null;
        }
    }

    private static bool Contains(IReadOnlyList<string> categories, string value)
    {
        foreach (var category in categories)
        {
            if (string.Equals(category, value, StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }

    private static SchemaViolation WrongType(FeatureSpec feature, JsonElement value) =>
        new(feature.Name, ViolationKind.WrongType, $"'{feature.Name}' must be {Describe(feature.Type)}, got {Describe(value.ValueKind)}");

    private static string Describe(FeatureType type) => type switch
    {
        FeatureType.Number => "a number",
        FeatureType.Integer => "an integer",
        FeatureType.Boolean => "true or false",
        FeatureType.String => "a string",
        _ => "a category (string)",
    };

    private static string Describe(JsonValueKind kind) => kind switch
    {
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        JsonValueKind.Array => "an array",
        JsonValueKind.Object => "an object",
        _ => kind.ToString().ToLowerInvariant(),
    };

    private static string Truncate(string text) => text.Length <= 64 ? text : string.Concat(text.AsSpan(0, 64), "…");
}

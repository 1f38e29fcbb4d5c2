namespace Vigil.Registry;

/// <summary>Checks a service definition and returns every error it finds, not only the first.</summary>
public static class ServiceValidator
{
    public const int MaxNameLength = 63;
    public const int MaxDescriptionLength = 2_000;
    public const int MaxFeatures = 1_000;
    public const int MaxFeatureNameLength = 128;
    public const int MaxCategories = 10_000;

    /// <summary>True when <paramref name="name"/> follows the DNS-label rules used for service names.</summary>
    public static bool IsValidName(string? name)
    {
        if (string.IsNullOrEmpty(name) || name.Length > MaxNameLength)
        {
            return false;
        }

        if (name[0] is < 'a' or > 'z' || name[^1] == '-')
        {
            return false;
        }

        foreach (var c in name)
        {
            if (c is not ((>= 'a' and <= 'z') or (>= '0' and <= '9') or '-'))
            {
                return false;
            }
        }

        return true;
    }

    public static string NameRule =>
        $"a service name is 1–{MaxNameLength} characters of a–z, 0–9 and '-', starts with a letter and does not end with '-'";

    public static IReadOnlyList<string> Validate(ServiceDefinition service)
    {
        ArgumentNullException.ThrowIfNull(service);
        var errors = new List<string>();
        if (!IsValidName(service.Name))
        {
            errors.Add($"name '{service.Name}' is not valid: {NameRule}");
        }

        if (service.Description is { Length: > MaxDescriptionLength })
        {
            errors.Add($"description is longer than {MaxDescriptionLength} characters");
        }

        if (service.Inputs is null || service.Inputs.Count == 0)
        {
            errors.Add("inputs: declare at least one feature");
        }
        else if (service.Inputs.Count > MaxFeatures)
        {
            errors.Add($"inputs: at most {MaxFeatures} features are allowed, got {service.Inputs.Count}");
        }
        else
        {
            var seen = new HashSet<string>(StringComparer.Ordinal);
            for (var i = 0; i < service.Inputs.Count; i++)
            {
                ValidateFeature(service.Inputs[i], i, seen, errors);
            }
        }

        if (service.Output is null)
        {
            errors.Add("output: declare the output kind (probability, class, score, ranking or text)");
        }

        return errors;
    }

    private static void ValidateFeature(FeatureSpec? feature, int index, HashSet<string> seen, List<string> errors)
    {
        if (feature is null)
        {
            errors.Add($"inputs[{index}]: is null");
            return;
        }

        var where = $"inputs[{index}] ('{feature.Name}')";
        if (string.IsNullOrWhiteSpace(feature.Name))
        {
            errors.Add($"inputs[{index}]: name is empty");
        }
        else if (feature.Name.Length > MaxFeatureNameLength)
        {
            errors.Add($"{where}: name is longer than {MaxFeatureNameLength} characters");
        }
        else if (!seen.Add(feature.Name))
        {
            errors.Add($"{where}: the name is declared twice");
        }

        if (!Enum.IsDefined(feature.Type))
        {
            errors.Add($"{where}: unknown type");
        }

        if (feature.Min is { } min && !double.IsFinite(min))
        {
            errors.Add($"{where}: min must be a finite number");
        }

        if (feature.Max is { } max && !double.IsFinite(max))
        {
            errors.Add($"{where}: max must be a finite number");
        }

        if ((feature.Min is not null || feature.Max is not null) && !feature.IsNumeric)
        {
            errors.Add($"{where}: min and max apply only to number and integer features");
        }

        if (feature is { Min: { } lo, Max: { } hi } && lo > hi)
        {
            errors.Add($"{where}: min {lo} is greater than max {hi}");
        }

        if (feature.Categories is { } categories)
        {
            if (feature.Type != FeatureType.Category)
            {
                errors.Add($"{where}: categories apply only to category features");
            }
            else if (categories.Count == 0)
            {
                errors.Add($"{where}: categories is empty; omit it to allow any value");
            }
            else if (categories.Count > MaxCategories)
            {
                errors.Add($"{where}: at most {MaxCategories} categories are allowed");
            }
            else if (categories.Distinct(StringComparer.Ordinal).Count() != categories.Count)
            {
                errors.Add($"{where}: categories contain duplicates");
            }
        }
    }
}

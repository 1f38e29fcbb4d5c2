namespace Vigil.Registry;

/// <summary>A named prediction endpoint: its schema and output. Versions, aliases and the rest hang off its name.</summary>
/// <param name="Name">A DNS label: 1–63 characters of a–z, 0–9 and '-', starting with a letter, not ending with '-'.</param>
/// <param name="Description">Free text for people.</param>
/// <param name="Inputs">The input schema, in order.</param>
/// <param name="Output">The output description.</param>
/// <param name="CreatedAt">When the service was created.</param>
public sealed record ServiceDefinition(
    string Name,
    string Description,
    IReadOnlyList<FeatureSpec> Inputs,
    OutputSpec Output,
    DateTimeOffset CreatedAt)
{
    /// <summary>Returns the feature called <paramref name="name"/>, or null.</summary>
    public FeatureSpec? FindInput(string name)
    {
        foreach (var feature in Inputs)
        {
            if (string.Equals(feature.Name, name, StringComparison.Ordinal))
            {
                return feature;
            }
        }

        return null;
    }
}

namespace Vigil.Registry;

/// <summary>An immutable registered model artifact of a service, numbered 1, 2, 3 … per service by Vigil.</summary>
/// <param name="Service">The service it belongs to.</param>
/// <param name="Number">Its number within the service.</param>
/// <param name="Backend">How it is invoked.</param>
/// <param name="Metadata">Free metadata: git sha, training data range, author …</param>
/// <param name="Metrics">Offline metrics (auc, accuracy …).</param>
/// <param name="CreatedAt">When it was registered.</param>
/// <param name="CreatedBy">Who registered it.</param>
public sealed record ModelVersion(
    string Service,
    int Number,
    BackendSpec Backend,
    IReadOnlyDictionary<string, string> Metadata,
    IReadOnlyDictionary<string, double> Metrics,
    DateTimeOffset CreatedAt,
    string CreatedBy);

/// <summary>What a caller supplies to register a version; Vigil assigns the number.</summary>
public sealed record ModelVersionDraft(
    string Service,
    BackendSpec Backend,
    IReadOnlyDictionary<string, string>? Metadata = null,
    IReadOnlyDictionary<string, double>? Metrics = null)
{
    public const int MaxMetadataEntries = 100;
    public const int MaxMetadataValueLength = 4_096;

    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (Backend is null)
        {
            errors.Add("backend: required");
        }
        else
        {
            errors.AddRange(Backend.Validate());
        }

        if (Metadata is { Count: > MaxMetadataEntries })
        {
            errors.Add($"metadata: at most {MaxMetadataEntries} entries");
        }

        foreach (var (key, value) in Metadata ?? new Dictionary<string, string>())
        {
            if (string.IsNullOrWhiteSpace(key) || key.Length > 128)
            {
                errors.Add($"metadata: key '{key}' must be 1–128 characters");
            }

            if (value is null || value.Length > MaxMetadataValueLength)
            {
                errors.Add($"metadata.{key}: value must be a string of at most {MaxMetadataValueLength} characters");
            }
        }

        if (Metrics is { Count: > MaxMetadataEntries })
        {
            errors.Add($"metrics: at most {MaxMetadataEntries} entries");
        }

        foreach (var (key, value) in Metrics ?? new Dictionary<string, double>())
        {
            if (!double.IsFinite(value))
            {
                errors.Add($"metrics.{key}: must be a finite number");
            }
        }

        return errors;
    }
}

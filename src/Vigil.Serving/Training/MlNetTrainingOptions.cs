using System.ComponentModel.DataAnnotations;

namespace Vigil.Serving.Training;

/// <summary>Options of <see cref="MlNetTrainer"/>. The same options, rows and seed always give the same model and metrics.</summary>
public sealed record MlNetTrainingOptions
{
    /// <summary>Seed of the train/test split and of the learner. Default 42.</summary>
    public int Seed { get; init; } = 42;

    /// <summary>Share of the rows held out to compute the offline metrics. Default 0.2.</summary>
    [Range(0.05, 0.5)]
    public double TestFraction { get; init; } = 0.2;

    /// <summary>The learner. Default <see cref="MlNetAlgorithm.FastTree"/>.</summary>
    public MlNetAlgorithm Algorithm { get; init; } = MlNetAlgorithm.FastTree;

    /// <summary>FastTree: number of trees. Default 100.</summary>
    [Range(1, 10_000)]
    public int NumberOfTrees { get; init; } = 100;

    /// <summary>FastTree: maximum leaves per tree. Default 20.</summary>
    [Range(2, 1_000)]
    public int NumberOfLeaves { get; init; } = 20;

    /// <summary>FastTree: minimum rows in a leaf. Default 10.</summary>
    [Range(1, 100_000)]
    public int MinimumExampleCountPerLeaf { get; init; } = 10;

    /// <summary>FastTree: learning rate. Default 0.2.</summary>
    [Range(1e-6, 1.0)]
    public double LearningRate { get; init; } = 0.2;

    /// <summary>Every range error of these options (empty when they are valid).</summary>
    public IReadOnlyList<string> Validate()
    {
        var results = new List<ValidationResult>();
        Validator.TryValidateObject(this, new ValidationContext(this), results, validateAllProperties: true);
        return results.Select(r => r.ErrorMessage ?? "invalid option").ToList();
    }
}

using System.Text.Json;
using Vigil.Retraining;

namespace Vigil.Core.Tests.Retraining;

/// <summary>Class and score evaluation metrics against scikit-learn and scipy on the vectors of scripts/reference/output_metrics_vectors.py.</summary>
public sealed class OutputMetricsTests
{
    private static readonly JsonSerializerOptions Options = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    private static readonly OutputFile Vectors = JsonSerializer.Deserialize<OutputFile>(
        File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Retraining", "Vectors", "output_metrics.json")), Options)!;

    public static TheoryData<string> ClassNames() => [.. Vectors.Classes.Select(c => c.Name)];

    public static TheoryData<string> ScoreNames() => [.. Vectors.Scores.Select(c => c.Name)];

    [Theory]
    [MemberData(nameof(ClassNames))]
    public void AccuracyAndMacroF1_MatchScikitLearn(string name)
    {
        var c = Vectors.Classes.Single(x => x.Name == name);
        Assert.Equal(c.Accuracy, ClassMetrics.Accuracy(c.Actual, c.Predicted), 12);
        Assert.Equal(c.MacroF1, ClassMetrics.MacroF1(c.Actual, c.Predicted), 12);
    }

    [Theory]
    [MemberData(nameof(ScoreNames))]
    public void MaeRmseAndSpearman_MatchScikitLearnAndScipy(string name)
    {
        var c = Vectors.Scores.Single(x => x.Name == name);
        Assert.Equal(c.Mae, ScoreMetrics.Mae(c.Actual, c.Predicted), 10);
        Assert.Equal(c.Rmse, ScoreMetrics.Rmse(c.Actual, c.Predicted), 10);
        Assert.Equal(c.Spearman, ScoreMetrics.Spearman(c.Actual, c.Predicted), 10);
    }

    [Fact]
    public void Spearman_OfAConstantSide_IsUndefined()
    {
        Assert.True(double.IsNaN(ScoreMetrics.Spearman([1, 2, 3], [5, 5, 5])));
        Assert.True(double.IsNaN(ClassMetrics.MacroF1([], [])));
    }

    private sealed record OutputFile(string Generator, List<ClassCase> Classes, List<ScoreCase> Scores);

    private sealed record ClassCase(string Name, List<string> Actual, List<string> Predicted, double Accuracy, double MacroF1);

    private sealed record ScoreCase(string Name, List<double> Actual, List<double> Predicted, double Mae, double Rmse, double Spearman);
}

using System.Text.Json;
using Vigil.Retraining;

namespace Vigil.Core.Tests.Retraining;

/// <summary>The evaluation metrics against scikit-learn on the vectors of scripts/reference/retraining_vectors.py.</summary>
public sealed class BinaryMetricsTests
{
    private static readonly JsonSerializerOptions Options = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    private static readonly IReadOnlyList<MetricCase> Cases = JsonSerializer.Deserialize<MetricFile>(
        File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Retraining", "Vectors", "binary_metrics.json")), Options)!.Cases;

    public static TheoryData<string> Names() => [.. Cases.Select(c => c.Name)];

    [Theory]
    [MemberData(nameof(Names))]
    public void AucLogLossAndAccuracy_MatchScikitLearn(string name)
    {
        var c = Cases.Single(x => x.Name == name);
        Assert.Equal(c.Auc, BinaryMetrics.Auc(c.Probabilities, c.Labels), 12);
        Assert.Equal(c.LogLoss, BinaryMetrics.LogLoss(c.Probabilities, c.Labels), 10);
        Assert.Equal(c.Accuracy, BinaryMetrics.Accuracy(c.Probabilities, c.Labels), 12);
    }

    [Fact]
    public void Auc_OfASingleClass_IsUndefined()
    {
        Assert.True(double.IsNaN(BinaryMetrics.Auc([0.1, 0.9], [true, true])));
    }

    [Fact]
    public void Wilson_MatchesTheClosedForm_AndStaysInsideZeroOne()
    {
        // statsmodels.stats.proportion.proportion_confint(8, 10, method="wilson") = (0.4901624, 0.9433178)
        var (low, high) = BinaryMetrics.Wilson(8, 10);
        Assert.Equal(0.4901624, low, 6);
        Assert.Equal(0.9433178, high, 6);
        var (zeroLow, _) = BinaryMetrics.Wilson(0, 5);
        Assert.Equal(0, zeroLow, 12);
    }

    [Fact]
    public void AucInterval_ContainsThePointEstimate_AndIsDeterministic()
    {
        var c = Cases.Single(x => x.Name == "logistic_n300");
        var (low, high) = BinaryMetrics.AucInterval(c.Probabilities, c.Labels);
        Assert.InRange(c.Auc, low, high);
        Assert.True(high - low is > 0.01 and < 0.3, $"{low}–{high}");
        Assert.Equal((low, high), BinaryMetrics.AucInterval(c.Probabilities, c.Labels));
    }

    private sealed record MetricFile(string Generator, string Sklearn, string Numpy, IReadOnlyList<MetricCase> Cases);

    private sealed record MetricCase(string Name, bool[] Labels, double[] Probabilities, double Auc, double LogLoss, double Accuracy);
}

using System.Text.Json;
using Vigil.Monitoring.Layers;

namespace Vigil.Core.Tests.Monitoring;

/// <summary>The performance layer's statistics against scikit-learn and scipy on the vectors of Vectors/make_performance_vectors.py.</summary>
public sealed class PerformanceMetricsTests
{
    private static readonly JsonSerializerOptions Options = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    private static readonly IReadOnlyList<PerformanceCase> Cases = JsonSerializer.Deserialize<PerformanceFile>(
        File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Monitoring", "Vectors", "performance.json")), Options)!.Cases;

    public static TheoryData<string> Names() => [.. Cases.Select(c => c.Name)];

    [Theory]
    [MemberData(nameof(Names))]
    public void LabelledMetrics_MatchScikitLearnAndScipyWilson(string name)
    {
        var c = Cases.Single(x => x.Name == name);
        var predicted = c.Probabilities.Select(p => p >= 0.5).ToArray();

        var metrics = PerformanceMetrics.Labelled(c.Probabilities, predicted, c.Labels).ToDictionary(m => m.Name);

        AssertRate(metrics["accuracy"], c.Accuracy, c.AccuracyCi);
        AssertRate(metrics["precision"], c.Precision, c.PrecisionCi);
        AssertRate(metrics["recall"], c.Recall, c.RecallCi);
        Assert.Equal(c.LogLoss, metrics["log_loss"].Value!.Value, 10);
        Assert.Equal(c.Auc!.Value, metrics["auc"].Value!.Value, 12);
        Assert.InRange(c.Auc.Value, metrics["auc"].Low!.Value, metrics["auc"].High!.Value);
        Assert.All(metrics.Values, m => Assert.False(m.Estimate));
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void EstimatedAccuracy_IsTheMeanConfidence_MarkedAsAnEstimate(string name)
    {
        var c = Cases.Single(x => x.Name == name);

        var estimate = PerformanceMetrics.EstimatedAccuracy(c.Probabilities);

        Assert.True(estimate.Estimate);
        Assert.Equal(c.EstimatedAccuracy, estimate.Value!.Value, 12);
        Assert.Equal(c.EstimatedAccuracy - c.EstimatedAccuracyHalfWidth, estimate.Low!.Value, 12);
    }

    [Fact]
    public void EstimatedAccuracy_OfACalibratedModel_CoversItsMeasuredAccuracy_AndAnOverconfidentOneOverstatesIt()
    {
        var calibrated = Cases.Single(c => c.Name == "calibrated");
        var overconfident = Cases.Single(c => c.Name == "overconfident");

        var e = PerformanceMetrics.EstimatedAccuracy(calibrated.Probabilities);
        Assert.InRange(calibrated.Accuracy, e.Low!.Value - 0.03, e.High!.Value + 0.03);
        Assert.True(PerformanceMetrics.EstimatedAccuracy(overconfident.Probabilities).Value > overconfident.Accuracy + 0.05);
    }

    [Fact]
    public void Rate_WithNoSamples_HasNoValue()
    {
        var rate = PerformanceMetrics.Rate("accepted", 0, 0);

        Assert.Null(rate.Value);
        Assert.Equal(0, rate.N);
    }

    private static void AssertRate(PerformanceMetric metric, double expected, double?[] ci)
    {
        Assert.Equal(expected, metric.Value!.Value, 12);
        Assert.Equal(ci[0]!.Value, metric.Low!.Value, 9);
        Assert.Equal(ci[1]!.Value, metric.High!.Value, 9);
    }

    private sealed record PerformanceFile(IReadOnlyList<PerformanceCase> Cases);

    private sealed record PerformanceCase(
        string Name,
        double[] Probabilities,
        bool[] Labels,
        double Accuracy,
        double?[] AccuracyCi,
        double Precision,
        double?[] PrecisionCi,
        double Recall,
        double?[] RecallCi,
        double LogLoss,
        double? Auc,
        double EstimatedAccuracy,
        double EstimatedAccuracyHalfWidth);
}

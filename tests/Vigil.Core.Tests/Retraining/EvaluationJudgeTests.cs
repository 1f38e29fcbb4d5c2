using Vigil.Retraining;

namespace Vigil.Core.Tests.Retraining;

public sealed class EvaluationJudgeTests
{
    private static SliceComparison Slice(string name, double candidateAuc, double championAuc, int rows = 500, int positives = 200) =>
        new(name, rows, positives, Metrics(candidateAuc), Metrics(championAuc), false, true);

    private static ModelMetrics Metrics(double auc) => new(auc, auc - 0.02, auc + 0.02, 0.7, 0.65, 0.75, 0.5);

    [Fact]
    public void Candidate_BetterOverallAndInEverySegment_Passes()
    {
        var (decision, _, _, _) = EvaluationJudge.Judge(new EvaluationGate(), Slice("overall", 0.84, 0.80), [Slice("country=DE", 0.85, 0.81), Slice("country=FR", 0.80, 0.79)]);
        Assert.Equal(EvaluationReport.Passed, decision);
    }

    [Fact]
    public void Candidate_BetterOverall_ButWorseInOneSegmentByMoreThanTheLimit_Fails()
    {
        var (decision, reasons, overall, segments) = EvaluationJudge.Judge(new EvaluationGate(), Slice("overall", 0.84, 0.80), [Slice("country=DE", 0.86, 0.80), Slice("country=FR", 0.75, 0.80)]);
        Assert.Equal(EvaluationReport.Failed, decision);
        Assert.True(overall.Passed);
        Assert.Contains(reasons, r => r.StartsWith("segment country=FR", StringComparison.Ordinal));
        Assert.False(segments.Single(s => s.Name == "country=FR").Passed);
    }

    [Fact]
    public void Candidate_NotBetterOnThePrimaryMetric_Fails_EvenWithinTheAllowedDrop()
    {
        var (decision, reasons, _, _) = EvaluationJudge.Judge(new EvaluationGate(), Slice("overall", 0.798, 0.80), []);
        Assert.Equal(EvaluationReport.Failed, decision);
        Assert.Contains(reasons, r => r.Contains("not better", StringComparison.Ordinal));
    }

    [Fact]
    public void SmallSegments_AreReportedButNotGated_AndTooFewRowsIsInconclusive()
    {
        var (decision, _, _, segments) = EvaluationJudge.Judge(new EvaluationGate(MinSegmentRows: 30), Slice("overall", 0.84, 0.80), [Slice("country=FR", 0.5, 0.9, rows: 10, positives: 4)]);
        Assert.Equal(EvaluationReport.Passed, decision);
        Assert.False(segments[0].Gated);

        var (few, _, _, _) = EvaluationJudge.Judge(new EvaluationGate(MinRows: 100), Slice("overall", 0.9, 0.8, rows: 40), []);
        Assert.Equal(EvaluationReport.Inconclusive, few);
    }
}

using CsCheck;
using Vigil.Pipelines;

namespace Vigil.Core.Tests.Pipelines;

/// <summary>Invariants of the ranking metrics over random lists.</summary>
public sealed class RankingMetricsPropertyTests
{
    private static readonly Gen<(double[] Relevance, double[] Scores, int K)> Lists =
        Gen.Int[1, 30].SelectMany(n => Gen.Select(
            Gen.Int[0, 3].Select(r => (double)r).Array[n],
            Gen.Int[0, 10].Select(s => s / 10.0).Array[n],
            Gen.Int[1, 40]));

    [Fact]
    public void EveryMetric_StaysWithinZeroAndOne()
    {
        Lists.Sample(list =>
        {
            var (relevance, scores, k) = list;
            Assert.InRange(RankingMetrics.NdcgAtK(relevance, scores, k), 0.0, 1.0 + 1e-12);
            Assert.InRange(RankingMetrics.PrecisionAtK(relevance, scores, k), 0.0, 1.0);
            Assert.InRange(RankingMetrics.AveragePrecisionAtK(relevance, scores, k), 0.0, 1.0 + 1e-12);
            Assert.InRange(RankingMetrics.ReciprocalRank(relevance, scores), 0.0, 1.0);
        });
    }

    [Fact]
    public void Ndcg_IdealOrderWithoutTies_IsOneWhenAnythingIsRelevant()
    {
        Lists.Sample(list =>
        {
            var (relevance, _, k) = list;
            var ideal = relevance.OrderByDescending(r => r).ToArray();
            var expected = ideal.Any(r => r > 0) ? 1.0 : 0.0;
            Assert.Equal(expected, RankingMetrics.NdcgAtK(ideal, null, k), 12);
        });
    }

    [Fact]
    public void PrecisionTimesK_IsTheNumberOfRelevantItemsInTheTopK()
    {
        Lists.Sample(list =>
        {
            var (relevance, scores, k) = list;
            var order = RankingMetrics.Order(relevance, scores);
            var relevantInTop = order.Take(k).Count(i => relevance[i] > 0);
            Assert.Equal(relevantInTop, RankingMetrics.PrecisionAtK(relevance, scores, k) * k, 9);
            Assert.Equal(relevantInTop > 0 ? 1.0 : 0.0, RankingMetrics.HitRateAtK(relevance, scores, k));
        });
    }
}

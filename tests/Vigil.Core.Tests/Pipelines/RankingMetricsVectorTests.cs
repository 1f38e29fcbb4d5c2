using System.Text.Json;
using Vigil.Pipelines;

namespace Vigil.Core.Tests.Pipelines;

/// <summary>Ranking metrics against scikit-learn on the committed vectors (Pipelines/vectors/make_ranking_vectors.py).</summary>
public sealed class RankingMetricsVectorTests
{
    private const double Tolerance = 1e-12;

    public static TheoryData<string> ListNames() => [.. Lists().Select(l => l.Name)];

    [Theory]
    [MemberData(nameof(ListNames))]
    public void Metrics_MatchScikitLearn(string name)
    {
        var list = Lists().Single(l => l.Name == name);
        Assert.NotEmpty(list.Cases);
        foreach (var c in list.Cases)
        {
            Assert.Equal(c.Ndcg, RankingMetrics.NdcgAtK(list.Relevance, list.Scores, c.K), Tolerance);
            Assert.Equal(c.Precision, RankingMetrics.PrecisionAtK(list.Relevance, list.Scores, c.K), Tolerance);
            Assert.Equal(c.HitRate, RankingMetrics.HitRateAtK(list.Relevance, list.Scores, c.K), Tolerance);
            Assert.Equal(c.ReciprocalRank, RankingMetrics.ReciprocalRank(list.Relevance, list.Scores), Tolerance);
            if (c.AveragePrecision is { } ap)
            {
                Assert.Equal(ap, RankingMetrics.AveragePrecisionAtK(list.Relevance, list.Scores, c.K), Tolerance);
            }
        }
    }

    [Fact]
    public void Vectors_CoverTiesKBeyondLengthAndAllZero()
    {
        var lists = Lists();
        Assert.Contains(lists, l => l.Scores is { } s && s.Distinct().Count() < s.Count);
        Assert.Contains(lists, l => l.Cases.Any(c => c.K > l.Relevance.Count));
        Assert.Contains(lists, l => l.Relevance.All(r => r == 0));
        Assert.True(lists.Sum(l => l.Cases.Count(c => c.AveragePrecision is not null)) >= 10);
    }

    [Fact]
    public void PrecisionAtK_FewerThanKReturned_DividesByK()
    {
        Assert.Equal(0.2, RankingMetrics.PrecisionAtK([1, 1], null, 10));
    }

    [Fact]
    public void NdcgAtK_TiedScores_AverageTheGainsOfTheGroup()
    {
        // Two items tied at the top, one relevant (gain 1): each position gets gain 0.5.
        var expected = (0.5 / Math.Log2(2) + 0.5 / Math.Log2(3)) / 1.0;
        Assert.Equal(expected, RankingMetrics.NdcgAtK([0, 1], [0.5, 0.5], 2), Tolerance);
    }

    [Fact]
    public void RecallAtK_KnownRelevantSet_DividesByItsSize()
    {
        Assert.Equal(0.25, RankingMetrics.RecallAtK([1, 0, 0], null, 3, relevantTotal: 4));
        Assert.Null(RankingMetrics.RecallAtK([0, 0], null, 3, relevantTotal: 0));
    }

    [Fact]
    public void KAtMostZero_IsRefused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => RankingMetrics.PrecisionAtK([1], null, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => RankingMetrics.NdcgAtK([1], null, -1));
    }

    private static List<VectorList> Lists()
    {
        var path = Path.Combine(AppContext.BaseDirectory, "Pipelines", "vectors", "ranking.json");
        using var document = JsonDocument.Parse(File.ReadAllText(path));
        return [.. document.RootElement.GetProperty("lists").EnumerateArray().Select(l => new VectorList(
            l.GetProperty("name").GetString()!,
            [.. l.GetProperty("relevance").EnumerateArray().Select(e => e.GetDouble())],
            l.GetProperty("scores").ValueKind == JsonValueKind.Null ? null : [.. l.GetProperty("scores").EnumerateArray().Select(e => e.GetDouble())],
            [.. l.GetProperty("cases").EnumerateArray().Select(c => new VectorCase(
                c.GetProperty("k").GetInt32(),
                c.GetProperty("ndcg").GetDouble(),
                c.GetProperty("precision").GetDouble(),
                c.GetProperty("hit_rate").GetDouble(),
                c.GetProperty("reciprocal_rank").GetDouble(),
                c.TryGetProperty("average_precision", out var ap) ? ap.GetDouble() : null))]))];
    }

    private sealed record VectorList(string Name, List<double> Relevance, List<double>? Scores, List<VectorCase> Cases);

    private sealed record VectorCase(int K, double Ndcg, double Precision, double HitRate, double ReciprocalRank, double? AveragePrecision);
}

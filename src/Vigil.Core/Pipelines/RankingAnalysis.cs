namespace Vigil.Pipelines;

/// <summary>One judged result of a query: its id, optional score and relevance grade (≥ 0; relevant when &gt; 0).</summary>
public sealed record JudgedResult(string Id, double? Score, double Relevance);

/// <summary>A query with its results in served order and, when known, the size of its whole relevant set.</summary>
public sealed record JudgedQuery(string QueryId, IReadOnlyList<JudgedResult> Results, int? RelevantTotal = null);

/// <summary>The metrics of one query at K.</summary>
public sealed record QueryRankingMetrics(
    string QueryId,
    int Results,
    double PrecisionAtK,
    double? RecallAtK,
    double HitRateAtK,
    double ReciprocalRank,
    double NdcgAtK,
    double AveragePrecisionAtK);

/// <summary>Means over the queries; recall over the queries whose relevant set size is known and non-zero (null when none).</summary>
public sealed record RankingMeans(
    double PrecisionAtK,
    double? RecallAtK,
    double HitRateAtK,
    double Mrr,
    double NdcgAtK,
    double MapAtK);

/// <summary>The output of <c>vigil analyze ranking</c>.</summary>
public sealed record RankingAnalysisReport(int K, int Queries, int RecallQueries, RankingMeans Mean, IReadOnlyList<QueryRankingMetrics> PerQuery);

/// <summary>Evaluates judged queries at K with <see cref="RankingMetrics"/>.</summary>
public static class RankingAnalysis
{
    public static QueryRankingMetrics Evaluate(JudgedQuery query, int k)
    {
        ArgumentNullException.ThrowIfNull(query);
        var relevance = query.Results.Select(r => r.Relevance).ToArray();
        double[]? scores = query.Results.All(r => r.Score is not null) && query.Results.Count > 0
            ? [.. query.Results.Select(r => r.Score!.Value)]
            : null;
        return new QueryRankingMetrics(
            query.QueryId,
            query.Results.Count,
            RankingMetrics.PrecisionAtK(relevance, scores, k),
            query.RelevantTotal is { } total ? RankingMetrics.RecallAtK(relevance, scores, k, total) : null,
            RankingMetrics.HitRateAtK(relevance, scores, k),
            RankingMetrics.ReciprocalRank(relevance, scores),
            RankingMetrics.NdcgAtK(relevance, scores, k),
            RankingMetrics.AveragePrecisionAtK(relevance, scores, k, query.RelevantTotal));
    }

    public static RankingAnalysisReport Analyze(IReadOnlyList<JudgedQuery> queries, int k)
    {
        ArgumentNullException.ThrowIfNull(queries);
        ArgumentOutOfRangeException.ThrowIfLessThan(k, 1);
        var perQuery = queries.Select(q => Evaluate(q, k)).ToList();
        var recalls = perQuery.Where(q => q.RecallAtK is not null).Select(q => q.RecallAtK!.Value).ToList();
        var mean = perQuery.Count == 0
            ? new RankingMeans(0, null, 0, 0, 0, 0)
            : new RankingMeans(
                perQuery.Average(q => q.PrecisionAtK),
                recalls.Count == 0 ? null : recalls.Average(),
                perQuery.Average(q => q.HitRateAtK),
                perQuery.Average(q => q.ReciprocalRank),
                perQuery.Average(q => q.NdcgAtK),
                perQuery.Average(q => q.AveragePrecisionAtK));
        return new RankingAnalysisReport(k, perQuery.Count, recalls.Count, mean, perQuery);
    }
}

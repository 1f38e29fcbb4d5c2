namespace Vigil.Pipelines;

/// <summary>
/// Retrieval and ranking metrics of one ranked list (docs/pipelines.md, "Metric definitions"). The list is given as the
/// relevance grade of each result in served order, with optional scores: when scores are given the ranking is by score,
/// highest first (ties keep their served order, and nDCG averages over them as scikit-learn does); without scores the
/// served order is the ranking. An item is relevant when its relevance is greater than 0.
/// </summary>
public static class RankingMetrics
{
    /// <summary>Relevant items among the top <paramref name="k"/>, divided by <paramref name="k"/> even when fewer than k came back.</summary>
    public static double PrecisionAtK(IReadOnlyList<double> relevance, IReadOnlyList<double>? scores, int k)
    {
        CheckK(k);
        var order = Order(relevance, scores);
        return RelevantInTop(relevance, order, k) / (double)k;
    }

    /// <summary>Relevant items among the top <paramref name="k"/> divided by <paramref name="relevantTotal"/>, the size of the whole relevant set; null when that is 0.</summary>
    public static double? RecallAtK(IReadOnlyList<double> relevance, IReadOnlyList<double>? scores, int k, int relevantTotal)
    {
        CheckK(k);
        ArgumentOutOfRangeException.ThrowIfNegative(relevantTotal);
        if (relevantTotal == 0)
        {
            return null;
        }

        var order = Order(relevance, scores);
        return Math.Min(1.0, RelevantInTop(relevance, order, k) / (double)relevantTotal);
    }

    /// <summary>1 when at least one of the top <paramref name="k"/> is relevant, else 0.</summary>
    public static double HitRateAtK(IReadOnlyList<double> relevance, IReadOnlyList<double>? scores, int k)
    {
        CheckK(k);
        return RelevantInTop(relevance, Order(relevance, scores), k) > 0 ? 1.0 : 0.0;
    }

    /// <summary>Reciprocal rank of the first relevant item (1-based) over the whole list; 0 when none is relevant.</summary>
    public static double ReciprocalRank(IReadOnlyList<double> relevance, IReadOnlyList<double>? scores)
    {
        var order = Order(relevance, scores);
        for (var rank = 0; rank < order.Length; rank++)
        {
            if (relevance[order[rank]] > 0)
            {
                return 1.0 / (rank + 1);
            }
        }

        return 0.0;
    }

    /// <summary>
    /// Average precision at <paramref name="k"/>: the sum of precision@i over the ranks i ≤ k that hold a relevant item,
    /// divided by <paramref name="relevantTotal"/> when known, else by the number of relevant items in the list; 0 when
    /// that is 0. With k at least the list's length, no ties and the relevant set being the list's relevant items, this is
    /// scikit-learn's <c>average_precision_score</c>.
    /// </summary>
    public static double AveragePrecisionAtK(IReadOnlyList<double> relevance, IReadOnlyList<double>? scores, int k, int? relevantTotal = null)
    {
        CheckK(k);
        var order = Order(relevance, scores);
        var denominator = relevantTotal ?? relevance.Count(r => r > 0);
        if (denominator <= 0)
        {
            return 0.0;
        }

        double sum = 0;
        var hits = 0;
        for (var rank = 0; rank < Math.Min(k, order.Length); rank++)
        {
            if (relevance[order[rank]] > 0)
            {
                hits++;
                sum += hits / (double)(rank + 1);
            }
        }

        return sum / denominator;
    }

    /// <summary>
    /// nDCG@k exactly as <c>sklearn.metrics.ndcg_score(y_true=[relevance], y_score=[scores], k=k)</c>: linear gains,
    /// discount 1/log2(rank + 1), tied scores share the average gain of their group, the ideal DCG from the given items
    /// sorted by relevance, and 0 when the ideal DCG is 0. Without scores, the served order is the ranking (no ties).
    /// </summary>
    public static double NdcgAtK(IReadOnlyList<double> relevance, IReadOnlyList<double>? scores, int k)
    {
        CheckK(k);
        ArgumentNullException.ThrowIfNull(relevance);
        var n = relevance.Count;
        if (n == 0)
        {
            return 0.0;
        }

        var ranking = scores ?? ServedOrderScores(n);
        if (ranking.Count != n)
        {
            throw new ArgumentException("scores and relevance must have the same length", nameof(scores));
        }

        var discountCumSum = new double[n];
        double cumulative = 0;
        for (var i = 0; i < n; i++)
        {
            cumulative += i < k ? 1.0 / Math.Log2(i + 2) : 0.0;
            discountCumSum[i] = cumulative;
        }

        var ideal = TieAveragedDcg(relevance, relevance, discountCumSum, ignoreTies: true);
        if (ideal == 0)
        {
            return 0.0;
        }

        return TieAveragedDcg(relevance, ranking, discountCumSum, ignoreTies: false) / ideal;
    }

    /// <summary>Indexes of <paramref name="relevance"/> in ranking order: by score descending (stable), or served order.</summary>
    public static int[] Order(IReadOnlyList<double> relevance, IReadOnlyList<double>? scores)
    {
        ArgumentNullException.ThrowIfNull(relevance);
        var order = Enumerable.Range(0, relevance.Count).ToArray();
        if (scores is null)
        {
            return order;
        }

        if (scores.Count != relevance.Count)
        {
            throw new ArgumentException("scores and relevance must have the same length", nameof(scores));
        }

        return [.. order.OrderByDescending(i => scores[i]).ThenBy(i => i)];
    }

    private static double TieAveragedDcg(IReadOnlyList<double> gains, IReadOnlyList<double> scores, double[] discountCumSum, bool ignoreTies)
    {
        var n = gains.Count;
        var order = Enumerable.Range(0, n).OrderByDescending(i => scores[i]).ThenBy(i => i).ToArray();
        double dcg = 0;
        var start = 0;
        while (start < n)
        {
            var end = start + 1;
            if (!ignoreTies)
            {
                while (end < n && scores[order[end]] == scores[order[start]])
                {
                    end++;
                }
            }

            double gain = 0;
            for (var i = start; i < end; i++)
            {
                gain += gains[order[i]];
            }

            var discount = discountCumSum[end - 1] - (start == 0 ? 0 : discountCumSum[start - 1]);
            dcg += gain / (end - start) * discount;
            start = end;
        }

        return dcg;
    }

    private static double[] ServedOrderScores(int n)
    {
        var scores = new double[n];
        for (var i = 0; i < n; i++)
        {
            scores[i] = n - i;
        }

        return scores;
    }

    private static int RelevantInTop(IReadOnlyList<double> relevance, int[] order, int k)
    {
        var count = 0;
        for (var rank = 0; rank < Math.Min(k, order.Length); rank++)
        {
            if (relevance[order[rank]] > 0)
            {
                count++;
            }
        }

        return count;
    }

    private static void CheckK(int k)
    {
        if (k <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(k), k, "K must be at least 1");
        }
    }
}

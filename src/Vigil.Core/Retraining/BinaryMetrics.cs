namespace Vigil.Retraining;

/// <summary>
/// Metrics of a binary classifier's probabilities against labels, as scikit-learn computes them (checked against
/// <c>roc_auc_score</c>, <c>log_loss</c> and <c>accuracy_score</c> on committed vectors):
/// AUC is the Mann–Whitney statistic with ties counted one half; log loss is the mean negative log likelihood with
/// probabilities clipped to [1e-15, 1 − 1e-15]; accuracy thresholds the probability at 0.5 (≥ 0.5 is positive).
/// </summary>
public static class BinaryMetrics
{
    private const double Epsilon = 1e-15;

    /// <summary>ROC AUC; NaN when only one class is present.</summary>
    public static double Auc(IReadOnlyList<double> scores, IReadOnlyList<bool> labels)
    {
        var n = scores.Count;
        var order = Enumerable.Range(0, n).OrderBy(i => scores[i]).ToArray();
        double positives = labels.Count(l => l);
        var negatives = n - positives;
        if (positives == 0 || negatives == 0)
        {
            return double.NaN;
        }

        // Sum of the (average, for ties) ranks of the positives.
        double rankSum = 0;
        var i = 0;
        while (i < n)
        {
            var j = i;
            while (j + 1 < n && scores[order[j + 1]] == scores[order[i]])
            {
                j++;
            }

            var averageRank = ((i + 1) + (j + 1)) / 2.0;
            for (var k = i; k <= j; k++)
            {
                if (labels[order[k]])
                {
                    rankSum += averageRank;
                }
            }

            i = j + 1;
        }

        return (rankSum - (positives * (positives + 1) / 2)) / (positives * negatives);
    }

    /// <summary>Mean log loss with clipping at 1e-15.</summary>
    public static double LogLoss(IReadOnlyList<double> probabilities, IReadOnlyList<bool> labels)
    {
        double sum = 0;
        for (var i = 0; i < probabilities.Count; i++)
        {
            var p = Math.Clamp(probabilities[i], Epsilon, 1 - Epsilon);
            sum -= labels[i] ? Math.Log(p) : Math.Log(1 - p);
        }

        return probabilities.Count == 0 ? double.NaN : sum / probabilities.Count;
    }

    /// <summary>Share of rows whose thresholded probability (≥ 0.5) equals the label.</summary>
    public static double Accuracy(IReadOnlyList<double> probabilities, IReadOnlyList<bool> labels)
    {
        var correct = 0;
        for (var i = 0; i < probabilities.Count; i++)
        {
            if ((probabilities[i] >= 0.5) == labels[i])
            {
                correct++;
            }
        }

        return probabilities.Count == 0 ? double.NaN : (double)correct / probabilities.Count;
    }

    /// <summary>The Wilson score interval of <paramref name="successes"/> in <paramref name="n"/> at 95% (z = 1.959964).</summary>
    public static (double Low, double High) Wilson(int successes, int n)
    {
        if (n == 0)
        {
            return (double.NaN, double.NaN);
        }

        const double z = 1.959963984540054;
        var p = (double)successes / n;
        var denominator = 1 + (z * z / n);
        var centre = (p + (z * z / (2 * n))) / denominator;
        var half = z * Math.Sqrt((p * (1 - p) / n) + (z * z / (4.0 * n * n))) / denominator;
        return (centre - half, centre + half);
    }

    /// <summary>
    /// A 95% percentile bootstrap interval of AUC: <paramref name="resamples"/> resamples of the rows with replacement from a
    /// seeded generator (resamples with a single class are skipped); the 2.5th and 97.5th percentiles.
    /// </summary>
    public static (double Low, double High) AucInterval(IReadOnlyList<double> scores, IReadOnlyList<bool> labels, int resamples = 200, int seed = 17)
    {
        var n = scores.Count;
        if (n < 2)
        {
            return (double.NaN, double.NaN);
        }

        var random = new Random(seed);
        var values = new List<double>(resamples);
        var s = new double[n];
        var l = new bool[n];
        for (var r = 0; r < resamples; r++)
        {
            for (var i = 0; i < n; i++)
            {
                var k = random.Next(n);
                s[i] = scores[k];
                l[i] = labels[k];
            }

            var auc = Auc(s, l);
            if (!double.IsNaN(auc))
            {
                values.Add(auc);
            }
        }

        if (values.Count == 0)
        {
            return (double.NaN, double.NaN);
        }

        values.Sort();
        return (Percentile(values, 0.025), Percentile(values, 0.975));
    }

    private static double Percentile(List<double> sorted, double q)
    {
        var position = q * (sorted.Count - 1);
        var lower = (int)Math.Floor(position);
        var upper = Math.Min(lower + 1, sorted.Count - 1);
        return sorted[lower] + ((position - lower) * (sorted[upper] - sorted[lower]));
    }
}

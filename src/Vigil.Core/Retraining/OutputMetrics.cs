namespace Vigil.Retraining;

/// <summary>
/// Metrics of a classifier's predicted class names against the true ones, as scikit-learn computes them (checked against
/// <c>accuracy_score</c> and <c>f1_score(average="macro", zero_division=0)</c> on committed vectors): macro-F1 is the
/// unweighted mean of the per-class F1 over every class present in the true or the predicted labels, a class's F1 being
/// 0 when it was never predicted correctly.
/// </summary>
public static class ClassMetrics
{
    /// <summary>Share of rows whose predicted class is the true one; NaN for no rows.</summary>
    public static double Accuracy(IReadOnlyList<string> actual, IReadOnlyList<string> predicted)
    {
        ArgumentNullException.ThrowIfNull(actual);
        ArgumentNullException.ThrowIfNull(predicted);
        var correct = 0;
        for (var i = 0; i < actual.Count; i++)
        {
            correct += actual[i] == predicted[i] ? 1 : 0;
        }

        return actual.Count == 0 ? double.NaN : (double)correct / actual.Count;
    }

    /// <summary>The macro-averaged F1; NaN for no rows.</summary>
    public static double MacroF1(IReadOnlyList<string> actual, IReadOnlyList<string> predicted)
    {
        ArgumentNullException.ThrowIfNull(actual);
        ArgumentNullException.ThrowIfNull(predicted);
        if (actual.Count == 0)
        {
            return double.NaN;
        }

        var labels = actual.Concat(predicted).Distinct(StringComparer.Ordinal).ToList();
        double sum = 0;
        foreach (var label in labels)
        {
            int truePositives = 0, predictedCount = 0, actualCount = 0;
            for (var i = 0; i < actual.Count; i++)
            {
                var isActual = actual[i] == label;
                var isPredicted = predicted[i] == label;
                truePositives += isActual && isPredicted ? 1 : 0;
                predictedCount += isPredicted ? 1 : 0;
                actualCount += isActual ? 1 : 0;
            }

            // F1 = 2·TP / (predicted + actual), which is 0 (zero_division=0) when the class was never hit.
            sum += predictedCount + actualCount == 0 ? 0 : 2.0 * truePositives / (predictedCount + actualCount);
        }

        return sum / labels.Count;
    }
}

/// <summary>
/// Metrics of real-valued predictions against true values, as scikit-learn and scipy compute them (checked against
/// <c>mean_absolute_error</c>, the square root of <c>mean_squared_error</c> and <c>scipy.stats.spearmanr</c> on committed
/// vectors): Spearman's rank correlation is Pearson's correlation of the average ranks (ties share their mean rank).
/// </summary>
public static class ScoreMetrics
{
    public static double Mae(IReadOnlyList<double> actual, IReadOnlyList<double> predicted) =>
        actual.Count == 0 ? double.NaN : actual.Select((a, i) => Math.Abs(a - predicted[i])).Average();

    public static double Rmse(IReadOnlyList<double> actual, IReadOnlyList<double> predicted) =>
        actual.Count == 0 ? double.NaN : Math.Sqrt(actual.Select((a, i) => (a - predicted[i]) * (a - predicted[i])).Average());

    /// <summary>Spearman's rank correlation; NaN when either side is constant or there are fewer than two rows.</summary>
    public static double Spearman(IReadOnlyList<double> actual, IReadOnlyList<double> predicted)
    {
        ArgumentNullException.ThrowIfNull(actual);
        ArgumentNullException.ThrowIfNull(predicted);
        if (actual.Count < 2)
        {
            return double.NaN;
        }

        var x = Ranks(actual);
        var y = Ranks(predicted);
        var mx = x.Average();
        var my = y.Average();
        double sxy = 0, sxx = 0, syy = 0;
        for (var i = 0; i < x.Length; i++)
        {
            sxy += (x[i] - mx) * (y[i] - my);
            sxx += (x[i] - mx) * (x[i] - mx);
            syy += (y[i] - my) * (y[i] - my);
        }

        return sxx == 0 || syy == 0 ? double.NaN : sxy / Math.Sqrt(sxx * syy);
    }

    /// <summary>1-based ranks, ties given their average rank.</summary>
    private static double[] Ranks(IReadOnlyList<double> values)
    {
        var order = Enumerable.Range(0, values.Count).OrderBy(i => values[i]).ToArray();
        var ranks = new double[values.Count];
        var i = 0;
        while (i < order.Length)
        {
            var j = i;
            while (j + 1 < order.Length && values[order[j + 1]] == values[order[i]])
            {
                j++;
            }

            var average = ((i + 1) + (j + 1)) / 2.0;
            for (var k = i; k <= j; k++)
            {
                ranks[order[k]] = average;
            }

            i = j + 1;
        }

        return ranks;
    }
}

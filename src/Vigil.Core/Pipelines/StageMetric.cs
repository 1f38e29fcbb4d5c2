using System.Globalization;

namespace Vigil.Pipelines;

/// <summary>The kinds of stage.</summary>
public enum StageKind
{
    Retrieval,
    Ranking,
    Generation,
    Validation,
    Custom,
}

/// <summary>The metrics a stage can be measured by.</summary>
public enum StageMetricKind
{
    PrecisionAtK,
    RecallAtK,
    HitRateAtK,
    Mrr,
    NdcgAtK,
    MapAtK,
    Faithfulness,
    FalseNegativeRate,
    FalsePositiveRate,
    PassRate,
}

/// <summary>A parsed stage metric: its kind and, for the ranked-list metrics, K.</summary>
public readonly record struct StageMetric(StageMetricKind Kind, int K = 0)
{
    /// <summary>The metrics that read a ranked list with relevance labels.</summary>
    public bool IsRanked => Kind is StageMetricKind.PrecisionAtK or StageMetricKind.RecallAtK or StageMetricKind.HitRateAtK
        or StageMetricKind.Mrr or StageMetricKind.NdcgAtK or StageMetricKind.MapAtK;

    /// <summary>Rates the window counts as a ratio of requests (not a mean of per-request values).</summary>
    public bool IsValidationRate => Kind is StageMetricKind.FalseNegativeRate or StageMetricKind.FalsePositiveRate;

    /// <summary>Parses "precision@5", "ndcg@10", "mrr", "faithfulness" …; the error says what is accepted.</summary>
    public static bool TryParse(string? text, out StageMetric metric, out string error)
    {
        metric = default;
        error = string.Empty;
        var s = (text ?? string.Empty).Trim().ToLowerInvariant().Replace('-', '_');
        var at = s.IndexOf('@', StringComparison.Ordinal);
        var name = at < 0 ? s : s[..at];
        int k = 0;
        if (at >= 0 && (!int.TryParse(s[(at + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out k) || k <= 0 || k > 1000))
        {
            error = $"'{text}': K must be a whole number from 1 to 1000, such as {name}@5";
            return false;
        }

        StageMetricKind? kind = name switch
        {
            "precision" => StageMetricKind.PrecisionAtK,
            "recall" => StageMetricKind.RecallAtK,
            "hit_rate" => StageMetricKind.HitRateAtK,
            "mrr" => StageMetricKind.Mrr,
            "ndcg" => StageMetricKind.NdcgAtK,
            "map" => StageMetricKind.MapAtK,
            "faithfulness" => StageMetricKind.Faithfulness,
            "false_negative_rate" => StageMetricKind.FalseNegativeRate,
            "false_positive_rate" => StageMetricKind.FalsePositiveRate,
            "pass_rate" => StageMetricKind.PassRate,
            _ => null,
        };
        if (kind is null)
        {
            error = $"'{text}' is not a stage metric; use precision@K, recall@K, hit_rate@K, mrr, ndcg@K, map@K, faithfulness, false_negative_rate, false_positive_rate or pass_rate";
            return false;
        }

        var needsK = kind is StageMetricKind.PrecisionAtK or StageMetricKind.RecallAtK or StageMetricKind.HitRateAtK or StageMetricKind.NdcgAtK or StageMetricKind.MapAtK;
        if (needsK && at < 0)
        {
            error = $"'{text}' needs a cut-off K, such as {name}@5";
            return false;
        }

        if (!needsK && at >= 0)
        {
            error = $"'{text}': {name} takes no K";
            return false;
        }

        metric = new StageMetric(kind.Value, k);
        return true;
    }

    public override string ToString() => Kind switch
    {
        StageMetricKind.PrecisionAtK => $"precision@{K}",
        StageMetricKind.RecallAtK => $"recall@{K}",
        StageMetricKind.HitRateAtK => $"hit_rate@{K}",
        StageMetricKind.Mrr => "mrr",
        StageMetricKind.NdcgAtK => $"ndcg@{K}",
        StageMetricKind.MapAtK => $"map@{K}",
        StageMetricKind.Faithfulness => "faithfulness",
        StageMetricKind.FalseNegativeRate => "false_negative_rate",
        StageMetricKind.FalsePositiveRate => "false_positive_rate",
        _ => "pass_rate",
    };
}

/// <summary>A bar with its direction: the value must be at least (≥) or at most (≤) <see cref="Value"/>.</summary>
public readonly record struct StageBar(bool AtLeast, double Value)
{
    public bool IsMet(double value) => AtLeast ? value >= Value : value <= Value;

    /// <summary>Parses "&gt;= 0.85", "≥0.85", "&lt;= 0.05", "≤ 0.05".</summary>
    public static bool TryParse(string? text, out StageBar bar)
    {
        bar = default;
        var s = (text ?? string.Empty).Trim();
        bool atLeast;
        if (s.StartsWith(">=", StringComparison.Ordinal) || s.StartsWith("<=", StringComparison.Ordinal))
        {
            atLeast = s[0] == '>';
            s = s[2..];
        }
        else if (s.StartsWith('≥') || s.StartsWith('≤'))
        {
            atLeast = s[0] == '≥';
            s = s[1..];
        }
        else
        {
            return false;
        }

        if (!double.TryParse(s.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out var value) || !double.IsFinite(value))
        {
            return false;
        }

        bar = new StageBar(atLeast, value);
        return true;
    }

    public override string ToString() => (AtLeast ? ">= " : "<= ") + Value.ToString("0.####", CultureInfo.InvariantCulture);
}

using System.Text.Json.Serialization;

namespace Vigil.Statistics;

/// <summary>
/// The drift of one column, current against baseline, in the JSON shape of <c>vigil analyze drift --json</c> (snake_case
/// names). Statistics that do not apply to the column's type, or that could not be computed because a side has no
/// non-null value, are null and left out of the JSON.
/// </summary>
public sealed record ColumnDrift
{
    private const JsonIgnoreCondition Omit = JsonIgnoreCondition.WhenWritingNull;

    /// <summary>The column's name.</summary>
    public required string Name { get; init; }

    /// <summary><c>numeric</c> or <c>categorical</c>.</summary>
    public required DriftColumnType Type { get; init; }

    /// <summary>Rows of the baseline, nulls included.</summary>
    public required long RowsBaseline { get; init; }

    /// <summary>Rows of the current data, nulls included.</summary>
    public required long RowsCurrent { get; init; }

    /// <summary>The baseline's share of null rows (0 when it has no rows).</summary>
    public required double NullRateBaseline { get; init; }

    /// <summary>The current data's share of null rows (0 when it has no rows).</summary>
    public required double NullRateCurrent { get; init; }

    /// <summary>The population stability index.</summary>
    [JsonIgnore(Condition = Omit)]
    public double? Psi { get; init; }

    /// <summary>The Jensen–Shannon distance, base 2, over the PSI bins.</summary>
    [JsonIgnore(Condition = Omit)]
    public double? JsDistance { get; init; }

    /// <summary>The Kolmogorov–Smirnov D (numeric).</summary>
    [JsonIgnore(Condition = Omit)]
    public double? KsStatistic { get; init; }

    /// <summary>The Kolmogorov–Smirnov p-value, before adjustment (numeric).</summary>
    [JsonIgnore(Condition = Omit)]
    public double? KsPValue { get; init; }

    /// <summary>The Wasserstein-1 distance (numeric), in the column's unit.</summary>
    [JsonIgnore(Condition = Omit)]
    public double? Wasserstein { get; init; }

    /// <summary>The Wasserstein-1 distance divided by max(σ of the baseline, 0.001) (numeric).</summary>
    [JsonIgnore(Condition = Omit)]
    public double? WassersteinNormalized { get; init; }

    /// <summary>The chi-squared statistic (categorical).</summary>
    [JsonIgnore(Condition = Omit)]
    public double? Chi2Statistic { get; init; }

    /// <summary>The chi-squared p-value, before adjustment (categorical).</summary>
    [JsonIgnore(Condition = Omit)]
    public double? Chi2PValue { get; init; }

    /// <summary>The deciding test's p-value after the report's multiple-testing correction; only when <see cref="Method"/> is a test.</summary>
    [JsonIgnore(Condition = Omit)]
    public double? PValueAdjusted { get; init; }

    /// <summary>The statistic that decided <see cref="Drifted"/>.</summary>
    public required DriftMethod Method { get; init; }

    /// <summary>Whether the column drifted by <see cref="Method"/>.</summary>
    public required bool Drifted { get; init; }
}

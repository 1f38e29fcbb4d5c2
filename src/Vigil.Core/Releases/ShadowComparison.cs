using System.Globalization;
using System.Text.Json.Nodes;
using Vigil.Statistics;

namespace Vigil.Releases;

/// <summary>One shadow call next to the champion answer it copied, as the store pairs them (by <c>shadow_of</c>).</summary>
/// <param name="ChampionOutputs">The champion's outputs (JSON object), null when it failed.</param>
/// <param name="ChampionLatencyMs">The champion's backend time.</param>
/// <param name="ShadowOutputs">The challenger's outputs (JSON object), null when it failed.</param>
/// <param name="ShadowLatencyMs">The challenger's time, timeouts included.</param>
/// <param name="ShadowError">The challenger's error, if any.</param>
public sealed record ShadowPair(string? ChampionOutputs, double ChampionLatencyMs, string? ShadowOutputs, double ShadowLatencyMs, string? ShadowError);

/// <summary>
/// How a shadow challenger compares with the champion on the same requests (docs/releases.md, "Shadow mode"):
/// the share of answers whose label agrees, the mean absolute difference and the PSI (challenger against champion,
/// DESIGN.md's bins) of their scores, and the challenger's error rate and latency next to the champion's.
/// </summary>
/// <param name="Pairs">Shadow calls compared (at most the query's limit, the most recent first).</param>
/// <param name="ChallengerErrors">Shadow calls that failed or timed out.</param>
/// <param name="ChallengerErrorRate">ChallengerErrors / Pairs; null with no pairs.</param>
/// <param name="Compared">Pairs where both answered, the denominator of the output comparisons.</param>
/// <param name="LabelAgreement">Share of compared pairs whose <c>label</c> is the same; null when the outputs have no label.</param>
/// <param name="ScoreField">The numeric output compared: <c>probability</c>, else <c>score</c>; null when there is none.</param>
/// <param name="MeanAbsoluteDifference">Mean |challenger − champion| of <see cref="ScoreField"/>; null without scores.</param>
/// <param name="ScorePsi">PSI of the challenger's scores against the champion's (the champion is the baseline); null without scores.</param>
/// <param name="ChampionLatencyP50Ms">Median champion backend time on the same requests.</param>
/// <param name="ChampionLatencyP99Ms">99th percentile of the champion's time.</param>
/// <param name="ChallengerLatencyP50Ms">Median challenger time.</param>
/// <param name="ChallengerLatencyP99Ms">99th percentile of the challenger's time.</param>
public sealed record ShadowComparison(
    long Pairs,
    long ChallengerErrors,
    double? ChallengerErrorRate,
    long Compared,
    double? LabelAgreement,
    string? ScoreField,
    double? MeanAbsoluteDifference,
    double? ScorePsi,
    double? ChampionLatencyP50Ms,
    double? ChampionLatencyP99Ms,
    double? ChallengerLatencyP50Ms,
    double? ChallengerLatencyP99Ms)
{
    /// <summary>The numeric outputs tried, in order (Vigil's normalized output shapes, docs/concepts.md).</summary>
    private static readonly string[] ScoreFields = ["probability", "score"];

    /// <summary>Compares the pairs. Outputs that are not JSON objects count as not answered.</summary>
    public static ShadowComparison From(IReadOnlyList<ShadowPair> pairs)
    {
        ArgumentNullException.ThrowIfNull(pairs);
        long errors = 0, compared = 0, labelled = 0, agreeing = 0;
        var championLatency = new List<double>(pairs.Count);
        var challengerLatency = new List<double>(pairs.Count);
        var champion = new Dictionary<string, List<double>>(StringComparer.Ordinal);
        var challenger = new Dictionary<string, List<double>>(StringComparer.Ordinal);
        foreach (var pair in pairs)
        {
            championLatency.Add(pair.ChampionLatencyMs);
            challengerLatency.Add(pair.ShadowLatencyMs);
            var theirs = Parse(pair.ChampionOutputs);
            var mine = pair.ShadowError is null ? Parse(pair.ShadowOutputs) : null;
            if (mine is null)
            {
                errors++;
                continue;
            }

            if (theirs is null)
            {
                continue;
            }

            compared++;
            if (theirs["label"] is { } a && mine["label"] is { } b)
            {
                labelled++;
                if (JsonNode.DeepEquals(a, b))
                {
                    agreeing++;
                }
            }

            foreach (var field in ScoreFields)
            {
                if (Number(theirs[field]) is { } x && Number(mine[field]) is { } y)
                {
                    Add(champion, field, x);
                    Add(challenger, field, y);
                }
            }
        }

        var scoreField = ScoreFields.FirstOrDefault(champion.ContainsKey);
        double? mad = null, psi = null;
        if (scoreField is not null)
        {
            var x = champion[scoreField];
            var y = challenger[scoreField];
            mad = x.Zip(y, (p, q) => Math.Abs(p - q)).Average();
            var sorted = x.Order().ToArray();
            var edges = NumericBins.Edges(sorted);
            psi = Psi.FromCounts(NumericBins.CountValues(edges, sorted), NumericBins.CountValues(edges, y.ToArray()));
        }

        var championSorted = championLatency.Order().ToArray();
        var challengerSorted = challengerLatency.Order().ToArray();
        return new ShadowComparison(
            pairs.Count,
            errors,
            pairs.Count == 0 ? null : errors / (double)pairs.Count,
            compared,
            labelled == 0 ? null : agreeing / (double)labelled,
            scoreField,
            mad,
            psi,
            Percentile(championSorted, 0.5),
            Percentile(championSorted, 0.99),
            Percentile(challengerSorted, 0.5),
            Percentile(challengerSorted, 0.99));
    }

    private static JsonObject? Parse(string? json)
    {
        if (json is null)
        {
            return null;
        }

        try
        {
            return JsonNode.Parse(json) as JsonObject;
        }
        catch (System.Text.Json.JsonException)
        {
            return null;
        }
    }

    private static double? Number(JsonNode? node) =>
        node is JsonValue value && value.TryGetValue<double>(out var d) && double.IsFinite(d) ? d
        : node is JsonValue text && text.TryGetValue<string>(out var s) && double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var parsed) && double.IsFinite(parsed) ? parsed
        : null;

    private static void Add(Dictionary<string, List<double>> values, string field, double value)
    {
        if (!values.TryGetValue(field, out var list))
        {
            values[field] = list = [];
        }

        list.Add(value);
    }

    private static double? Percentile(double[] sorted, double q) => sorted.Length == 0 ? null : Quantiles.Linear(sorted, q);
}

/// <summary>Which shadow calls to pair: a service's challenger version in [From, To).</summary>
/// <param name="Service">The service.</param>
/// <param name="Challenger">The shadow version.</param>
/// <param name="From">Inclusive start (the shadow call's time).</param>
/// <param name="To">Exclusive end.</param>
/// <param name="Limit">At most this many pairs, the most recent first.</param>
public sealed record ShadowPairsQuery(string Service, int Challenger, DateTimeOffset From, DateTimeOffset To, int Limit = ShadowPairsQuery.DefaultLimit)
{
    /// <summary>The default sample: the 20,000 most recent shadow calls.</summary>
    public const int DefaultLimit = 20_000;
}

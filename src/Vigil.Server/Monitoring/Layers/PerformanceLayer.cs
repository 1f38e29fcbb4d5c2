using System.Text.Json;
using Vigil.Monitoring.Layers;
using Vigil.Persistence;
using Vigil.Predictions;

namespace Vigil.Server.Monitoring.Layers;

/// <summary>The performance of one (version, arm, segment) over a time range.</summary>
/// <param name="Version">The model version.</param>
/// <param name="Arm">champion, canary or shadow.</param>
/// <param name="Segment">The segment attribute's value (null without a segment, or when the request lacked it).</param>
/// <param name="Requests">Predictions in the range.</param>
/// <param name="Matured">Of those, the ones older than the outcome window (the denominator of outcome rates).</param>
/// <param name="Labelled">Matured, answered predictions with a <c>label</c> outcome (behind accuracy, precision, recall, log loss, AUC).</param>
/// <param name="Metrics">Each metric with its interval; accuracy is an estimate (marked) when no label has matured.</param>
public sealed record PerformanceGroup(int Version, string Arm, string? Segment, long Requests, long Matured, long Labelled, IReadOnlyList<PerformanceMetric> Metrics);

/// <summary>Answer of <c>GET /v1/services/{s}/performance</c>.</summary>
public sealed record PerformanceView(
    string Service,
    DateTimeOffset From,
    DateTimeOffset To,
    DateTimeOffset MaturedBefore,
    double OutcomeWindowHours,
    string? Segment,
    bool Truncated,
    IReadOnlyList<PerformanceGroup> Groups);

/// <summary>
/// The performance layer (docs/monitoring.md): from joined outcomes of predictions older than the service's outcome
/// window, per (version, arm[, segment]) — outcome rates (task_completed, accepted, escalated, any other outcome name)
/// and the error rate with Wilson intervals; for labelled outcomes accuracy, precision, recall, log loss and AUC; and
/// where no label has matured yet, accuracy estimated from the model's confidence (<c>estimate: true</c>).
/// </summary>
public sealed class PerformanceLayer(IVigilStore store, LayerSettingsCache settings, TimeProvider time)
{
    /// <summary>At most this many recent answered predictions are read for the labelled metrics and the estimate.</summary>
    public const int MaxScoredRows = 50_000;

    /// <summary>Computes the performance of <paramref name="service"/> over [from, to); <paramref name="segment"/> splits by a request attribute.</summary>
    public async Task<PerformanceView> ComputeAsync(string service, DateTimeOffset from, DateTimeOffset to, string? segment, CancellationToken cancellationToken)
    {
        var s = settings.For(service);
        var now = time.GetUtcNow();
        var matured = (to < now ? to : now) - TimeSpan.FromHours(s.OutcomeWindowHours);
        var counts = await store.GetArmCountsAsync(new ArmCountsQuery(service, from, to, matured, null, segment), cancellationToken);
        var scored = await store.GetScoredPredictionsAsync(service, from, to, MaxScoredRows, cancellationToken);

        var groups = new SortedDictionary<(int Version, string Arm, string Segment), Accumulator>();
        Accumulator Group(int version, string arm, string? seg)
        {
            var key = (version, arm, seg ?? string.Empty);
            if (!groups.TryGetValue(key, out var a))
            {
                a = new Accumulator(seg);
                groups[key] = a;
            }

            return a;
        }

        foreach (var row in counts)
        {
            if (row.Version <= 0)
            {
                continue;
            }

            var a = Group(row.Version, row.Arm, row.Segment);
            a.Counts = row;
        }

        foreach (var prediction in scored)
        {
            var a = Group(prediction.Version, prediction.Arm, segment is null ? null : SegmentValue(prediction.Attributes, segment));
            if (!TryReadProbability(prediction.Outputs, out var probability, out var predicted))
            {
                continue;
            }

            if (prediction.Label is { } label && prediction.At < matured)
            {
                a.Probabilities.Add(probability);
                a.Predicted.Add(predicted);
                a.Labels.Add(label >= 0.5);
            }
            else
            {
                a.Unlabelled.Add(probability);
            }
        }

        var result = new List<PerformanceGroup>();
        foreach (var ((version, arm, _), a) in groups)
        {
            var metrics = new List<PerformanceMetric>();
            if (a.Counts is { } c)
            {
                metrics.Add(PerformanceMetrics.Rate("error_rate", c.Errors, c.Requests));
                foreach (var outcome in c.Outcomes.Where(o => o.Name is not "label" and not Vigil.Releases.ReleaseMetrics.Accuracy).OrderBy(o => o.Name, StringComparer.Ordinal))
                {
                    metrics.Add(PerformanceMetrics.Rate(outcome.Name, Math.Clamp((long)Math.Round(outcome.Sum), 0, outcome.Count), outcome.Count));
                }
            }

            if (a.Labels.Count > 0)
            {
                metrics.AddRange(PerformanceMetrics.Labelled(a.Probabilities, a.Predicted, a.Labels));
            }
            else if (a.Unlabelled.Count > 0)
            {
                metrics.Add(PerformanceMetrics.EstimatedAccuracy(a.Unlabelled));
            }

            if (a.Probabilities.Count + a.Unlabelled.Count > 0)
            {
                metrics.Add(PerformanceMetrics.EstimatedAccuracy([.. a.Probabilities, .. a.Unlabelled]) with { Name = "estimated_accuracy" });
            }

            result.Add(new PerformanceGroup(version, arm, a.Segment, a.Counts?.Requests ?? 0, a.Counts?.Matured ?? 0, a.Labels.Count, metrics));
        }

        return new PerformanceView(service, from, to, matured, s.OutcomeWindowHours, segment, scored.Count >= MaxScoredRows, result);
    }

    /// <summary>
    /// The positive-class probability of an answer (<c>probability</c>, else <c>score</c> when in [0, 1]) and its
    /// predicted label (<c>label</c> when the answer has one, else probability ≥ 0.5).
    /// </summary>
    internal static bool TryReadProbability(string outputs, out double probability, out bool predicted)
    {
        probability = double.NaN;
        predicted = false;
        try
        {
            using var document = JsonDocument.Parse(outputs);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return false;
            }

            if ((root.TryGetProperty("probability", out var p) || root.TryGetProperty("score", out p))
                && p.ValueKind == JsonValueKind.Number && p.GetDouble() is >= 0 and <= 1 and var value)
            {
                probability = value;
            }
            else
            {
                return false;
            }

            predicted = root.TryGetProperty("label", out var l) ? l.ValueKind switch
            {
                JsonValueKind.True => true,
                JsonValueKind.False => false,
                JsonValueKind.Number => l.GetDouble() >= 0.5,
                _ => probability >= 0.5,
            } : probability >= 0.5;
            return true;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    /// <summary>The value of request attribute <paramref name="attribute"/> as text; null when absent.</summary>
    internal static string? SegmentValue(string attributes, string attribute)
    {
        try
        {
            using var document = JsonDocument.Parse(attributes);
            if (document.RootElement.ValueKind == JsonValueKind.Object && document.RootElement.TryGetProperty(attribute, out var value))
            {
                return value.ValueKind switch
                {
                    JsonValueKind.String => value.GetString(),
                    JsonValueKind.Null => null,
                    JsonValueKind.True => "true",
                    JsonValueKind.False => "false",
                    _ => value.GetRawText(),
                };
            }
        }
        catch (JsonException)
        {
            // A malformed attributes text has no segment.
        }

        return null;
    }

    private sealed class Accumulator(string? segment)
    {
        public string? Segment { get; } = segment;

        public ArmWindowCounts? Counts { get; set; }

        public List<double> Probabilities { get; } = [];

        public List<bool> Predicted { get; } = [];

        public List<bool> Labels { get; } = [];

        public List<double> Unlabelled { get; } = [];
    }
}

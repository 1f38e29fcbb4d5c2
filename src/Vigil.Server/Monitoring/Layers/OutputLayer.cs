using System.Text.Json;
using Vigil.Monitoring;
using Vigil.Predictions;
using Vigil.Profiles;

namespace Vigil.Server.Monitoring.Layers;

/// <summary>An output pseudo-feature in one window: count, mean, quantiles (numeric) or class shares, and PSI against the version's reference window.</summary>
public sealed record OutputSummary(long Count, double? Mean, double? P50, double? P90, double? P99, IReadOnlyDictionary<string, double>? Shares, double? Psi);

/// <summary>
/// The output layer (docs/monitoring.md, "Output layer"): folds each answered prediction's outputs into its window's
/// pseudo-features — <c>@score</c> (the score or positive-class probability), <c>@confidence</c> (the largest class
/// probability: max(p, 1 − p) for a probability, the top of <c>scores</c>/<c>probabilities</c> for classes),
/// <c>@class</c> (the predicted label), <c>@length</c> (characters of a text answer) and <c>@refusal</c> (1 when a
/// text answer contains one of the service's refusal patterns, else 0: its mean is the refusal rate). Errors, timeouts
/// and latency are already in every window. The first <see cref="ReferenceMinutes"/> minutes of windows with traffic of a
/// version become its output reference, added to the version's baseline so the default <c>confidence-shift</c>
/// monitor (PSI of <c>@confidence</c>) compares each window with the version's own early behaviour.
/// </summary>
public sealed class OutputLayer(LayerSettingsCache settings, LiveMonitoring monitoring)
{
    /// <summary>Output pseudo-feature: characters of a text answer.</summary>
    public const string Length = "@length";

    /// <summary>Output pseudo-feature: 1 for a refusal, 0 otherwise.</summary>
    public const string Refusal = "@refusal";

    /// <summary>Minutes of traffic that make a version's output reference.</summary>
    public const int ReferenceMinutes = 60;

    private static readonly string[] Pseudo = [MonitorMetrics.Score, MonitorMetrics.Confidence, MonitorMetrics.PredictedClass, Length, Refusal];

    private readonly Lock _lock = new();
    private readonly Dictionary<(string Service, int Version), (int Windows, WindowProfiles? Merged, bool Done)> _references = [];

    /// <summary>Folds the outputs of <paramref name="record"/> into <paramref name="window"/> (called under the monitoring lock).</summary>
    public void Fold(WindowProfiles window, PredictionRecord record)
    {
        if (record.Outputs is null || record.Arm == Arms.Fallback)
        {
            return;
        }

        using var document = monitoring.Parse(record.Service, "(outputs)", record.Outputs);
        if (document is null)
        {
            return;
        }

        var root = document.RootElement;
        if (root.ValueKind != JsonValueKind.Object)
        {
            return;
        }

        if (Number(root, "probability") is { } p and >= 0 and <= 1)
        {
            window.Numeric(MonitorMetrics.Score).Add(p);
            window.Numeric(MonitorMetrics.Confidence).Add(Math.Max(p, 1 - p));
        }
        else
        {
            if (Number(root, "score") is { } score)
            {
                window.Numeric(MonitorMetrics.Score).Add(score);
            }

            if ((Top(root, "scores") ?? Top(root, "probabilities")) is { } top)
            {
                window.Numeric(MonitorMetrics.Confidence).Add(top);
            }
        }

        if (root.TryGetProperty("label", out var label) || root.TryGetProperty("class", out label))
        {
            if (!Text(label, out var cls))
            {
                monitoring.CountFoldError(record.Service, MonitorMetrics.PredictedClass, FoldErrors.InvalidText);
            }
            else if (cls is not null)
            {
                window.Categorical(MonitorMetrics.PredictedClass).Add(cls);
            }
        }

        if ((root.TryGetProperty("text", out var text) || root.TryGetProperty("output", out text) || root.TryGetProperty("completion", out text))
            && text.ValueKind == JsonValueKind.String)
        {
            if (!FoldErrors.TryGetString(text, out var answer) || answer is null)
            {
                monitoring.CountFoldError(record.Service, Length, FoldErrors.InvalidText);
                return;
            }

            window.Numeric(Length).Add(answer.Length);
            var refused = false;
            foreach (var pattern in settings.For(record.Service).EffectiveRefusalPatterns)
            {
                if (answer.Contains(pattern, StringComparison.OrdinalIgnoreCase))
                {
                    refused = true;
                    break;
                }
            }

            window.Numeric(Refusal).Add(refused ? 1 : 0);
        }
    }

    /// <summary>
    /// Summarizes a closed window's outputs for the layers' history (called under the monitoring lock), and builds the
    /// version's output reference from its first <see cref="ReferenceMinutes"/> windows with answers.
    /// </summary>
    public IReadOnlyDictionary<string, OutputSummary>? Summarize(StreamKey stream, WindowProfiles window)
    {
        var outputs = window.Profiles.Where(p => Array.IndexOf(Pseudo, p.Key) >= 0).ToList();
        if (outputs.Count == 0)
        {
            return null;
        }

        Dictionary<string, FeatureProfile>? reference;
        lock (_lock)
        {
            var key = (stream.Service, stream.Version);
            var (count, merged, done) = _references.GetValueOrDefault(key);
            if (!done && stream.Arm != Arms.Shadow)
            {
                merged ??= new WindowProfiles(window.Start, window.Length);
                merged.Merge(window, f => Array.IndexOf(Pseudo, f) >= 0);
                count++;
                done = count >= ReferenceMinutes;
                _references[key] = (count, done ? null : merged, done);
                if (done)
                {
                    monitoring.AddOutputReference(stream.Service, stream.Version, merged.Profiles);
                }
            }

            reference = monitoring.Baseline(stream.Service, stream.Version) is { } b ? new Dictionary<string, FeatureProfile>(b) : null;
        }

        var summaries = new Dictionary<string, OutputSummary>(StringComparer.Ordinal);
        foreach (var (name, profile) in outputs)
        {
            var psi = reference?.GetValueOrDefault(name) is { } r ? ProfileDrift.Compare(name, r, profile)?.Psi : null;
            if (profile.Kind == ProfileKind.Numeric)
            {
                var q = profile.Quantiles;
                var empty = q is null || q.IsEmpty;
                summaries[name] = new OutputSummary(
                    profile.ValidCount, profile.ValidCount == 0 ? null : profile.Moments.Mean,
                    empty ? null : q!.GetQuantile(0.5), empty ? null : q!.GetQuantile(0.9), empty ? null : q!.GetQuantile(0.99), null, psi);
            }
            else
            {
                var shares = profile.FrequentItems!.GetTop().Take(20)
                    .ToDictionary(i => i.Item, i => profile.ValidCount == 0 ? 0 : profile.FrequentItems.GetLowerBound(i.Item) / (double)profile.ValidCount, StringComparer.Ordinal);
                summaries[name] = new OutputSummary(profile.ValidCount, null, null, null, null, shares, psi);
            }
        }

        return summaries;
    }

    private static double? Number(JsonElement root, string name) =>
        root.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number && value.TryGetDouble(out var d) && double.IsFinite(d) ? d : null;

    /// <summary>The largest value of an object of class → probability or an array of probabilities.</summary>
    private static double? Top(JsonElement root, string name)
    {
        if (!root.TryGetProperty(name, out var value))
        {
            return null;
        }

        double? top = null;
        var items = value.ValueKind switch
        {
            JsonValueKind.Object => value.EnumerateObject().Select(p => p.Value),
            JsonValueKind.Array => value.EnumerateArray(),
            _ => [],
        };
        foreach (var item in items)
        {
            if (item.ValueKind == JsonValueKind.Number && item.TryGetDouble(out var d) && double.IsFinite(d))
            {
                top = top is { } t ? Math.Max(t, d) : d;
            }
        }

        return top;
    }

    /// <summary>A label's text (null for a value that is not one); false for a string that is not valid Unicode.</summary>
    private static bool Text(JsonElement value, out string? text)
    {
        switch (value.ValueKind)
        {
            case JsonValueKind.String:
                return FoldErrors.TryGetString(value, out text);
            case JsonValueKind.True:
                text = "true";
                return true;
            case JsonValueKind.False:
                text = "false";
                return true;
            case JsonValueKind.Number:
                text = value.GetRawText();
                return true;
            default:
                text = null;
                return true;
        }
    }
}

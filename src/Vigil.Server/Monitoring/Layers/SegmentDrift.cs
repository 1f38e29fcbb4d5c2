using System.Text.Json;
using Vigil.Monitoring;
using Vigil.Predictions;
using Vigil.Statistics;

namespace Vigil.Server.Monitoring.Layers;

/// <summary>
/// Per-segment input drift (docs/monitoring.md, "Per-segment drift"): for a service that declares segment attributes,
/// every answered request's inputs also fold into one-minute windows per (version, attribute, value) — at most
/// <see cref="MaxValues"/> values per attribute, the rest under <c>(other)</c>. A segment's first
/// <see cref="ReferenceMinutes"/> minutes are its reference (a market's prices legitimately differ from the global
/// baseline, and a feature that is the segment attribute itself would always differ). Each tick merges each segment's
/// last <see cref="Window"/> and compares every feature with the segment's reference; the p-values (KS for numbers,
/// chi-squared for categories) of all features × segments of a version are adjusted together with Benjamini–Hochberg,
/// and a (feature, segment) drifts when its adjusted p is below <see cref="Alpha"/> and its PSI is at least 0.25, so a
/// shift in one market is neither averaged away nor one of many false alarms. Thread-safe.
/// </summary>
public sealed class SegmentDrift(LayerSettingsCache settings, LiveMonitoring monitoring)
{
    /// <summary>At most this many values per segment attribute and version; further values share <c>(other)</c>.</summary>
    public const int MaxValues = 20;

    /// <summary>The value further values of an attribute share.</summary>
    public const string Other = "(other)";

    /// <summary>The false discovery rate across features × segments.</summary>
    public const double Alpha = 0.01;

    /// <summary>The monitor the segment alerts follow (the same window, for and keep-firing as input-drift).</summary>
    public static MonitorDefinition Monitor { get; } = new(
        "segment-drift", MonitorLayer.Input, "psi", 0.25, Duration.Minutes(15),
        For: Duration.Minutes(5), KeepFiringFor: Duration.Minutes(15), Severity: AlertSeverity.Critical);

    private static readonly TimeSpan Window = Monitor.Window.Value;

    private readonly Lock _lock = new();
    /// <summary>Minutes of a segment's traffic that make its reference.</summary>
    public const int ReferenceMinutes = 30;

    private readonly Dictionary<(string Service, int Version, string Attribute, string Value), Segment> _windows = [];

    private sealed class Segment
    {
        public SortedDictionary<DateTimeOffset, WindowProfiles> Windows { get; } = [];

        public WindowProfiles? Reference { get; set; }

        public int ReferenceCount { get; set; }

        public DateTimeOffset LastReferenced { get; set; } = DateTimeOffset.MinValue;

        public bool Done => ReferenceCount >= ReferenceMinutes;
    }

    /// <summary>Folds a record's inputs into its segments' windows (called from the monitoring fold).</summary>
    public void Fold(PredictionRecord record)
    {
        if (record.Version <= 0 || record.Arm == Arms.Shadow || settings.For(record.Service).Segments is not { Count: > 0 } attributes)
        {
            return;
        }

        using var attributesDocument = monitoring.Parse(record.Service, "(attributes)", record.Attributes);
        if (attributesDocument?.RootElement.ValueKind != JsonValueKind.Object)
        {
            return;
        }

        var baseline = monitoring.Baseline(record.Service, record.Version);
        var start = WindowProfiles.Floor(record.At, WindowProfiles.BaseLength);
        using var inputs = monitoring.Parse(record.Service, "(inputs)", record.Inputs);
        if (inputs is null)
        {
            return;
        }

        lock (_lock)
        {
            foreach (var attribute in attributes)
            {
                if (!attributesDocument.RootElement.TryGetProperty(attribute, out var raw) || raw.ValueKind is JsonValueKind.Null or JsonValueKind.Object or JsonValueKind.Array)
                {
                    continue;
                }

                string? value;
                if (raw.ValueKind != JsonValueKind.String)
                {
                    value = raw.GetRawText();
                }
                else if (!FoldErrors.TryGetString(raw, out value) || value is null)
                {
                    monitoring.CountFoldError(record.Service, "[" + attribute + "]", FoldErrors.InvalidText);
                    continue;
                }

                if (!_windows.ContainsKey((record.Service, record.Version, attribute, value))
                    && _windows.Keys.Count(k => k.Service == record.Service && k.Version == record.Version && k.Attribute == attribute) >= MaxValues)
                {
                    value = Other;
                }

                var key = (record.Service, record.Version, attribute, value);
                if (!_windows.TryGetValue(key, out var segment))
                {
                    segment = new Segment();
                    _windows[key] = segment;
                }

                if (start <= segment.LastReferenced)
                {
                    continue; // that minute is already in the reference
                }

                if (!segment.Windows.TryGetValue(start, out var window))
                {
                    window = new WindowProfiles(start, WindowProfiles.BaseLength);
                    segment.Windows[start] = window;
                }

                window.Requests++;
                monitoring.FoldInputs(window, record, inputs.RootElement, baseline, countViolations: false);
            }
        }
    }

    /// <summary>Each (feature, segment)'s value for <see cref="Monitor"/> at <paramref name="now"/>: its PSI when BH-significant, else 0; null without data.</summary>
    public IReadOnlyList<(string Service, int Version, string Subject, double? Value, DateTimeOffset WindowStart)> Evaluate(DateTimeOffset now)
    {
        var tests = new List<(string Service, int Version, string Subject, ProfileDrift Drift)>();
        var end = WindowProfiles.Floor(now, WindowProfiles.BaseLength);
        var segments = new List<(string Service, int Version, string Attribute, string Value, WindowProfiles Reference, WindowProfiles Merged)>();
        lock (_lock)
        {
            foreach (var ((service, version, attribute, value), segment) in _windows)
            {
                // Closed minutes build the segment's reference until it holds ReferenceMinutes of them.
                foreach (var (start, window) in segment.Windows.Where(w => w.Key + WindowProfiles.BaseLength <= end && w.Key > segment.LastReferenced && !segment.Done).ToList())
                {
                    segment.Reference ??= new WindowProfiles(start, WindowProfiles.BaseLength);
                    segment.Reference.Merge(window);
                    segment.ReferenceCount++;
                    segment.LastReferenced = start;
                    segment.Windows.Remove(start);
                }

                foreach (var old in segment.Windows.Keys.Where(k => k < end - Window - Window).ToList())
                {
                    segment.Windows.Remove(old);
                }

                if (segment.Done
                    && WindowProfiles.MergeAll(segment.Windows.Where(w => w.Key >= end - Window && w.Key < end).Select(w => w.Value)) is { } merged)
                {
                    segments.Add((service, version, attribute, value, segment.Reference!, merged));
                }
            }
        }

        foreach (var (service, version, attribute, value, reference, merged) in segments)
        {
            foreach (var (feature, profile) in merged.Profiles)
            {
                if (reference.Profiles.TryGetValue(feature, out var b) && ProfileDrift.Compare(feature, b, profile) is { PValue: not null } drift)
                {
                    tests.Add((service, version, $"{feature} [{attribute}={value}]", drift));
                }
            }
        }

        var results = new List<(string, int, string, double?, DateTimeOffset)>();
        foreach (var group in tests.GroupBy(t => (t.Service, t.Version)))
        {
            var list = group.OrderBy(t => t.Subject, StringComparer.Ordinal).ToArray();
            var adjusted = MultipleTesting.BenjaminiHochberg(list.Select(t => t.Drift.PValue!.Value).ToArray());
            for (var i = 0; i < list.Length; i++)
            {
                results.Add((group.Key.Service, group.Key.Version, list[i].Subject, adjusted[i] < Alpha ? list[i].Drift.Psi : 0, end - Window));
            }
        }

        return results;
    }
}

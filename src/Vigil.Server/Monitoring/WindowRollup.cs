namespace Vigil.Server.Monitoring;

/// <summary>
/// Combines window summaries into longer ones (minutes into hours and days) and replicas' shares of one window into one.
/// Counts, errors and violations add up and null rates are count-weighted, so they are exact; a summary keeps no sketch,
/// so the median and the PSI of a roll-up are the count-weighted means of its parts' and the latency p99 is the highest
/// part's — approximations, documented in docs/monitoring.md. Exact long-window statistics come from merging profiles
/// (what monitors do over their windows), not from summaries.
/// </summary>
public static class WindowRollup
{
    /// <summary>The combination of two summaries; the result starts at the earlier start.</summary>
    public static WindowSummary Combine(WindowSummary a, WindowSummary b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        var features = new Dictionary<string, FeatureSummary>(StringComparer.Ordinal);
        foreach (var name in a.Features.Keys.Union(b.Features.Keys, StringComparer.Ordinal))
        {
            var x = a.Features.GetValueOrDefault(name);
            var y = b.Features.GetValueOrDefault(name);
            features[name] = x is null ? y! : y is null ? x : Combine(x, y);
        }

        double? latency = a.LatencyP99Ms is { } la ? (b.LatencyP99Ms is { } lb ? Math.Max(la, lb) : la) : b.LatencyP99Ms;
        return new WindowSummary(a.Start <= b.Start ? a.Start : b.Start, a.Version, a.Arm, a.Requests + b.Requests, a.Errors + b.Errors, latency, features);
    }

    /// <summary>Combines two summaries given as JSON (the store's <c>combine</c> function).</summary>
    public static string Combine(string a, string b) =>
        VigilJson.Serialize(Combine(VigilJson.Deserialize<WindowSummary>(a)!, VigilJson.Deserialize<WindowSummary>(b)!));

    private static FeatureSummary Combine(FeatureSummary x, FeatureSummary y)
    {
        var count = x.Count + y.Count;
        double? Weighted(double? p, double? q) =>
            p is { } u ? (q is { } v ? (count == 0 ? (u + v) / 2 : ((u * x.Count) + (v * y.Count)) / count) : u) : q;
        var nullRate = count == 0 ? 0 : ((x.NullRate * x.Count) + (y.NullRate * y.Count)) / count;
        return new FeatureSummary(count, nullRate, x.Violations + y.Violations, Weighted(x.Median, y.Median), Weighted(x.Psi, y.Psi));
    }
}

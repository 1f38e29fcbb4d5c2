using Vigil.Access;
using Vigil.Monitoring;
using Vigil.Persistence;
using Vigil.Profiles;
using Vigil.Server.Access;
using Vigil.Server.Api;

namespace Vigil.Server.Monitoring;

/// <summary>One side of a distribution (the baseline or the recent windows), from its sketch.</summary>
/// <param name="Count">Values seen, nulls and type errors included.</param>
/// <param name="NullRate">Nulls / count.</param>
/// <param name="Min">Smallest value (numeric only).</param>
/// <param name="Max">Largest value (numeric only).</param>
/// <param name="Mean">Mean (numeric only).</param>
/// <param name="Quantiles">The 1st, 5th, 10th, 25th, 50th, 75th, 90th, 95th and 99th percentiles from the KLL sketch (numeric only).</param>
public sealed record DistributionSide(long Count, double NullRate, double? Min, double? Max, double? Mean, IReadOnlyList<QuantilePoint> Quantiles);

/// <summary>A quantile: <paramref name="Q"/> in (0, 1) and its value.</summary>
public sealed record QuantilePoint(double Q, double Value);

/// <summary>A histogram bin shared by both sides: [<paramref name="Low"/>, <paramref name="High"/>) for numbers, one category (or <c>(other)</c>) for categories.</summary>
public sealed record DistributionBin(string Label, double? Low, double? High, double? Baseline, double? Current);

/// <summary>Drift of the recent windows against the baseline, as <see cref="ProfileDrift"/> computes it for the monitors.</summary>
public sealed record DriftNumbers(double? Psi, double? JsDistance, double? KsStatistic, double? KsPValue, double? WassersteinNormalized, double? Chi2PValue);

/// <summary>
/// <c>GET /v1/services/{s}/features/{f}/distribution</c>: a feature's (or an output pseudo-feature's, such as
/// <c>@latency_ms</c>) baseline and recent distribution side by side, with shared histogram bins and the drift between them.
/// </summary>
/// <param name="Service">The service.</param>
/// <param name="Feature">The feature.</param>
/// <param name="Version">The version whose baseline and traffic are compared.</param>
/// <param name="Kind"><c>numeric</c> or <c>categorical</c>.</param>
/// <param name="From">Start of the recent windows merged into <paramref name="Current"/>.</param>
/// <param name="To">End of them.</param>
/// <param name="Baseline">The version's baseline profile; null when it has none (or none for this feature).</param>
/// <param name="Current">The merged recent windows; null when none closed in the span.</param>
/// <param name="Bins">Shares per bin on each side (each side's shares add up to one over its valid values).</param>
/// <param name="Drift">Drift of current against baseline; null unless both sides have values.</param>
public sealed record FeatureDistributionView(
    string Service,
    string Feature,
    int Version,
    string Kind,
    DateTimeOffset? From,
    DateTimeOffset? To,
    DistributionSide? Baseline,
    DistributionSide? Current,
    IReadOnlyList<DistributionBin> Bins,
    DriftNumbers? Drift);

/// <summary>A feature in <c>GET /v1/services/{s}/features</c>: its recent drift against the baseline.</summary>
public sealed record FeatureDriftRow(string Feature, string Kind, long Count, double NullRate, double? BaselineMedian, double? CurrentMedian, DriftNumbers? Drift);

/// <summary><c>GET /v1/services/{s}/features</c>: every profiled feature of a version, drift over the recent windows.</summary>
public sealed record FeatureDriftList(string Service, int Version, DateTimeOffset? From, DateTimeOffset? To, bool HasBaseline, IReadOnlyList<FeatureDriftRow> Features);

/// <summary>
/// Keeps copies of the last <see cref="KeptWindows"/> closed one-minute windows of each stream (from
/// <see cref="LiveMonitoring.WindowClosed"/>), so that a feature's recent distribution can be read from its sketches.
/// Windows without traffic are not kept, so after a quiet spell the last hour with traffic is still there. Bounded: an
/// hour of windows per stream, and streams silent for 30 days are dropped. Thread-safe.
/// </summary>
public sealed class RecentProfiles
{
    /// <summary>Windows kept per stream (an hour of one-minute windows).</summary>
    public const int KeptWindows = 60;

    private readonly Lock _lock = new();
    private readonly Dictionary<StreamKey, LinkedList<WindowProfiles>> _windows = [];

    public RecentProfiles(LiveMonitoring monitoring)
    {
        ArgumentNullException.ThrowIfNull(monitoring);
        monitoring.WindowClosed += OnWindowClosed;
    }

    private void OnWindowClosed(StreamKey stream, WindowProfiles window)
    {
        if (window.Requests == 0 && window.Profiles.Count == 0)
        {
            return;
        }

        var copy = WindowProfiles.MergeAll([window])!;
        lock (_lock)
        {
            if (!_windows.TryGetValue(stream, out var list))
            {
                list = new LinkedList<WindowProfiles>();
                _windows[stream] = list;
            }

            list.AddLast(copy);
            while (list.Count > KeptWindows)
            {
                list.RemoveFirst();
            }

            foreach (var stale in _windows.Where(w => w.Value.Last!.Value.End < copy.End - TimeSpan.FromDays(30)).Select(w => w.Key).ToList())
            {
                _windows.Remove(stale);
            }
        }
    }

    /// <summary>The merge of every arm's windows of (<paramref name="service"/>, <paramref name="version"/>) that start within <paramref name="span"/> of the newest one; null when there are none.</summary>
    public WindowProfiles? Recent(string service, int version, TimeSpan span)
    {
        lock (_lock)
        {
            var windows = _windows.Where(w => w.Key.Service == service && w.Key.Version == version).SelectMany(w => w.Value).ToList();
            if (windows.Count == 0)
            {
                return null;
            }

            var end = windows.Max(w => w.End);
            return WindowProfiles.MergeAll(windows.Where(w => w.Start >= end - span).OrderBy(w => w.Start));
        }
    }

    /// <summary>The versions of <paramref name="service"/> with kept windows, newest first.</summary>
    public IReadOnlyList<int> Versions(string service)
    {
        lock (_lock)
        {
            return [.. _windows.Keys.Where(k => k.Service == service).Select(k => k.Version).Distinct().OrderDescending()];
        }
    }
}

/// <summary>
/// Feature distributions and drift from the sketches: the endpoints below and the dashboard's service page both call
/// <see cref="DistributionAsync"/> and <see cref="DriftAsync"/> (docs/monitoring.md, "Distributions").
/// </summary>
public static class FeatureDistributions
{
    /// <summary>Recent minutes merged when the caller names none: the default drift monitor's window.</summary>
    public const int DefaultMinutes = 15;

    /// <summary>Equal-width bins of a numeric histogram.</summary>
    public const int NumericBins = 20;

    /// <summary>Most categories shown; the rest are summed as <c>(other)</c>.</summary>
    public const int MaxCategories = 12;

    private static readonly double[] QuantileGrid = [0.01, 0.05, 0.10, 0.25, 0.50, 0.75, 0.90, 0.95, 0.99];

    public static IServiceCollection AddVigilFeatureDistributions(this IServiceCollection services) =>
        services.AddSingleton<RecentProfiles>();

    public static void MapFeatureDistributionEndpoints(this IEndpointRouteBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        // Created now, not on first use, so that it sees every window from the start.
        app.ServiceProvider.GetRequiredService<RecentProfiles>();
        app.MapGet("/v1/services/{service}/features", async (string service, int? version, int? minutes, IVigilStore store, LiveMonitoring monitoring, RecentProfiles recent, CancellationToken ct) =>
                Respond(await DriftAsync(store, monitoring, recent, service, version, minutes, ct)))
            .RequireScope(ApiScopes.Read).WithTags("Monitoring").Produces<FeatureDriftList>().ProducesProblem(400).ProducesProblem(404);
        app.MapGet("/v1/services/{service}/features/{feature}/distribution", async (string service, string feature, int? version, int? minutes, IVigilStore store, LiveMonitoring monitoring, RecentProfiles recent, CancellationToken ct) =>
                Respond(await DistributionAsync(store, monitoring, recent, service, feature, version, minutes, ct)))
            .RequireScope(ApiScopes.Read).WithTags("Monitoring").Produces<FeatureDistributionView>().ProducesProblem(400).ProducesProblem(404);
    }

    private static IResult Respond<T>(Result<T> result) =>
        result.IsSuccess ? Results.Json(result.Value!, VigilJson.Options)
        : result.Failure!.Kind == FailureKind.Invalid ? Problems.BadRequest(result.Failure.Message) : Problems.From(result.Failure);

    /// <summary>Every feature of a version with its drift over the last <paramref name="minutes"/> (default <see cref="DefaultMinutes"/>), highest PSI first.</summary>
    public static async Task<Result<FeatureDriftList>> DriftAsync(
        IVigilStore store, LiveMonitoring monitoring, RecentProfiles recent, string service, int? version, int? minutes, CancellationToken ct)
    {
        var scope = await ScopeAsync(store, recent, service, version, minutes, ct);
        if (!scope.IsSuccess)
        {
            return scope.Failure!;
        }

        var (v, span) = scope.Value;
        var baseline = monitoring.Baseline(service, v);
        var window = recent.Recent(service, v, span);
        var names = (window?.Profiles.Keys ?? Enumerable.Empty<string>()).Concat(baseline?.Keys ?? Enumerable.Empty<string>())
            .Where(n => !n.StartsWith('@')).Distinct(StringComparer.Ordinal);
        var rows = new List<FeatureDriftRow>();
        foreach (var name in names)
        {
            var current = window?.Profiles.GetValueOrDefault(name);
            var reference = baseline?.GetValueOrDefault(name);
            var kind = (current ?? reference)!.Kind;
            rows.Add(new FeatureDriftRow(
                name, Kind(kind), current?.Count ?? 0, current?.NullRate ?? 0, Median(reference), Median(current),
                reference is not null && current is not null ? Numbers(ProfileDrift.Compare(name, reference, current)) : null));
        }

        return Result<FeatureDriftList>.Ok(new FeatureDriftList(service, v, window?.Start, window?.End, baseline is not null,
            [.. rows.OrderByDescending(r => r.Drift?.Psi ?? -1).ThenBy(r => r.Feature, StringComparer.Ordinal)]));
    }

    /// <summary>The baseline and recent distribution of one feature of a version, with shared bins and the drift.</summary>
    public static async Task<Result<FeatureDistributionView>> DistributionAsync(
        IVigilStore store, LiveMonitoring monitoring, RecentProfiles recent, string service, string feature, int? version, int? minutes, CancellationToken ct)
    {
        var scope = await ScopeAsync(store, recent, service, version, minutes, ct);
        if (!scope.IsSuccess)
        {
            return scope.Failure!;
        }

        var (v, span) = scope.Value;
        var window = recent.Recent(service, v, span);
        var baseline = monitoring.Baseline(service, v)?.GetValueOrDefault(feature);
        var current = window?.Profiles.GetValueOrDefault(feature);
        if (baseline is null && current is null)
        {
            return Failure.NotFound($"'{service}' version {v} has no baseline and no recent traffic for feature '{feature}'; upload a baseline (vigil baseline upload) or send predictions");
        }

        if (baseline is not null && current is not null && baseline.Kind != current.Kind)
        {
            current = null; // the traffic's values are not of the baseline's kind (counted as type errors)
        }

        var kind = (baseline ?? current)!.Kind;
        var bins = kind == ProfileKind.Numeric ? NumericHistogram(baseline, current) : CategoryShares(baseline, current);
        return Result<FeatureDistributionView>.Ok(new FeatureDistributionView(
            service, feature, v, Kind(kind), window?.Start, window?.End, Side(baseline), Side(current), bins,
            baseline is not null && current is not null ? Numbers(ProfileDrift.Compare(feature, baseline, current)) : null));
    }

    private static async Task<Result<(int Version, TimeSpan Span)>> ScopeAsync(IVigilStore store, RecentProfiles recent, string service, int? version, int? minutes, CancellationToken ct)
    {
        if (minutes is < 1 or > RecentProfiles.KeptWindows)
        {
            return Failure.Invalid($"minutes must be between 1 and {RecentProfiles.KeptWindows} (default {DefaultMinutes})");
        }

        if (await store.GetServiceAsync(service, ct) is null)
        {
            return Failure.NotFound($"there is no service '{service}'; list them with 'vigil services list'");
        }

        int v;
        if (version is { } given)
        {
            if (await store.GetVersionAsync(service, given, ct) is null)
            {
                return Failure.NotFound($"service '{service}' has no version {given}");
            }

            v = given;
        }
        else
        {
            var champion = (await store.GetAliasesAsync(service, ct)).Champion;
            v = champion ?? recent.Versions(service).FirstOrDefault();
            if (v == 0)
            {
                return Failure.NotFound($"service '{service}' has no champion and no recent traffic; name a version with ?version=");
            }
        }

        return Result<(int, TimeSpan)>.Ok((v, TimeSpan.FromMinutes(minutes ?? DefaultMinutes)));
    }

    private static string Kind(ProfileKind kind) => kind == ProfileKind.Numeric ? "numeric" : "categorical";

    private static double? Median(FeatureProfile? profile) => profile?.Quantiles is { IsEmpty: false } q ? q.GetQuantile(0.5) : null;

    private static double? Finite(double? value) => value is { } v && double.IsFinite(v) ? v : null;

    private static DriftNumbers? Numbers(ProfileDrift? drift) => drift is null ? null : new DriftNumbers(
        Finite(drift.Psi), Finite(drift.JsDistance), Finite(drift.KsStatistic), Finite(drift.KsPValue), Finite(drift.WassersteinNormalized), Finite(drift.Chi2PValue));

    private static DistributionSide? Side(FeatureProfile? profile)
    {
        if (profile is null)
        {
            return null;
        }

        if (profile.Quantiles is { IsEmpty: false } sketch)
        {
            var view = sketch.GetSortedView();
            return new DistributionSide(profile.Count, profile.NullRate, view.Min, view.Max, Finite(profile.Moments.Mean),
                [.. QuantileGrid.Select(q => new QuantilePoint(q, view.GetQuantile(q)))]);
        }

        return new DistributionSide(profile.Count, profile.NullRate, null, null, null, []);
    }

    /// <summary>
    /// <see cref="NumericBins"/> bins over both sides' range (equal width, or equal width in log(1 + x) when non-negative
    /// values span more than two orders of magnitude); each side's shares from its sketch's PMF.
    /// </summary>
    private static IReadOnlyList<DistributionBin> NumericHistogram(FeatureProfile? baseline, FeatureProfile? current)
    {
        var views = new[] { baseline, current }.Select(p => p?.Quantiles is { IsEmpty: false } q ? q.GetSortedView() : null).ToArray();
        var present = views.OfType<KllSortedView>().ToList();
        if (present.Count == 0)
        {
            return [];
        }

        var lo = present.Min(v => v.Min);
        var hi = present.Max(v => v.Max);
        if (!(hi > lo))
        {
            return [new DistributionBin(Label(lo, hi), lo, hi, views[0] is null ? null : 1, views[1] is null ? null : 1)];
        }

        // Non-negative values spanning more than two orders of magnitude (prices in dollars against cents) get bins of equal
        // width on a log(1 + x) scale, so that both sides stay visible; otherwise bins of equal width.
        var logScale = lo >= 0 && (hi + 1) / (lo + 1) > 100;
        double Edge(int i) => logScale
            ? double.ExpM1(double.LogP1(lo) + (i * (double.LogP1(hi) - double.LogP1(lo)) / NumericBins))
            : lo + (i * (hi - lo) / NumericBins);
        var splits = Enumerable.Range(1, NumericBins - 1).Select(Edge).ToArray();
        // The PMF has one more mass than split points: [min, s1), [s1, s2) … [s_last, max].
        var pmf = views.Select(v => v?.GetPmf(splits)).ToArray();
        return [.. Enumerable.Range(0, NumericBins).Select(i =>
        {
            var low = Edge(i);
            var high = i == NumericBins - 1 ? hi : Edge(i + 1);
            return new DistributionBin(Label(low, high), low, high, pmf[0]?[i], pmf[1]?[i]);
        })];
    }

    private static IReadOnlyList<DistributionBin> CategoryShares(FeatureProfile? baseline, FeatureProfile? current)
    {
        double Share(FeatureProfile? p, string item) => p is { ValidCount: > 0 } ? p.FrequentItems!.GetLowerBound(item) / (double)p.ValidCount : 0;
        var items = new[] { baseline, current }.OfType<FeatureProfile>().SelectMany(p => p.FrequentItems!.GetTop().Select(i => i.Item))
            .Distinct(StringComparer.Ordinal)
            .OrderByDescending(i => Share(baseline, i) + Share(current, i)).ThenBy(i => i, StringComparer.Ordinal)
            .Take(MaxCategories).ToList();
        var bins = items.Select(i => new DistributionBin(i, null, null, baseline is null ? null : Share(baseline, i), current is null ? null : Share(current, i))).ToList();
        var restB = baseline is null ? (double?)null : Math.Max(0, 1 - bins.Sum(b => b.Baseline ?? 0));
        var restC = current is null ? (double?)null : Math.Max(0, 1 - bins.Sum(b => b.Current ?? 0));
        if ((restB ?? 0) > 1e-9 || (restC ?? 0) > 1e-9)
        {
            bins.Add(new DistributionBin("(other)", null, null, restB, restC));
        }

        return bins;
    }

    private static string Label(double low, double high) =>
        FormattableString.Invariant($"{MonitorFormat(low)}–{MonitorFormat(high)}");

    private static string MonitorFormat(double value) =>
        value.ToString(Math.Abs(value) is >= 1e-3 and < 1e7 or 0 ? "#,0.##" : "0.##e+0", System.Globalization.CultureInfo.InvariantCulture);
}

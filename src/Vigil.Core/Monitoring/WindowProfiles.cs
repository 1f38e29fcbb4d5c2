using Vigil.Profiles;

namespace Vigil.Monitoring;

/// <summary>
/// Everything collected in one window for one (service, version, arm): a profile per feature and per output
/// pseudo-feature, schema-violation counts per feature, request and error counts. Windows are one minute at the base
/// and merge into hours and days (and into a monitor's longer window); windows from several replicas merge the same way.
/// Not thread-safe: one writer.
/// </summary>
public sealed class WindowProfiles(DateTimeOffset start, TimeSpan length)
{
    /// <summary>The length of a base window.</summary>
    public static readonly TimeSpan BaseLength = TimeSpan.FromMinutes(1);

    public DateTimeOffset Start { get; private set; } = start;

    public TimeSpan Length { get; private set; } = length;

    public DateTimeOffset End => Start + Length;

    public long Requests { get; set; }

    public long Errors { get; set; }

    /// <summary>Profiles by feature name (output pseudo-features start with '@').</summary>
    public Dictionary<string, FeatureProfile> Profiles { get; } = new(StringComparer.Ordinal);

    /// <summary>Schema violations by feature name.</summary>
    public Dictionary<string, long> Violations { get; } = new(StringComparer.Ordinal);

    /// <summary>Schema violations the gateway's validator found, by feature and kind (<c>missing</c>, <c>unknown</c>, <c>wrong_type</c>, <c>null</c>, <c>not_finite</c>, <c>out_of_range</c>, <c>unseen_category</c>).</summary>
    public Dictionary<string, Dictionary<string, long>> ViolationKinds { get; } = new(StringComparer.Ordinal);

    /// <summary>
    /// The names of features the service's schema does not declare whose values this window profiles and counts by name.
    /// A client names them, so the folder bounds how many a window takes (<see cref="TrackUnknown"/>); a merged window
    /// holds the union of its parts'.
    /// </summary>
    public IReadOnlySet<string> UnknownFeatures => (IReadOnlySet<string>?)_unknown ?? NoNames;

    private static readonly HashSet<string> NoNames = [];

    private HashSet<string>? _unknown;

    /// <summary>
    /// Whether the unknown feature <paramref name="feature"/> is profiled and counted by name in this window: true when
    /// it already is, or when fewer than <paramref name="limit"/> unknown features are (it is taken); false once the
    /// window holds <paramref name="limit"/> others, and the caller counts its value in an overflow bucket instead.
    /// </summary>
    public bool TrackUnknown(string feature, int limit)
    {
        _unknown ??= new HashSet<string>(StringComparer.Ordinal);
        if (_unknown.Contains(feature))
        {
            return true;
        }

        if (_unknown.Count >= limit)
        {
            return false;
        }

        _unknown.Add(feature);
        return true;
    }

    /// <summary>The start of the base window that holds <paramref name="time"/>.</summary>
    public static DateTimeOffset Floor(DateTimeOffset time, TimeSpan length) => Instants.Floor(time, length);

    /// <summary>The numeric profile of <paramref name="feature"/>, created on first use.</summary>
    public FeatureProfile Numeric(string feature)
    {
        if (!Profiles.TryGetValue(feature, out var profile))
        {
            profile = FeatureProfile.CreateNumeric(seed: (ulong)Start.UtcTicks);
            Profiles[feature] = profile;
        }

        return profile;
    }

    /// <summary>The categorical profile of <paramref name="feature"/>, created on first use.</summary>
    public FeatureProfile Categorical(string feature)
    {
        if (!Profiles.TryGetValue(feature, out var profile))
        {
            profile = FeatureProfile.CreateCategorical();
            Profiles[feature] = profile;
        }

        return profile;
    }

    public void AddViolation(string feature, long count = 1) =>
        Violations[feature] = Violations.GetValueOrDefault(feature) + count;

    /// <summary>Counts <paramref name="count"/> violations of <paramref name="kind"/> on <paramref name="feature"/> in <see cref="ViolationKinds"/>.</summary>
    public void AddViolationKind(string feature, string kind, long count = 1)
    {
        if (!ViolationKinds.TryGetValue(feature, out var kinds))
        {
            kinds = new Dictionary<string, long>(StringComparer.Ordinal);
            ViolationKinds[feature] = kinds;
        }

        kinds[kind] = kinds.GetValueOrDefault(kind) + count;
    }

    /// <summary>Adds <paramref name="other"/> (the same or an adjacent window) into this one; the span grows to cover both.</summary>
    public void Merge(WindowProfiles other) => Merge(other, null);

    /// <summary>As <see cref="Merge(WindowProfiles)"/>, keeping only the profiles of features <paramref name="wanted"/> accepts.</summary>
    public void Merge(WindowProfiles other, Func<string, bool>? wanted)
    {
        ArgumentNullException.ThrowIfNull(other);
        var start = other.Start < Start ? other.Start : Start;
        var end = other.End > End ? other.End : End;
        Start = start;
        Length = end - start;
        Requests += other.Requests;
        Errors += other.Errors;
        foreach (var (feature, profile) in other.Profiles)
        {
            if (wanted is not null && !wanted(feature))
            {
                continue;
            }

            if (Profiles.TryGetValue(feature, out var mine))
            {
                if (mine.Kind == profile.Kind)
                {
                    mine.Merge(profile);
                }
            }
            else
            {
                Profiles[feature] = profile.Clone();
            }
        }

        foreach (var (feature, count) in other.Violations)
        {
            AddViolation(feature, count);
        }

        if (other._unknown is { Count: > 0 } unknown)
        {
            _unknown ??= new HashSet<string>(StringComparer.Ordinal);
            _unknown.UnionWith(unknown);
        }

        foreach (var (feature, kinds) in other.ViolationKinds)
        {
            foreach (var (kind, count) in kinds)
            {
                AddViolationKind(feature, kind, count);
            }
        }
    }

    /// <summary>A new window holding the merge of <paramref name="windows"/>; null when there are none.</summary>
    public static WindowProfiles? MergeAll(IEnumerable<WindowProfiles> windows, Func<string, bool>? wanted = null)
    {
        WindowProfiles? merged = null;
        foreach (var window in windows)
        {
            if (merged is null)
            {
                merged = new WindowProfiles(window.Start, window.Length);
            }

            merged.Merge(window, wanted);
        }

        return merged;
    }
}

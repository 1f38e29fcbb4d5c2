using System.Text.Json.Serialization;

namespace Vigil.Statistics;

/// <summary>The statistic that decides whether a column drifted (see <see cref="DriftOptions"/> for the default rule).</summary>
public enum DriftMethod
{
    /// <summary>Kolmogorov–Smirnov (numeric): drifted when the adjusted p-value is below α.</summary>
    [JsonStringEnumMemberName("ks")]
    Ks,

    /// <summary>Chi-squared test of homogeneity (categorical): drifted when the adjusted p-value is below α.</summary>
    [JsonStringEnumMemberName("chi2")]
    Chi2,

    /// <summary>Population stability index (either type): drifted when PSI ≥ the threshold (0.25, the major band, by default).</summary>
    [JsonStringEnumMemberName("psi")]
    Psi,

    /// <summary>Nothing to compare: one side has no non-null value. Never drifted; the null rates tell the story.</summary>
    [JsonStringEnumMemberName("none")]
    None,
}

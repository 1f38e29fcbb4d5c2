using Vigil.Monitoring;
using Vigil.Predictions;
using Vigil.Registry;
using Vigil.Server.Observability;

namespace Vigil.Server.Monitoring.Layers;

/// <summary>
/// Folds what the gateway's schema validation found in a served request into its window (called from
/// <see cref="LiveMonitoring.Fold"/>): each violation counts once in the feature's violation count (read by the
/// <c>schema_violation_rate</c> monitors) and once under its kind in <see cref="WindowProfiles.ViolationKinds"/>.
/// The gateway refuses missing, wrong-type, null and non-finite values before a record exists (and, under the
/// <c>reject</c> policy, every violation), so the kinds seen here — unknown feature, out of range, unseen category —
/// never overlap with the type errors the profile fold itself detects.
/// </summary>
/// <remarks>
/// Unknown feature names come from clients, so a window counts at most <see cref="LiveMonitoring.MaxUnknownFeatures"/>
/// of them by name (the ones it also profiles); a value of any further one counts once under <see cref="Overflow"/>
/// with the kind <see cref="OverflowKind"/>, and in <c>vigil_monitoring_unknown_features_overflow_total</c>.
/// </remarks>
public static class InputLayerFold
{
    /// <summary>The feature name the values of unknown features beyond a window's bound count under.</summary>
    public const string Overflow = "(overflow)";

    /// <summary>The violation kind of those values.</summary>
    public const string OverflowKind = "unknown_feature_overflow";

    /// <summary>Counts <paramref name="record"/>'s violations in <paramref name="window"/>, at most <paramref name="maxUnknownFeatures"/> unknown names by name.</summary>
    public static void Fold(WindowProfiles window, PredictionRecord record, int maxUnknownFeatures, VigilMetrics? metrics = null)
    {
        ArgumentNullException.ThrowIfNull(window);
        ArgumentNullException.ThrowIfNull(record);
        if (record.Violations is not { Count: > 0 } violations)
        {
            return;
        }

        var overflow = 0;
        foreach (var violation in violations)
        {
            if (violation.Kind == ViolationKind.Unknown && !window.TrackUnknown(violation.Feature, maxUnknownFeatures))
            {
                overflow++;
                continue;
            }

            window.AddViolation(violation.Feature);
            window.AddViolationKind(violation.Feature, VigilMetrics.ViolationLabel(violation.Kind));
        }

        if (overflow > 0)
        {
            window.AddViolation(Overflow, overflow);
            window.AddViolationKind(Overflow, OverflowKind, overflow);
            metrics?.UnknownFeatureOverflow(record.Service, overflow);
        }
    }
}

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
public static class InputLayerFold
{
    /// <summary>At most this many distinct unknown feature names are kept per window; the rest count under <c>(unknown)</c>.</summary>
    public const int MaxUnknownNames = 32;

    /// <summary>The feature name unknown features beyond <see cref="MaxUnknownNames"/> count under.</summary>
    public const string OtherUnknown = "(unknown)";

    public static void Fold(WindowProfiles window, PredictionRecord record)
    {
        if (record.Violations is not { Count: > 0 } violations)
        {
            return;
        }

        foreach (var violation in violations)
        {
            var feature = violation.Feature;
            if (violation.Kind == ViolationKind.Unknown && !window.ViolationKinds.ContainsKey(feature)
                && window.ViolationKinds.Count(k => k.Value.ContainsKey("unknown")) >= MaxUnknownNames)
            {
                feature = OtherUnknown;
            }

            window.AddViolation(feature);
            window.AddViolationKind(feature, VigilMetrics.ViolationLabel(violation.Kind));
        }
    }
}

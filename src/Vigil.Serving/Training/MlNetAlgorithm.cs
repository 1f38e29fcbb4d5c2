namespace Vigil.Serving.Training;

/// <summary>The learner the built-in trainer fits.</summary>
public enum MlNetAlgorithm
{
    /// <summary>Gradient-boosted trees (ML.NET FastTree) with Platt calibration: handles non-linear rules; the default.</summary>
    FastTree,
    /// <summary>Logistic regression by SDCA on min-max normalised features: small and fast, linear.</summary>
    SdcaLogisticRegression,
}

namespace Vigil.Pipelines;

/// <summary>
/// Validation metrics against human accept/reject (docs/pipelines.md, "Validation"): the false-negative rate is the share of
/// outputs humans rejected that the validator passed; the false-positive rate the share of outputs humans accepted that it blocked.
/// </summary>
public static class ValidationMetrics
{
    /// <summary>Passed-but-rejected / rejected; null when humans rejected nothing.</summary>
    public static double? FalseNegativeRate(int passedButRejected, int rejected) =>
        Rate(passedButRejected, rejected);

    /// <summary>Blocked-but-accepted / accepted; null when humans accepted nothing.</summary>
    public static double? FalsePositiveRate(int blockedButAccepted, int accepted) =>
        Rate(blockedButAccepted, accepted);

    private static double? Rate(int part, int whole)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(part);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(part, whole);
        return whole == 0 ? null : part / (double)whole;
    }
}

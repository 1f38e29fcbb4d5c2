namespace Vigil.Server.Retraining;

/// <summary>Where the retraining loop keeps its files.</summary>
public sealed class RetrainingOptions
{
    /// <summary>
    /// The folder for exported training data and trained models, one subfolder per service and job. Default
    /// <c>$VIGIL_ARTIFACTS</c>, else <c>vigil-artifacts</c> in the working directory.
    /// </summary>
    public string ArtifactsDirectory { get; set; } =
        Environment.GetEnvironmentVariable(Hosting.VigilEnvironment.Artifacts) is { Length: > 0 } configured ? configured : Path.GetFullPath("vigil-artifacts");

    /// <summary>The folder of one job's files.</summary>
    public string JobDirectory(string service, string jobId) => Path.Combine(ArtifactsDirectory, service, jobId);
}

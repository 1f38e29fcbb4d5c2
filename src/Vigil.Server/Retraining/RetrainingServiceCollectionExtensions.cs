using Vigil.Retraining;

namespace Vigil.Server.Retraining;

/// <summary>Registers the retraining loop.</summary>
public static class RetrainingServiceCollectionExtensions
{
    public static IServiceCollection AddVigilRetraining(this IServiceCollection services)
    {
        services.AddSingleton(sp => sp.GetService<Microsoft.Extensions.Options.IOptions<Hosting.VigilServerOptions>>()?.Value.ArtifactsDirectory is { } folder
            ? new RetrainingOptions { ArtifactsDirectory = Path.GetFullPath(folder) }
            : new RetrainingOptions());
        services.AddSingleton<RetrainingService>();
        services.AddSingleton<IRetrainTrigger>(sp => sp.GetRequiredService<RetrainingService>());
        services.AddSingleton<CandidateEvaluator>();
        services.AddSingleton<HandsOffRelease>();
        services.AddSingleton<DetectionDrill>();
        services.AddSingleton<JobRunner>();
        services.AddHttpClient(JobRunner.ClientName);
        services.AddSingleton<RetrainingController>();
        services.AddHostedService(sp => sp.GetRequiredService<RetrainingController>());
        return services;
    }
}

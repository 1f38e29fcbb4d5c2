using Vigil.Retraining;

namespace Vigil.Server.Retraining;

/// <summary>Registers the retraining loop.</summary>
public static class RetrainingServiceCollectionExtensions
{
    public static IServiceCollection AddVigilRetraining(this IServiceCollection services)
    {
        services.AddSingleton<RetrainingOptions>();
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

using System.Globalization;
using Vigil.Registry;
using Vigil.Server.Api;
using Vigil.Serving.Training;

namespace Vigil.Cli.Demo;

/// <summary>Trains a model for a scenario and registers it as a new version of the <c>recommender</c> through the API.</summary>
internal static class DemoModels
{
    /// <summary>
    /// Trains an ML.NET classifier on <paramref name="examples"/> labelled by <paramref name="label"/>, saves it to
    /// <c>models/{fileName}</c> in the demo folder and registers it as a new version (no alias: a release brings it in).
    /// </summary>
    public static async Task<VersionView> TrainAndRegisterAsync(
        DemoContext context,
        string fileName,
        string what,
        IReadOnlyList<RecommendationExample> examples,
        Func<RecommendationExample, bool> label,
        int seed,
        IReadOnlyDictionary<string, string> metadata,
        CancellationToken cancellationToken)
    {
        var path = Path.Combine(context.Folder, "models", fileName);
        var training = await context.Console.StepAsync(
            $"Training {what} on {examples.Count:N0} rows",
            () => Task.Run(
                () => MlNetTrainer.Train(
                    RecommendationDataGenerator.ServiceDefinition(DateTimeOffset.UnixEpoch),
                    [.. examples.Select(e => e.ToInputRow())],
                    [.. examples.Select(label)],
                    path,
                    new MlNetTrainingOptions { Seed = seed },
                    cancellationToken),
                cancellationToken),
            result => result.IsSuccess
                ? $"saved to models/{fileName}, offline AUC {result.Value!.Metrics.GetValueOrDefault("auc"):0.000}"
                : "training failed");
        if (!training.IsSuccess)
        {
            throw new InvalidOperationException($"training {what} failed: {training.Failure!.Message}");
        }

        var allMetadata = new Dictionary<string, string>(metadata, StringComparer.Ordinal)
        {
            ["author"] = "vigil demo",
            ["training_rows"] = examples.Count.ToString(CultureInfo.InvariantCulture),
            ["seed"] = seed.ToString(CultureInfo.InvariantCulture),
        };
        return await context.Console.StepAsync(
            "Registering it through POST /v1/services/recommender/versions",
            () => context.Api.RegisterVersionAsync(
                RecommendationDataGenerator.ServiceName,
                new RegisterVersionRequest(new BackendSpec(BackendKind.Mlnet, path), allMetadata, training.Value!.Metrics),
                cancellationToken),
            version => $"version {version.Number}");
    }
}

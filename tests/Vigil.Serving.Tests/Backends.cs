using Microsoft.Extensions.DependencyInjection;
using Vigil.Registry;
using Vigil.Serving.Loading;

namespace Vigil.Serving.Tests;

/// <summary>Loads backends through the real DI registration of <see cref="ServingServiceCollectionExtensions.AddVigilServing"/>.</summary>
internal static class Backends
{
    private static readonly ServiceProvider Provider = new ServiceCollection().AddVigilServing().BuildServiceProvider();

    public static IBackendLoader Loader => Provider.GetRequiredService<IBackendLoader>();

    public static Task<Result<IModelBackend>> LoadAsync(BackendSpec backend, ServiceDefinition? service = null) =>
        Loader.LoadAsync(service ?? SyntheticData.Service, SyntheticData.Version(backend, service: (service ?? SyntheticData.Service).Name), TestContext.Current.CancellationToken);

    public static async Task<IModelBackend> LoadOkAsync(BackendSpec backend, ServiceDefinition? service = null)
    {
        var result = await LoadAsync(backend, service);
        Assert.True(result.IsSuccess, result.Failure?.Message);
        return result.Value!;
    }

    public static ServiceDefinition WithInputs(params FeatureSpec[] inputs) => SyntheticData.Service with { Inputs = inputs };
}

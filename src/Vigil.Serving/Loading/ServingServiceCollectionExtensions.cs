using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Vigil.Serving.Loading;

/// <summary>Registers Vigil's model backends.</summary>
public static class ServingServiceCollectionExtensions
{
    /// <summary>
    /// Adds <see cref="IBackendLoader"/> (the default <see cref="BackendLoader"/>), a singleton <see cref="BackendCache"/>,
    /// <see cref="TimeProvider.System"/> unless a <see cref="TimeProvider"/> is registered, and the named
    /// <see cref="HttpClient"/> <c>Vigil.Serving.Http</c> of the http backend: pooled connections recycled every two minutes
    /// (so DNS changes are seen), a 5-second connect timeout, no client-wide timeout (each version's own timeout applies).
    /// </summary>
    public static IServiceCollection AddVigilServing(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.TryAddSingleton(TimeProvider.System);
        services.AddHttpClient(BackendLoader.HttpClientName, client => client.Timeout = Timeout.InfiniteTimeSpan)
            .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler
            {
                PooledConnectionLifetime = TimeSpan.FromMinutes(2),
                ConnectTimeout = TimeSpan.FromSeconds(5),
                AutomaticDecompression = DecompressionMethods.All,
            })
            .SetHandlerLifetime(Timeout.InfiniteTimeSpan);
        services.TryAddSingleton<IBackendLoader, BackendLoader>();
        services.TryAddSingleton<BackendCache>();
        return services;
    }
}

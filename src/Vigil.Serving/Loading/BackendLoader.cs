using Vigil.Registry;
using Vigil.Serving.Http;
using Vigil.Serving.MlNet;
using Vigil.Serving.Onnx;

namespace Vigil.Serving.Loading;

/// <summary>
/// The default <see cref="IBackendLoader"/>: checks the version's backend spec, then loads by <see cref="BackendKind"/>:
/// ONNX Runtime for <c>onnx</c>, ML.NET for <c>mlnet</c> (both on the thread pool: reading a model file is blocking work),
/// and an HTTP client for <c>http</c>. Each loader's rules are documented on it.
/// </summary>
public sealed class BackendLoader : IBackendLoader
{
    private readonly HttpBackendLoader _http;

    /// <param name="httpClients">Pooled clients for the http backend (the <c>Vigil.Serving.Http</c> named client).</param>
    /// <param name="time">The clock of the http backend's timeouts.</param>
    public BackendLoader(IHttpClientFactory httpClients, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(httpClients);
        ArgumentNullException.ThrowIfNull(time);
        _http = new HttpBackendLoader(httpClients, time);
    }

    /// <summary>The name of the <see cref="HttpClient"/> the http backend asks <see cref="IHttpClientFactory"/> for.</summary>
    public static string HttpClientName => HttpBackendLoader.HttpClientName;

    public async Task<Result<IModelBackend>> LoadAsync(ServiceDefinition service, ModelVersion version, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(service);
        ArgumentNullException.ThrowIfNull(version);
        if (!string.Equals(service.Name, version.Service, StringComparison.Ordinal))
        {
            return Failure.Invalid($"version {version.Number} belongs to service '{version.Service}', not '{service.Name}'");
        }

        if (version.Backend is null)
        {
            return Failure.Invalid($"version {version.Number} of '{service.Name}' has no backend");
        }

        var errors = version.Backend.Validate();
        if (errors.Count > 0)
        {
            return Failure.Invalid($"the backend of '{service.Name}' v{version.Number} is not valid: {string.Join("; ", errors)}", errors);
        }

        return version.Backend.Kind switch
        {
            BackendKind.Onnx => await Task.Run(() => OnnxBackendLoader.Load(service, version), cancellationToken),
            BackendKind.Mlnet => await Task.Run(() => MlNetBackendLoader.Load(service, version), cancellationToken),
            BackendKind.Http => await _http.LoadAsync(service, version, cancellationToken),
            _ => Failure.Invalid($"unknown backend kind '{version.Backend.Kind}'"),
        };
    }
}

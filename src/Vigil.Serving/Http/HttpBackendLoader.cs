using System.Text.Json;
using System.Text.Json.Nodes;
using Vigil.Registry;

namespace Vigil.Serving.Http;

/// <summary>
/// Connects an <see cref="BackendKind.Http"/> version and checks that the remote answers before it is used.
/// <list type="bullet">
/// <item><b>v2</b>: <c>GET {location}/v2/models/{model}/ready</c> must answer 2xx (else <see cref="FailureKind.Unavailable"/>).
/// Then <c>GET {location}/v2/models/{model}</c> is read when the remote publishes it: each declared input must be a feature
/// of the service with a compatible datatype (else <see cref="FailureKind.Invalid"/>), and only those inputs are sent, with
/// those datatypes. Without metadata every feature is sent with a default datatype.</item>
/// <item><b>json</b>: one real prediction with a row of default values (0, false, the first declared category or "") must
/// answer 2xx with one prediction; the plain JSON protocol has no readiness endpoint, and this also proves the answer's
/// shape.</item>
/// </list>
/// Both checks use the version's timeout.
/// </summary>
internal sealed class HttpBackendLoader
{
    /// <summary>The name of the <see cref="HttpClient"/> the http backend asks <see cref="IHttpClientFactory"/> for.</summary>
    public const string HttpClientName = "Vigil.Serving.Http";

    private readonly IHttpClientFactory _clients;
    private readonly TimeProvider _time;

    public HttpBackendLoader(IHttpClientFactory clients, TimeProvider time)
    {
        _clients = clients;
        _time = time;
    }

    public async Task<Result<IModelBackend>> LoadAsync(ServiceDefinition service, ModelVersion version, CancellationToken cancellationToken)
    {
        var spec = version.Backend;
        var client = new RemoteModelClient(_clients, _time, spec.Timeout);
        try
        {
            return spec.Protocol == HttpProtocol.Json
                ? await LoadJsonAsync(client, service, spec, cancellationToken)
                : await LoadV2Async(client, service, spec, cancellationToken);
        }
        catch (BackendException e)
        {
            return Failure.Unavailable($"{e.Message}; check that the model server is running and reachable from Vigil");
        }
    }

    private static async Task<Result<IModelBackend>> LoadV2Async(RemoteModelClient client, ServiceDefinition service, BackendSpec spec, CancellationToken cancellationToken)
    {
        var model = Uri.EscapeDataString(spec.Model ?? service.Name);
        await client.SendAsync(HttpMethod.Get, RemoteModelClient.Combine(spec.Location, $"v2/models/{model}/ready"), null, cancellationToken);

        JsonNode? metadata;
        try
        {
            metadata = await client.SendAsync(HttpMethod.Get, RemoteModelClient.Combine(spec.Location, $"v2/models/{model}"), null, cancellationToken);
        }
        catch (BackendException e) when (e.InnerException is null or JsonException)
        {
            metadata = null; // the remote answered, without metadata: send every feature with default datatypes
        }

        var inputs = new List<V2Input>();
        var errors = new List<string>();
        if (metadata?["inputs"] is JsonArray declared && declared.Count > 0)
        {
            foreach (var input in declared)
            {
                var name = input?["name"]?.GetValueKind() == JsonValueKind.String ? input["name"]!.GetValue<string>() : null;
                var datatype = input?["datatype"]?.GetValueKind() == JsonValueKind.String ? input["datatype"]!.GetValue<string>() : null;
                var index = name is null ? -1 : IndexOf(service, name);
                if (index < 0)
                {
                    errors.Add($"remote model input '{name}' has no feature of that name in service '{service.Name}'");
                    continue;
                }

                var feature = service.Inputs[index];
                datatype ??= V2Input.DefaultDatatype(feature.Type);
                if (!V2Input.IsCompatible(feature.Type, datatype))
                {
                    errors.Add($"remote model input '{name}' is {datatype} but feature '{feature.Name}' is {feature.Type.ToString().ToLowerInvariant()}");
                    continue;
                }

                inputs.Add(new V2Input(name!, index, datatype));
            }
        }
        else
        {
            inputs.AddRange(service.Inputs.Select((f, i) => new V2Input(f.Name, i, V2Input.DefaultDatatype(f.Type))));
        }

        if (errors.Count > 0)
        {
            return Failure.Invalid($"the remote model at {spec.Location} does not match the schema of service '{service.Name}': {string.Join("; ", errors)}", errors);
        }

        var infer = RemoteModelClient.Combine(spec.Location, $"v2/models/{model}/infer");
        return Result<IModelBackend>.Ok(new V2HttpBackend(client, infer, service.Output, inputs));
    }

    private static async Task<Result<IModelBackend>> LoadJsonAsync(RemoteModelClient client, ServiceDefinition service, BackendSpec spec, CancellationToken cancellationToken)
    {
        var backend = new JsonHttpBackend(client, new Uri(spec.Location, UriKind.Absolute), service);
        var probe = new InputRow(service.Inputs.Select(DefaultValue).ToArray());
        var answer = await backend.ProbeAsync([probe], cancellationToken);
        return answer.IsSuccess ? Result<IModelBackend>.Ok(backend) : answer.Failure!;
    }

    private static FeatureValue DefaultValue(FeatureSpec feature) => feature.Type switch
    {
        FeatureType.Number or FeatureType.Integer => FeatureValue.FromNumber(Math.Min(Math.Max(0, feature.Min ?? 0), feature.Max ?? double.MaxValue)),
        FeatureType.Boolean => FeatureValue.FromBoolean(false),
        FeatureType.Category when feature.Categories is [var first, ..] => FeatureValue.FromText(first),
        _ => FeatureValue.FromText(string.Empty),
    };

    private static int IndexOf(ServiceDefinition service, string name)
    {
        for (var i = 0; i < service.Inputs.Count; i++)
        {
            if (string.Equals(service.Inputs[i].Name, name, StringComparison.Ordinal))
            {
                return i;
            }
        }

        return -1;
    }
}

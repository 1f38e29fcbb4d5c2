using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Vigil.Serving.Http;

/// <summary>
/// Sends JSON requests to one remote model with the version's timeout, through a pooled client from
/// <see cref="IHttpClientFactory"/>. Every way the remote can fail (refused connection, no answer in time, a status other
/// than 2xx, a body that is not JSON) becomes a <see cref="BackendException"/> whose message names the URL and what happened.
/// </summary>
internal sealed class RemoteModelClient
{
    private const int MaxErrorBodyLength = 500;
    private static readonly MediaTypeHeaderValue JsonMediaType = new("application/json");

    private readonly IHttpClientFactory _clients;
    private readonly TimeProvider _time;
    private readonly TimeSpan _timeout;

    public RemoteModelClient(IHttpClientFactory clients, TimeProvider time, TimeSpan timeout)
    {
        _clients = clients;
        _time = time;
        _timeout = timeout;
    }

    /// <summary>Sends the request and returns the parsed JSON body, or null when the body is empty.</summary>
    public async Task<JsonNode?> SendAsync(HttpMethod method, Uri uri, JsonNode? body, CancellationToken cancellationToken)
    {
        using var timeout = new CancellationTokenSource(_timeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        using var request = new HttpRequestMessage(method, uri);
        if (body is not null)
        {
            request.Content = new ByteArrayContent(JsonSerializer.SerializeToUtf8Bytes(body));
            request.Content.Headers.ContentType = JsonMediaType;
        }

        var client = _clients.CreateClient(HttpBackendLoader.HttpClientName);
        try
        {
            using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, linked.Token);
            if (!response.IsSuccessStatusCode)
            {
                var text = await response.Content.ReadAsStringAsync(linked.Token);
                if (text.Length > MaxErrorBodyLength)
                {
                    text = text[..MaxErrorBodyLength] + "…";
                }

                throw new BackendException(
                    $"remote model at {uri} answered {(int)response.StatusCode} {response.ReasonPhrase}{(text.Length > 0 ? ": " + text : string.Empty)}");
            }

            var bytes = await response.Content.ReadAsByteArrayAsync(linked.Token);
            if (bytes.Length == 0)
            {
                return null;
            }

            try
            {
                return JsonNode.Parse(bytes);
            }
            catch (JsonException e)
            {
                throw new BackendException($"remote model at {uri} answered with a body that is not JSON: {e.Message}", e);
            }
        }
        catch (OperationCanceledException e) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw new BackendException($"remote model at {uri} did not answer within {(long)_timeout.TotalMilliseconds} ms", e);
        }
        catch (HttpRequestException e)
        {
            throw new BackendException($"remote model at {uri} could not be reached: {e.Message}", e);
        }
    }

    /// <summary>The URL of <paramref name="path"/> under <paramref name="location"/> (a base URL with or without a trailing slash).</summary>
    public static Uri Combine(string location, string path) => new(location.TrimEnd('/') + "/" + path.TrimStart('/'), UriKind.Absolute);
}

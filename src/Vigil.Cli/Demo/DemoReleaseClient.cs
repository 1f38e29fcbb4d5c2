using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Vigil.Cli.Client;
using Vigil.Server.Releases;

namespace Vigil.Cli.Demo;

/// <summary>
/// The release calls of the demo, over real HTTP like any user's: <c>POST /v1/releases</c> with a plan in JSON,
/// <c>GET /v1/releases/{id}</c>, and <c>POST /v1/releases/{id}/kill|resume|abort</c> with a reason. A refusal is a
/// <see cref="VigilApiException"/> (the demo stops with its message), an unreachable server a <see cref="VigilUnreachableException"/>.
/// </summary>
public sealed class DemoReleaseClient : IDisposable
{
    // Vigil's convention, but tolerant of members a newer server adds.
    private static JsonSerializerOptions ReadOptions { get; } = new(VigilJson.Options) { UnmappedMemberHandling = JsonUnmappedMemberHandling.Skip };

    private readonly HttpClient _http;
    private readonly Uri _server;

    /// <summary>Creates a client of the Vigil server at <paramref name="server"/>.</summary>
    public DemoReleaseClient(Uri server)
    {
        ArgumentNullException.ThrowIfNull(server);
        _server = server;
        _http = new HttpClient
        {
            BaseAddress = server.AbsoluteUri.EndsWith('/') ? server : new Uri(server.AbsoluteUri + "/"),
            Timeout = TimeSpan.FromSeconds(30),
        };
    }

    /// <summary>Starts a release: <c>POST /v1/releases</c> with <paramref name="plan"/> (the API's JSON plan: snake_case, units in strings).</summary>
    /// <remarks>
    /// The server stores the release and then takes its first decision; when the release controller's own tick takes that
    /// decision first, the server answers 409 ("changed meanwhile") although the release was created and started. Then
    /// the active release of the service for this challenger (one per service) is the one started, and it is returned.
    /// </remarks>
    public async Task<ReleaseView> StartAsync(JsonObject plan, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(plan);
        try
        {
            return await SendAsync<ReleaseView>(HttpMethod.Post, "v1/releases", plan, cancellationToken);
        }
        catch (VigilApiException ex) when (ex.Status == 409)
        {
            var service = plan["service"]!.GetValue<string>();
            var challenger = plan["challenger"]!.GetValue<int>();
            var active = await SendAsync<ReleaseList>(HttpMethod.Get, $"v1/releases?service={Uri.EscapeDataString(service)}&active=true", null, cancellationToken);
            var started = active.Releases.FirstOrDefault(r => r.Challenger == challenger);
            if (started is null)
            {
                throw;
            }

            return started;
        }
    }

    /// <summary>The release as the API shows it now.</summary>
    public Task<ReleaseView> GetAsync(string id, CancellationToken cancellationToken) =>
        SendAsync<ReleaseView>(HttpMethod.Get, $"v1/releases/{Uri.EscapeDataString(id)}", null, cancellationToken);

    /// <summary>A person's command on a release (<c>kill</c>, <c>resume</c>, <c>abort</c>, <c>pause</c> …) with its reason.</summary>
    public Task<ReleaseView> CommandAsync(string id, string verb, string reason, CancellationToken cancellationToken) =>
        SendAsync<ReleaseView>(HttpMethod.Post, $"v1/releases/{Uri.EscapeDataString(id)}/{verb}", new JsonObject { ["reason"] = reason }, cancellationToken);

    /// <inheritdoc />
    public void Dispose() => _http.Dispose();

    private async Task<T> SendAsync<T>(HttpMethod method, string path, JsonObject? body, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(method, path);
        if (body is not null)
        {
            request.Content = JsonContent.Create(body, options: VigilJson.Options);
        }

        HttpResponseMessage response;
        try
        {
            response = await _http.SendAsync(request, cancellationToken);
        }
        catch (Exception ex) when (ex is HttpRequestException || (ex is TaskCanceledException && !cancellationToken.IsCancellationRequested))
        {
            throw new VigilUnreachableException(_server, ex.Message, ex);
        }

        using (response)
        {
            var text = await response.Content.ReadAsStringAsync(cancellationToken);
            if (!response.IsSuccessStatusCode)
            {
                throw VigilClient.ReadProblem(response, text, method, path);
            }

            return JsonSerializer.Deserialize<T>(text, ReadOptions)
                ?? throw new VigilApiException((int)response.StatusCode, $"{method} /{path} answered with an empty body", null, []);
        }
    }
}

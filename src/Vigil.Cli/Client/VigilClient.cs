using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Vigil.Audit;
using Vigil.Server.Api;

namespace Vigil.Cli.Client;

/// <summary>
/// Typed access to Vigil's /v1 HTTP API, one method per endpoint, with the request and response types of
/// <see cref="Vigil.Server.Api"/> and the JSON convention of <see cref="VigilJson"/>.
/// A non-success answer becomes a <see cref="VigilApiException"/> carrying the server's problem details;
/// a server that cannot be reached becomes a <see cref="VigilUnreachableException"/>.
/// </summary>
public sealed partial class VigilClient : IDisposable
{
    /// <summary>
    /// Vigil's JSON convention for reading answers, made tolerant: members this CLI does not know are skipped (a newer
    /// server's additions do not break an older CLI), and a constructor parameter that is absent is taken as null/default,
    /// because <see cref="VigilJson.Options"/> omits nulls when writing (<c>{"champion": 3}</c> for an <see cref="AliasesView"/>
    /// with no challenger) while it requires every constructor parameter when reading.
    /// </summary>
    internal static JsonSerializerOptions ReadOptions { get; } = Freeze(new JsonSerializerOptions(VigilJson.Options)
    {
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Skip,
        RespectRequiredConstructorParameters = false,
    });

    /// <summary>
    /// Vigil's JSON convention for request bodies, except that nulls are written: <c>{"version": null}</c> clears an alias,
    /// and a server reading with <see cref="VigilJson.Options"/> requires every constructor parameter to be present.
    /// </summary>
    internal static JsonSerializerOptions WriteOptions { get; } = Freeze(new JsonSerializerOptions(VigilJson.Options)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    });

    private readonly HttpClient _http;
    private readonly Uri _server;

    /// <summary>Creates a client for the server at <paramref name="server"/>.</summary>
    /// <param name="server">The server's base address, e.g. <c>http://127.0.0.1:5000</c>.</param>
    /// <param name="apiKey">Sent as <c>Authorization: Bearer</c> when given.</param>
    /// <param name="handler">The HTTP handler (tests); a new <see cref="SocketsHttpHandler"/> when null.</param>
    /// <param name="timeout">How long to wait for an answer. Default 100 s.</param>
    public VigilClient(Uri server, string? apiKey = null, HttpMessageHandler? handler = null, TimeSpan? timeout = null)
    {
        ArgumentNullException.ThrowIfNull(server);
        _server = server.AbsoluteUri.EndsWith('/') ? server : new Uri(server.AbsoluteUri + "/");
        _http = new HttpClient(handler ?? new SocketsHttpHandler { ConnectTimeout = TimeSpan.FromSeconds(10) }, disposeHandler: true)
        {
            BaseAddress = _server,
            Timeout = timeout ?? TimeSpan.FromSeconds(100),
        };
        _http.DefaultRequestHeaders.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        _http.DefaultRequestHeaders.UserAgent.Add(new ProductInfoHeaderValue("vigil-cli", typeof(VigilClient).Assembly.GetName().Version?.ToString(3) ?? "0"));
        if (!string.IsNullOrWhiteSpace(apiKey))
        {
            _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", apiKey.Trim());
        }
    }

    /// <summary>The server's base address.</summary>
    public Uri Server => _server;

    // Services

    public Task<ServiceList> ListServicesAsync(CancellationToken cancellationToken) =>
        SendAsync<ServiceList>(HttpMethod.Get, "v1/services", null, cancellationToken);

    public Task<ServiceView> GetServiceAsync(string service, CancellationToken cancellationToken) =>
        SendAsync<ServiceView>(HttpMethod.Get, $"v1/services/{Segment(service)}", null, cancellationToken);

    public Task<ServiceView> CreateServiceAsync(CreateServiceRequest request, CancellationToken cancellationToken) =>
        SendAsync<ServiceView>(HttpMethod.Post, "v1/services", request, cancellationToken);

    // Versions

    public Task<VersionView> RegisterVersionAsync(string service, RegisterVersionRequest request, CancellationToken cancellationToken) =>
        SendAsync<VersionView>(HttpMethod.Post, $"v1/services/{Segment(service)}/versions", request, cancellationToken);

    public Task<VersionList> ListVersionsAsync(string service, CancellationToken cancellationToken) =>
        SendAsync<VersionList>(HttpMethod.Get, $"v1/services/{Segment(service)}/versions", null, cancellationToken);

    public Task<VersionView> GetVersionAsync(string service, int version, CancellationToken cancellationToken) =>
        SendAsync<VersionView>(HttpMethod.Get, $"v1/services/{Segment(service)}/versions/{version}", null, cancellationToken);

    // Aliases

    public Task<AliasesView> GetAliasesAsync(string service, CancellationToken cancellationToken) =>
        SendAsync<AliasesView>(HttpMethod.Get, $"v1/services/{Segment(service)}/aliases", null, cancellationToken);

    public Task<AliasesView> SetAliasAsync(string service, string alias, SetAliasRequest request, CancellationToken cancellationToken) =>
        SendAsync<AliasesView>(HttpMethod.Put, $"v1/services/{Segment(service)}/aliases/{Segment(alias)}", request, cancellationToken);

    public Task<AliasesView> PromoteAsync(string service, AliasActionRequest request, CancellationToken cancellationToken) =>
        SendAsync<AliasesView>(HttpMethod.Post, $"v1/services/{Segment(service)}/promote", request, cancellationToken);

    public Task<AliasesView> RollbackAsync(string service, AliasActionRequest request, CancellationToken cancellationToken) =>
        SendAsync<AliasesView>(HttpMethod.Post, $"v1/services/{Segment(service)}/rollback", request, cancellationToken);

    public Task<HistoryView> GetHistoryAsync(string service, DateTimeOffset? at, CancellationToken cancellationToken) =>
        SendAsync<HistoryView>(HttpMethod.Get, $"v1/services/{Segment(service)}/history" + Query(("at", Time(at))), null, cancellationToken);

    // Status

    public Task<ServiceStatusView> GetServiceStatusAsync(string service, DateTimeOffset? since, CancellationToken cancellationToken) =>
        SendAsync<ServiceStatusView>(HttpMethod.Get, $"v1/services/{Segment(service)}/status" + Query(("since", Time(since))), null, cancellationToken);

    public Task<StatusView> GetStatusAsync(CancellationToken cancellationToken) =>
        SendAsync<StatusView>(HttpMethod.Get, "v1/status", null, cancellationToken);

    // Audit

    public Task<AuditList> QueryAuditAsync(AuditQuery query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        var path = "v1/audit" + Query(
            ("service", query.Service),
            ("actor", query.Actor),
            ("action", query.Action),
            ("since", Time(query.Since)),
            ("until", Time(query.Until)),
            ("limit", query.Limit.ToString()),
            ("before_id", query.BeforeId?.ToString()));
        return SendAsync<AuditList>(HttpMethod.Get, path, null, cancellationToken);
    }

    // Keys

    public Task<CreatedKeyView> CreateKeyAsync(CreateKeyRequest request, CancellationToken cancellationToken) =>
        SendAsync<CreatedKeyView>(HttpMethod.Post, "v1/keys", request, cancellationToken);

    public Task<KeyList> ListKeysAsync(CancellationToken cancellationToken) =>
        SendAsync<KeyList>(HttpMethod.Get, "v1/keys", null, cancellationToken);

    public Task<KeyView> RevokeKeyAsync(string id, CancellationToken cancellationToken) =>
        SendAsync<KeyView>(HttpMethod.Delete, $"v1/keys/{Segment(id)}", null, cancellationToken);

    public void Dispose() => _http.Dispose();

    private async Task<T> SendAsync<T>(HttpMethod method, string path, object? body, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(method, path);
        if (body is not null)
        {
            request.Content = JsonContent.Create(body, body.GetType(), options: WriteOptions);
        }

        HttpResponseMessage response;
        try
        {
            response = await _http.SendAsync(request, HttpCompletionOption.ResponseContentRead, cancellationToken);
        }
        catch (HttpRequestException ex)
        {
            throw new VigilUnreachableException(_server, Describe(ex), ex);
        }
        catch (TaskCanceledException ex) when (!cancellationToken.IsCancellationRequested)
        {
            throw new VigilUnreachableException(_server, $"no answer within {_http.Timeout.TotalSeconds:0} s", ex);
        }

        using (response)
        {
            var text = await response.Content.ReadAsStringAsync(cancellationToken);
            if (!response.IsSuccessStatusCode)
            {
                throw ReadProblem(response, text, method, path);
            }

            try
            {
                return JsonSerializer.Deserialize<T>(text, ReadOptions)
                    ?? throw new JsonException("the body is null");
            }
            catch (JsonException ex)
            {
                throw new VigilApiException(
                    (int)response.StatusCode,
                    "Unexpected answer",
                    $"the server at {_server.GetLeftPart(UriPartial.Authority)} answered {method} /{path} with JSON this vigil does not understand ({ex.Message}); is --server pointing at a Vigil of the same version?",
                    []);
            }
        }
    }

    /// <summary>Turns an error answer into an exception: the problem details when there are some, else a message naming the status.</summary>
    internal static VigilApiException ReadProblem(HttpResponseMessage response, string text, HttpMethod method, string path)
    {
        var status = (int)response.StatusCode;
        var title = response.ReasonPhrase ?? $"HTTP {status}";
        string? detail = null;
        var errors = new List<string>();
        var parsed = false;
        try
        {
            using var document = JsonDocument.Parse(text);
            if (document.RootElement.ValueKind == JsonValueKind.Object)
            {
                var root = document.RootElement;
                parsed = true;
                if (root.TryGetProperty("title", out var t) && t.ValueKind == JsonValueKind.String)
                {
                    title = t.GetString()!;
                }

                if (root.TryGetProperty("detail", out var d) && d.ValueKind == JsonValueKind.String)
                {
                    detail = d.GetString();
                }

                if (root.TryGetProperty("errors", out var e))
                {
                    ReadErrors(e, errors);
                }
            }
        }
        catch (JsonException)
        {
            // Not problem details: fall through to a message built from the status.
        }

        if (!parsed)
        {
            detail = status == (int)HttpStatusCode.NotFound || status == (int)HttpStatusCode.MethodNotAllowed
                ? $"the server has no endpoint {method} /{path}; is --server pointing at a Vigil of the same version as this vigil?"
                : $"the server answered {status} {response.ReasonPhrase} without problem details" + (text.Length > 0 ? $": {Truncate(text, 200)}" : string.Empty);
        }

        // A failure often repeats its message (or the message is built from its errors): show each fact once.
        errors.RemoveAll(error => detail is not null && detail.Contains(error, StringComparison.Ordinal));
        return new VigilApiException(status, title, detail, errors);
    }

    private static void ReadErrors(JsonElement element, List<string> errors)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Array:
                foreach (var item in element.EnumerateArray())
                {
                    errors.Add(item.ValueKind == JsonValueKind.String ? item.GetString()! : item.GetRawText());
                }

                break;
            case JsonValueKind.Object:
                foreach (var field in element.EnumerateObject())
                {
                    var prefix = field.Name.Length == 0 ? string.Empty : field.Name + ": ";
                    if (field.Value.ValueKind == JsonValueKind.Array)
                    {
                        foreach (var item in field.Value.EnumerateArray())
                        {
                            errors.Add(prefix + (item.ValueKind == JsonValueKind.String ? item.GetString() : item.GetRawText()));
                        }
                    }
                    else
                    {
                        errors.Add(prefix + (field.Value.ValueKind == JsonValueKind.String ? field.Value.GetString() : field.Value.GetRawText()));
                    }
                }

                break;
            case JsonValueKind.String:
                errors.Add(element.GetString()!);
                break;
        }
    }

    /// <summary>Why a connection failed, in a few lower-case words.</summary>
    private static string Describe(HttpRequestException ex)
    {
        for (Exception? inner = ex; inner is not null; inner = inner.InnerException)
        {
            if (inner is SocketException socket)
            {
                return socket.SocketErrorCode switch
                {
                    SocketError.ConnectionRefused => "connection refused",
                    SocketError.HostNotFound or SocketError.NoData or SocketError.TryAgain => "unknown host",
                    SocketError.TimedOut => "connection timed out",
                    SocketError.HostUnreachable or SocketError.NetworkUnreachable => "host unreachable",
                    SocketError.ConnectionReset => "connection reset",
                    _ => LowerFirst(socket.Message.TrimEnd('.')),
                };
            }
        }

        return ex.HttpRequestError switch
        {
            HttpRequestError.NameResolutionError => "unknown host",
            HttpRequestError.SecureConnectionError => "TLS handshake failed (is it http rather than https?)",
            HttpRequestError.InvalidResponse or HttpRequestError.ResponseEnded => "it did not answer with HTTP (is it https, or not Vigil?)",
            _ => LowerFirst(ex.Message.TrimEnd('.')),
        };
    }

    private static string LowerFirst(string text) =>
        text.Length > 1 && char.IsUpper(text[0]) && !char.IsUpper(text[1]) ? char.ToLowerInvariant(text[0]) + text[1..] : text;

    private static string Truncate(string text, int max) => text.Length <= max ? text : text[..max] + "…";

    private static string Segment(string value) => Uri.EscapeDataString(value);

    private static string? Time(DateTimeOffset? time) => time?.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss.FFFFFFF'Z'");

    private static string Query(params (string Name, string? Value)[] parameters)
    {
        var builder = new StringBuilder();
        foreach (var (name, value) in parameters)
        {
            if (value is null)
            {
                continue;
            }

            builder.Append(builder.Length == 0 ? '?' : '&').Append(name).Append('=').Append(Uri.EscapeDataString(value));
        }

        return builder.ToString();
    }

    private static JsonSerializerOptions Freeze(JsonSerializerOptions options)
    {
        options.MakeReadOnly(populateMissingResolver: true);
        return options;
    }

    // Flags

    /// <summary>GET /v1/flags, optionally of one service.</summary>
    public Task<FlagList> ListFlagsAsync(string? service, CancellationToken cancellationToken) =>
        SendAsync<FlagList>(HttpMethod.Get, "v1/flags" + Query(("service", service)), null, cancellationToken);

    public Task<FlagView> GetFlagAsync(string key, CancellationToken cancellationToken) =>
        SendAsync<FlagView>(HttpMethod.Get, $"v1/flags/{Segment(key)}", null, cancellationToken);

    public Task<FlagView> CreateFlagAsync(FlagView flag, CancellationToken cancellationToken) =>
        SendAsync<FlagView>(HttpMethod.Post, "v1/flags", flag, cancellationToken);

    /// <summary>PUT /v1/flags/{key}: replaces the definition if the flag is still at <c>flag.Revision</c> (else 409).</summary>
    public Task<FlagView> ReplaceFlagAsync(string key, FlagView flag, CancellationToken cancellationToken) =>
        SendAsync<FlagView>(HttpMethod.Put, $"v1/flags/{Segment(key)}", flag, cancellationToken);

    /// <summary>POST /v1/flags/{key}/on or /off, with the reason for the audit log.</summary>
    public Task<FlagView> SwitchFlagAsync(string key, bool on, string? reason, CancellationToken cancellationToken) =>
        SendAsync<FlagView>(HttpMethod.Post, $"v1/flags/{Segment(key)}/{(on ? "on" : "off")}", new FlagSwitchRequest(reason), cancellationToken);

    public Task<FlagEvaluationView> EvaluateFlagAsync(string key, FlagEvaluateRequest request, CancellationToken cancellationToken) =>
        SendAsync<FlagEvaluationView>(HttpMethod.Post, $"v1/flags/{Segment(key)}/evaluate", request, cancellationToken);

    // Releases

    /// <summary>POST /v1/releases with a plan's JSON (as the YAML reader produced it, so nothing is added or renamed).</summary>
    public Task<Vigil.Server.Releases.ReleaseView> StartReleaseAsync(string planJson, CancellationToken cancellationToken) =>
        SendAsync<Vigil.Server.Releases.ReleaseView>(HttpMethod.Post, "v1/releases", System.Text.Json.Nodes.JsonNode.Parse(planJson), cancellationToken);

    /// <summary>GET /v1/releases, optionally of one service and only the active ones.</summary>
    public Task<Vigil.Server.Releases.ReleaseList> ListReleasesAsync(string? service, bool activeOnly, CancellationToken cancellationToken) =>
        SendAsync<Vigil.Server.Releases.ReleaseList>(HttpMethod.Get, "v1/releases" + Query(("service", service), ("active", activeOnly ? "true" : null)), null, cancellationToken);

    public Task<Vigil.Server.Releases.ReleaseView> GetReleaseAsync(string id, CancellationToken cancellationToken) =>
        SendAsync<Vigil.Server.Releases.ReleaseView>(HttpMethod.Get, $"v1/releases/{Segment(id)}", null, cancellationToken);

    /// <summary>PUT /v1/releases/{id}/plan: the amended plan's JSON and the reason.</summary>
    public Task<Vigil.Server.Releases.ReleaseView> AmendReleaseAsync(string id, string planJson, string reason, CancellationToken cancellationToken) =>
        SendAsync<Vigil.Server.Releases.ReleaseView>(
            HttpMethod.Put,
            $"v1/releases/{Segment(id)}/plan",
            new System.Text.Json.Nodes.JsonObject { ["plan"] = System.Text.Json.Nodes.JsonNode.Parse(planJson), ["reason"] = reason },
            cancellationToken);

    /// <summary>POST /v1/releases/{id}/{verb}: pause, resume, abort, approve, promote or kill.</summary>
    public Task<Vigil.Server.Releases.ReleaseView> ReleaseCommandAsync(string id, string verb, string? reason, CancellationToken cancellationToken) =>
        SendAsync<Vigil.Server.Releases.ReleaseView>(HttpMethod.Post, $"v1/releases/{Segment(id)}/{Segment(verb)}", new AliasActionRequest(reason), cancellationToken);
}

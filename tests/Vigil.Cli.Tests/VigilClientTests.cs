using System.Net;
using System.Text;
using Vigil.Cli.Client;
using Vigil.Cli.Commands;

namespace Vigil.Cli.Tests;

public sealed class VigilClientTests
{
    [Fact]
    public async Task ValidationProblem_WithErrorList_CarriesEveryError()
    {
        const string body = """{"title":"Invalid input","status":422,"detail":"the service is not valid","errors":["name 'X' is not valid","inputs: declare at least one feature"]}""";
        using var client = ClientAnswering(HttpStatusCode.UnprocessableEntity, body);

        var ex = await Assert.ThrowsAsync<VigilApiException>(() => client.ListServicesAsync(TestContext.Current.CancellationToken));

        Assert.Equal(422, ex.Status);
        Assert.Equal("Invalid input", ex.Title);
        Assert.Equal("the service is not valid", ex.Detail);
        Assert.Equal(["name 'X' is not valid", "inputs: declare at least one feature"], ex.Errors);
    }

    [Fact]
    public async Task ValidationProblem_WithFieldErrors_PrefixesTheField()
    {
        const string body = """{"title":"Bad request","status":400,"errors":{"backend.location":["is required"],"":["general"]}}""";
        using var client = ClientAnswering(HttpStatusCode.BadRequest, body);

        var ex = await Assert.ThrowsAsync<VigilApiException>(() => client.ListServicesAsync(TestContext.Current.CancellationToken));

        Assert.Equal(["backend.location: is required", "general"], ex.Errors);
    }

    [Fact]
    public async Task Problem_WhoseOnlyErrorRepeatsTheDetail_ListsNoErrors()
    {
        const string body = """{"title":"Conflict","status":409,"detail":"there is no challenger to promote","errors":["there is no challenger to promote"]}""";
        using var client = ClientAnswering(HttpStatusCode.Conflict, body);

        var ex = await Assert.ThrowsAsync<VigilApiException>(() => client.ListServicesAsync(TestContext.Current.CancellationToken));

        Assert.Empty(ex.Errors);
        Assert.Equal("there is no challenger to promote (409 Conflict)", CliContext.Describe(ex));
    }

    [Fact]
    public async Task NotFoundWithoutProblemDetails_AsksWhetherTheServerIsVigil()
    {
        using var client = ClientAnswering(HttpStatusCode.NotFound, "<html>nope</html>");

        var ex = await Assert.ThrowsAsync<VigilApiException>(() => client.ListServicesAsync(TestContext.Current.CancellationToken));

        Assert.Contains("is --server pointing at a Vigil", ex.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Unauthorized_MessageSaysHowToPassAKey()
    {
        using var client = ClientAnswering(HttpStatusCode.Unauthorized, """{"title":"Unauthorized","status":401,"detail":"an API key is required"}""");

        var ex = await Assert.ThrowsAsync<VigilApiException>(() => client.ListServicesAsync(TestContext.Current.CancellationToken));

        Assert.Contains("--api-key", CliContext.Describe(ex), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Request_CarriesBearerKeyAndSnakeCaseBody()
    {
        var handler = new StubHandler(HttpStatusCode.OK, """{"id":"0123456789ab","name":"ci","scopes":["read"],"key":"vgl_x","unknown_future_field":1}""");
        using var client = new VigilClient(new Uri("http://vigil.test:5000"), "vgl_secret", handler);

        var created = await client.CreateKeyAsync(new Server.Api.CreateKeyRequest("ci", ["read"]), TestContext.Current.CancellationToken);

        Assert.Equal("ci", created.Name);
        Assert.Equal("Bearer vgl_secret", handler.LastRequest!.Headers.Authorization!.ToString());
        Assert.Equal("http://vigil.test:5000/v1/keys", handler.LastRequest.RequestUri!.ToString());
        Assert.Equal("""{"name":"ci","scopes":["read"]}""", handler.LastBody);
    }

    [Fact]
    public async Task ClearingAnAlias_SendsAnExplicitNullVersion_AndReadsAnswersWithOmittedNulls()
    {
        var handler = new StubHandler(HttpStatusCode.OK, """{"champion":3,"revision":7}""");
        using var client = new VigilClient(new Uri("http://vigil.test:5000"), null, handler);

        var aliases = await client.SetAliasAsync("fraud", "challenger", new Server.Api.SetAliasRequest(null), TestContext.Current.CancellationToken);

        Assert.Equal("""{"version":null,"reason":null}""", handler.LastBody);
        Assert.Equal(new Server.Api.AliasesView(3, null, null, 7), aliases);
    }

    [Fact]
    public async Task AuditQuery_BuildsTheQueryString()
    {
        var handler = new StubHandler(HttpStatusCode.OK, """{"events":[]}""");
        using var client = new VigilClient(new Uri("http://vigil.test:5000/"), null, handler);
        var since = new DateTimeOffset(2026, 11, 1, 0, 0, 0, TimeSpan.Zero);

        await client.QueryAuditAsync(new Audit.AuditQuery(Service: "fraud", Action: "alias.promoted", Since: since, Limit: 5), TestContext.Current.CancellationToken);

        Assert.Equal("http://vigil.test:5000/v1/audit?service=fraud&action=alias.promoted&since=2026-11-01T00%3A00%3A00Z&limit=5", handler.LastRequest!.RequestUri!.ToString());
    }

    private static VigilClient ClientAnswering(HttpStatusCode status, string body) =>
        new(new Uri("http://vigil.test:5000"), null, new StubHandler(status, body));

    private sealed class StubHandler(HttpStatusCode status, string body) : HttpMessageHandler
    {
        public HttpRequestMessage? LastRequest { get; private set; }

        public string? LastBody { get; private set; }

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            LastRequest = request;
            LastBody = request.Content is null ? null : await request.Content.ReadAsStringAsync(cancellationToken);
            return new HttpResponseMessage(status)
            {
                Content = new StringContent(body, Encoding.UTF8, body.StartsWith('{') ? "application/problem+json" : "text/html"),
            };
        }
    }
}

using System.Net;
using Vigil.Server.Api;
using Vigil.Testing;

namespace Vigil.Server.Tests;

/// <summary><c>/v1/segments</c> through real HTTP, and flags whose rules name a stored segment. Runs against every store.</summary>
public abstract class SegmentTests : ShopServerTests
{
    private const string Segment = """
        {"key": "dach", "description": "German-speaking markets",
         "conditions": [{"attribute": "country", "operator": "in", "values": ["DE", "AT", "CH"]}]}
        """;

    [Fact]
    public async Task FlagNamingAStoredSegment_MatchesItsRequests_AndAChangedSegmentChangesTheNextEvaluation()
    {
        var created = await Server.ReadAsync<SegmentView>(await Server.PostJsonAsync("/v1/segments", Segment));
        Assert.Equal(1, created.Revision);
        await Server.ReadAsync<FlagView>(await Server.PostJsonAsync("/v1/flags", """
            {"key": "dach-ranker", "enabled": true, "rules": [{"segments": ["dach"]}], "default": false}
            """));

        Assert.Equal(("TARGETING_MATCH", true), await EvaluateAsync("AT"));
        Assert.Equal(("DEFAULT", false), await EvaluateAsync("FR"));

        var body = """
            {"key": "dach", "revision": 1, "conditions": [{"attribute": "country", "operator": "in", "values": ["DE", "AT", "CH", "FR"]}]}
            """;
        var put = await Server.Client.PutAsync("/v1/segments/dach", new StringContent(body, System.Text.Encoding.UTF8, "application/json"), TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        Assert.Equal(("TARGETING_MATCH", true), await EvaluateAsync("FR"));

        var list = await Server.GetAsync<SegmentList>("/v1/segments");
        Assert.Equal(2, Assert.Single(list.Segments).Revision);
        var audit = await Server.GetAsync<AuditList>("/v1/audit?action=segment.updated");
        Assert.Contains("\"FR\"", Assert.Single(audit.Events).After);
    }

    [Fact]
    public async Task BadSegmentsAndFlags_AreRefusedWithEveryProblem_AndNothingIsStored()
    {
        var unknown = await Server.PostJsonAsync("/v1/flags", """{"key": "x", "enabled": true, "rules": [{"segments": ["nowhere"]}]}""");
        Assert.Equal(HttpStatusCode.UnprocessableEntity, unknown.StatusCode);
        Assert.Contains("nowhere", await unknown.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));

        var empty = await Server.PostJsonAsync("/v1/segments", """{"key": "Bad Key", "conditions": []}""");
        Assert.Equal(HttpStatusCode.UnprocessableEntity, empty.StatusCode);
        var problem = await empty.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.Contains("2 problems", problem);

        await Server.ReadAsync<SegmentView>(await Server.PostJsonAsync("/v1/segments", Segment));
        Assert.Equal(HttpStatusCode.Conflict, (await Server.PostJsonAsync("/v1/segments", Segment)).StatusCode);
        var stale = await Server.Client.PutAsync(
            "/v1/segments/dach",
            new StringContent("""{"key": "dach", "revision": 7, "conditions": [{"attribute": "country", "operator": "equals", "value": "DE"}]}""", System.Text.Encoding.UTF8, "application/json"),
            TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.Conflict, stale.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await Server.Client.GetAsync("/v1/segments/nope", TestContext.Current.CancellationToken)).StatusCode);
        Assert.Equal(1, Assert.Single((await Server.GetAsync<SegmentList>("/v1/segments")).Segments).Revision);
    }

    private async Task<(string Reason, bool Value)> EvaluateAsync(string country)
    {
        var view = await Server.ReadAsync<FlagEvaluationView>(await Server.PostJsonAsync(
            "/v1/flags/dach-ranker/evaluate", $$$"""{"key": "u1", "attributes": {"country": "{{{country}}}"}}"""));
        return (Vigil.Routing.Flags.EvaluationReasons.Name(view.Reason), view.Value);
    }
}

public sealed class SqliteSegmentTests : SegmentTests
{
    protected override Task<string?> CreateStoreAsync() => Task.FromResult<string?>(null);
}

public sealed class PostgresSegmentTests(PostgresFixture postgres) : SegmentTests
{
    protected override async Task<string?> CreateStoreAsync() => await postgres.CreateDatabaseAsync("segments", TestContext.Current.CancellationToken);
}

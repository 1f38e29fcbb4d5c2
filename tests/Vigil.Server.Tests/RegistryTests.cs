using System.Net;
using Vigil.Audit;
using Vigil.Registry;
using Vigil.Server.Api;

using Vigil.Testing;

namespace Vigil.Server.Tests;

/// <summary>Runs against every store: see <see cref="SqliteRegistryTests"/> and <see cref="PostgresRegistryTests"/>.</summary>
public abstract class RegistryTests : IAsyncLifetime
{
    private RemoteModel _remote = null!;
    private VigilTestServer _server = null!;

    public async ValueTask InitializeAsync()
    {
        _remote = await RemoteModel.StartAsync();
        _server = await VigilTestServer.StartAsync(await CreateStoreAsync());
    }

    /// <summary>The store to run on: null for a fresh SQLite file.</summary>
    protected abstract Task<string?> CreateStoreAsync();

    public async ValueTask DisposeAsync()
    {
        await _server.DisposeAsync();
        await _remote.DisposeAsync();
    }

    [Fact]
    public async Task CreateService_DuplicateName_Returns409AndKeepsTheFirst()
    {
        await _server.CreateShopAsync(_remote);
        var again = await _server.PostAsync("/v1/services", new CreateServiceRequest("shop", [new FeatureSpec("x", FeatureType.Number)], new OutputSpec(OutputKind.Score), "second"));
        await VigilTestServer.ProblemAsync(again, 409);

        var service = await _server.GetAsync<ServiceView>("/v1/services/shop");
        Assert.Equal("test", service.Description);
        Assert.Equal(4, service.Inputs.Count);
    }

    [Fact]
    public async Task CreateService_InvalidDefinition_ListsEveryError()
    {
        var response = await _server.PostJsonAsync("/v1/services", """
            {"name": "Bad_Name", "inputs": [{"name": "a", "type": "number", "min": 5, "max": 1}, {"name": "a", "type": "boolean", "categories": ["x"]}],
             "output": {"kind": "probability"}}
            """);
        var problem = await VigilTestServer.ProblemAsync(response, 422);
        var errors = VigilTestServer.Errors(problem);
        Assert.Contains("name 'Bad_Name' is not valid", errors);
        Assert.Contains("min 5 is greater than max 1", errors);
        Assert.Contains("declared twice", errors);
        Assert.Contains("categories apply only to category features", errors);
    }

    [Fact]
    public async Task CreateService_UnknownEnumValue_Returns400NamingThePath()
    {
        var response = await _server.PostJsonAsync("/v1/services", """{"name": "x", "inputs": [{"name": "a", "type": "float"}], "output": {"kind": "probability"}}""");
        var problem = await VigilTestServer.ProblemAsync(response, 400);
        Assert.Contains("$.inputs[0].type", problem["detail"]!.GetValue<string>());
    }

    [Fact]
    public async Task RegisterVersion_OnnxFileThatDoesNotLoad_Returns422AndWritesNothing()
    {
        await _server.CreateShopAsync(_remote);
        var path = Path.Combine(_server.Directory, "broken.onnx");
        await File.WriteAllTextAsync(path, "this is not a model", TestContext.Current.CancellationToken);

        var response = await _server.PostAsync("/v1/services/shop/versions", new RegisterVersionRequest(new BackendSpec(BackendKind.Onnx, path)));
        var problem = await VigilTestServer.ProblemAsync(response, 422);
        Assert.Contains("broken.onnx", problem["detail"]!.GetValue<string>());

        var versions = await _server.GetAsync<VersionList>("/v1/services/shop/versions");
        Assert.Single(versions.Versions);
        var audit = await _server.GetAsync<AuditList>("/v1/audit?action=version.registered");
        Assert.Single(audit.Events);
    }

    [Fact]
    public async Task RegisterVersion_RemoteThatDoesNotAnswer_Returns422WithTheReason()
    {
        await _server.CreateShopAsync(_remote);
        var response = await _server.PostAsync("/v1/services/shop/versions", new RegisterVersionRequest(new BackendSpec(BackendKind.Http, "http://127.0.0.1:9/", HttpProtocol.Json, TimeoutMs: 500)));
        var problem = await VigilTestServer.ProblemAsync(response, 422);
        Assert.Contains("127.0.0.1:9", problem["detail"]!.GetValue<string>());
        Assert.Single((await _server.GetAsync<VersionList>("/v1/services/shop/versions")).Versions);
    }

    [Fact]
    public async Task RegisterVersion_UnknownService_Returns404()
    {
        var response = await _server.PostAsync("/v1/services/ghost/versions", new RegisterVersionRequest(new BackendSpec(BackendKind.Http, _remote.Url.ToString(), HttpProtocol.Json)));
        await VigilTestServer.ProblemAsync(response, 404);
    }

    [Fact]
    public async Task GetVersion_UnknownNumber_Returns404()
    {
        await _server.CreateShopAsync(_remote);
        var response = await _server.Client.GetAsync("/v1/services/shop/versions/7", TestContext.Current.CancellationToken);
        await VigilTestServer.ProblemAsync(response, 404);
    }

    [Fact]
    public async Task Promote_TakesEffectOnTheNextRequest_AndRollbackRestoresIt()
    {
        await _server.CreateShopAsync(_remote);
        var v2 = await _server.RegisterRemoteAsync(_remote, "shop", "challenger");
        Assert.Equal(2, v2.Number);
        Assert.Equal(["challenger"], v2.Aliases);

        var promoted = await _server.ReadAsync<AliasesView>(await _server.PostAsync("/v1/services/shop/promote", new AliasActionRequest("better offline AUC")));
        Assert.Equal(new AliasesView(2, null, 1, promoted.Revision), promoted);
        Assert.Equal(2, await ServedVersionAsync());

        var rolledBack = await _server.ReadAsync<AliasesView>(await _server.PostAsync("/v1/services/shop/rollback", new AliasActionRequest("canary regressed")));
        Assert.Equal(1, rolledBack.Champion);
        Assert.Equal(2, rolledBack.PreviousChampion);
        Assert.Equal(1, await ServedVersionAsync());

        var audit = await _server.GetAsync<AuditList>("/v1/audit?service=shop");
        Assert.Contains(audit.Events, e => e.Action == AuditActions.AliasPromoted && e.Reason == "better offline AUC");
        Assert.Contains(audit.Events, e => e.Action == AuditActions.AliasRolledBack && e.Reason == "canary regressed");
    }

    [Fact]
    public async Task Promote_WithoutChallenger_Returns409()
    {
        await _server.CreateShopAsync(_remote);
        var response = await _server.PostJsonAsync("/v1/services/shop/promote", "{}");
        var problem = await VigilTestServer.ProblemAsync(response, 409);
        Assert.Contains("no challenger", problem["detail"]!.GetValue<string>());
    }

    [Fact]
    public async Task ConcurrentPromoteAndRollback_OneWinsOtherGets409_AliasesStayConsistent()
    {
        await _server.CreateShopAsync(_remote);
        await _server.RegisterRemoteAsync(_remote, "shop", "challenger");
        await _server.ReadAsync<AliasesView>(await _server.PostJsonAsync("/v1/services/shop/promote", "{}"));
        await _server.RegisterRemoteAsync(_remote, "shop", "challenger");

        // champion 2, previous 1, challenger 3: promote and rollback race from the same revision.
        for (var round = 0; round < 5; round++)
        {
            var before = await _server.GetAsync<AliasesView>("/v1/services/shop/aliases");
            var tasks = new[]
            {
                _server.PostJsonAsync("/v1/services/shop/rollback", "{}"),
                _server.PostJsonAsync("/v1/services/shop/rollback", "{}"),
            };
            var responses = await Task.WhenAll(tasks);
            var codes = responses.Select(r => (int)r.StatusCode).Order().ToList();
            Assert.True(codes.SequenceEqual([200, 200]) || codes.SequenceEqual([200, 409]), string.Join(",", codes));

            var after = await _server.GetAsync<AliasesView>("/v1/services/shop/aliases");
            var wins = codes.Count(c => c == 200);
            Assert.Equal(before.Revision + wins, after.Revision);

            // Each successful rollback swaps champion and previous-champion: the pair is always {1, 2}.
            Assert.Equal([1, 2], new[] { after.Champion!.Value, after.PreviousChampion!.Value }.Order());
            Assert.Equal(wins % 2 == 0 ? before.Champion : before.PreviousChampion, after.Champion);
        }

        var history = await _server.GetAsync<HistoryView>("/v1/services/shop/history");
        var championMoves = history.Changes.Where(c => c.Alias == AliasNames.Champion).ToList();
        for (var i = 1; i < championMoves.Count; i++)
        {
            Assert.Equal(championMoves[i - 1].ToVersion, championMoves[i].FromVersion);
        }
    }

    [Fact]
    public async Task History_AnswersWhichVersionServedAtTimeT()
    {
        await _server.CreateShopAsync(_remote);
        await _server.RegisterRemoteAsync(_remote, "shop", "challenger");
        var history = await _server.GetAsync<HistoryView>("/v1/services/shop/history");
        var championSetAt = history.Changes.Single(c => c.Alias == AliasNames.Champion).At;
        await Task.Delay(20, TestContext.Current.CancellationToken);
        await _server.ReadAsync<AliasesView>(await _server.PostJsonAsync("/v1/services/shop/promote", "{}"));

        var promotedAt = (await _server.GetAsync<HistoryView>("/v1/services/shop/history")).Changes.Last(c => c.Alias == AliasNames.Champion).At;
        var atFirst = await _server.GetAsync<HistoryView>($"/v1/services/shop/history?at={Uri.EscapeDataString(championSetAt.AddTicks(10).ToString("O"))}");
        var atSecond = await _server.GetAsync<HistoryView>($"/v1/services/shop/history?at={Uri.EscapeDataString(promotedAt.AddTicks(10).ToString("O"))}");
        var before = await _server.GetAsync<HistoryView>($"/v1/services/shop/history?at={Uri.EscapeDataString(championSetAt.AddSeconds(-1).ToString("O"))}");

        Assert.Equal(1, atFirst.ChampionAt);
        Assert.Equal(2, atSecond.ChampionAt);
        Assert.Null(before.ChampionAt);
    }

    [Fact]
    public async Task Audit_RecordsEveryControlPlaneChangeWithBeforeAndAfter()
    {
        await _server.CreateShopAsync(_remote);
        var audit = await _server.GetAsync<AuditList>("/v1/audit");
        var actions = audit.Events.Select(e => e.Action).ToList();
        Assert.Contains(AuditActions.ServiceCreated, actions);
        Assert.Contains(AuditActions.VersionRegistered, actions);
        Assert.Contains(AuditActions.AliasSet, actions);
        var alias = audit.Events.Single(e => e.Action == AuditActions.AliasSet);
        Assert.Equal("local", alias.Actor);
        Assert.Contains("\"champion\":1", alias.After!.Replace(" ", "", StringComparison.Ordinal));
    }

    [Fact]
    public async Task UnknownRoute_ReturnsProblemDetails()
    {
        var response = await _server.Client.GetAsync("/v1/nothing-here", TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        await VigilTestServer.ProblemAsync(response, 404);
    }

    private async Task<int> ServedVersionAsync()
    {
        var response = await _server.PostJsonAsync("/v1/services/shop/predict", """{"inputs": {"price": 10, "country": "DE"}}""");
        return (await _server.ReadAsync<PredictResponse>(response)).Version;
    }
}

public sealed class SqliteRegistryTests : RegistryTests
{
    protected override Task<string?> CreateStoreAsync() => Task.FromResult<string?>(null);
}

public sealed class PostgresRegistryTests(PostgresFixture postgres) : RegistryTests
{
    protected override async Task<string?> CreateStoreAsync() => await postgres.CreateDatabaseAsync("reg", TestContext.Current.CancellationToken);
}

using System.Net;
using System.Text.Json.Nodes;
using Npgsql;
using Vigil.Testing;

namespace Vigil.Server.Tests;

/// <summary>
/// <c>/readyz</c> follows the store: ready on a reachable, migrated store; 503 with the reason when the store goes away,
/// while <c>/healthz</c> and the gateway go on answering. On a throwaway PostgreSQL database that the test drops.
/// </summary>
public sealed class ReadinessTests(PostgresFixture postgres)
{
    [Fact]
    public async Task Readyz_WhenThePostgresDatabaseGoesAway_Answers503WithTheReason_WhileHealthzAndPredictGoOn()
    {
        var ct = TestContext.Current.CancellationToken;
        var connectionString = await postgres.CreateDatabaseAsync("ready", ct);
        await using var remote = await RemoteModel.StartAsync();
        await using var server = await VigilTestServer.StartAsync(connectionString);
        await server.CreateShopAsync(remote);
        Assert.Equal(HttpStatusCode.OK, (await server.PostJsonAsync("/v1/services/shop/predict", """{"inputs": {"price": 10, "country": "DE"}}""")).StatusCode);

        var ready = await server.Client.GetAsync("/readyz", ct);
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        Assert.Equal("ready", JsonNode.Parse(await ready.Content.ReadAsStringAsync(ct))!["status"]!.GetValue<string>());

        var database = new NpgsqlConnectionStringBuilder(connectionString).Database;
        await using (var admin = new NpgsqlConnection(postgres.Server.ConnectionString("postgres")))
        {
            await admin.OpenAsync(ct);
            await using var drop = new NpgsqlCommand($"DROP DATABASE \"{database}\" WITH (FORCE)", admin);
            await drop.ExecuteNonQueryAsync(ct);
        }

        var notReady = await server.Client.GetAsync("/readyz", ct);
        var body = JsonNode.Parse(await notReady.Content.ReadAsStringAsync(ct))!;
        Assert.Equal(HttpStatusCode.ServiceUnavailable, notReady.StatusCode);
        Assert.Equal("not ready", body["status"]!.GetValue<string>());
        Assert.Contains(database!, body["error"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, (await server.Client.GetAsync("/healthz", ct)).StatusCode);

        // Fail static: the routing snapshot and the model are in memory, so predictions are still answered.
        Assert.Equal(HttpStatusCode.OK, (await server.PostJsonAsync("/v1/services/shop/predict", """{"inputs": {"price": 10, "country": "DE"}}""")).StatusCode);
    }
}

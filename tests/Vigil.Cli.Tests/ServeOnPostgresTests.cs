using System.Net;
using System.Text;
using System.Text.Json;
using Npgsql;
using Vigil.Testing;

namespace Vigil.Cli.Tests;

/// <summary>
/// The CLI against <c>vigil serve --store postgres://…</c>, a real process on a throwaway PostgreSQL server: the
/// commands of the foundation work on PostgreSQL as they do on SQLite (skipped, with the reason, where PostgreSQL is not
/// installed).
/// </summary>
public sealed class ServeOnPostgresTests(PostgresFixture postgres) : IClassFixture<PostgresFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task ServeOnAPostgresUrl_CliRegistersPromotesRollsBackAndReports_AndARestartKeepsIt()
    {
        var database = new NpgsqlConnectionStringBuilder(await postgres.CreateDatabaseAsync("cli", Ct));
        var store = $"postgres://{PostgresServer.User}@127.0.0.1:{postgres.Server.Port}/{database.Database}";
        var directory = Directory.CreateTempSubdirectory("vigil-serve-pg-");
        await using var model = await FakeJsonModel.StartAsync();
        var server = $"http://127.0.0.1:{Ports.Free()}";
        var vigil = ServeProcess.Start(directory.FullName, "serve", "--urls", server, "--store", store);
        try
        {
            await vigil.WaitUntilHealthyAsync(server);
            Task<CliResult> RunAsync(params string[] args) => Cli.RunAsync(["--server", server, .. args]);

            var steps = new[]
            {
                await RunAsync("services", "create", "--name", "shop", "--input", "price:number:0..", "--output", "probability"),
                await RunAsync("models", "register", "shop", "--backend", "http", "--location", model.Url, "--protocol", "json", "--alias", "champion"),
                await RunAsync("models", "register", "shop", "--backend", "http", "--location", model.Url, "--protocol", "json", "--alias", "challenger"),
                await RunAsync("models", "promote", "shop", "--reason", "canary passed"),
                await RunAsync("models", "rollback", "shop", "--reason", "error rate up"),
            };
            Assert.All(steps, step => Assert.True(step.ExitCode == 0, step.ToString()));

            using var client = new HttpClient { BaseAddress = new Uri(server) };
            using (var content = new StringContent("""{"instances": [{"price": 1}, {"price": 2}, {"price": 3}]}""", Encoding.UTF8, "application/json"))
            using (var response = await client.PostAsync("/v1/services/shop/predict", content, Ct))
            {
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                var requestId = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct)).RootElement.GetProperty("predictions")[0].GetProperty("request_id").GetString();
                using var feedback = new StringContent($$$"""{"request_id": "{{{requestId}}}", "outcomes": {"accepted": true}}""", Encoding.UTF8, "application/json");
                Assert.Equal(HttpStatusCode.OK, (await client.PostAsync("/v1/feedback", feedback, Ct)).StatusCode);
            }

            Assert.Equal(0, await vigil.TerminateAsync());
        }
        finally
        {
            await vigil.DisposeAsync();
        }

        // A second start on the same database: everything is there.
        var again = ServeProcess.Start(directory.FullName, "serve", "--urls", server, "--store", store);
        try
        {
            await again.WaitUntilHealthyAsync(server);
            var status = await Cli.RunAsync("--server", server, "status", "--json");
            var shop = await Cli.RunAsync("--server", server, "status", "shop", "--json");
            var history = await Cli.RunAsync("--server", server, "models", "history", "shop", "--json");
            var audit = await Cli.RunAsync("--server", server, "audit", "--service", "shop", "--since", "1h", "--json");

            Assert.True(status.ExitCode == 0, status.ToString());
            using var statusJson = JsonDocument.Parse(status.Out);
            Assert.StartsWith("postgres", statusJson.RootElement.GetProperty("store").GetString(), StringComparison.Ordinal);
            Assert.True(statusJson.RootElement.GetProperty("store_ready").GetBoolean());
            using var shopJson = JsonDocument.Parse(shop.Out);
            Assert.Equal(1, shopJson.RootElement.GetProperty("aliases").GetProperty("champion").GetInt32());
            var traffic = Assert.Single(shopJson.RootElement.GetProperty("traffic").EnumerateArray());
            Assert.Equal((1, 3), (traffic.GetProperty("version").GetInt32(), traffic.GetProperty("requests").GetInt32()));
            Assert.Equal(1, traffic.GetProperty("outcomes").EnumerateArray().Single().GetProperty("count").GetInt32());
            Assert.True(JsonDocument.Parse(history.Out).RootElement.GetProperty("changes").GetArrayLength() >= 4, history.ToString());
            var actions = JsonDocument.Parse(audit.Out).RootElement.GetProperty("events").EnumerateArray().Select(e => e.GetProperty("action").GetString()).ToList();
            Assert.Contains("alias.promoted", actions);
            Assert.Contains("alias.rolled_back", actions);
            Assert.Equal(2, actions.Count(a => a == "version.registered"));
            Assert.Equal(0, await again.TerminateAsync());
        }
        finally
        {
            await again.DisposeAsync();
            directory.Delete(recursive: true);
        }
    }
}

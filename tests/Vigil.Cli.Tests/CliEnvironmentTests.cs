using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using Vigil.Server.Hosting;

namespace Vigil.Cli.Tests;

/// <summary>
/// What the CLI reads from its environment (<c>VIGIL_SERVER</c>, <c>VIGIL_API_KEY</c>) against a real server that
/// requires keys, and <c>vigil status</c> reporting the recorder's drops: each against a server of its own.
/// </summary>
public sealed class CliEnvironmentTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<CliResult> RunAsync(IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var exitCode = await CliApp.RunAsync(args, stdout, stderr, name => environment.GetValueOrDefault(name), TimeProvider.System, Ct);
        return new CliResult(exitCode, stdout.ToString(), stderr.ToString());
    }

    [Fact]
    public async Task ServerAndApiKey_FromTheEnvironment_AreUsed_AndTheOptionsOverrideThem()
    {
        await using var server = await OwnServer.StartAsync();
        var created = await Cli.RunAsync("--server", server.Url, "keys", "create", "--name", "ops", "--scope", "admin", "--json");
        Assert.True(created.ExitCode == 0, created.ToString());
        var key = JsonDocument.Parse(created.Out).RootElement.GetProperty("key").GetString()!;
        var reader = await Cli.RunAsync("--server", server.Url, "--api-key", key, "keys", "create", "--name", "dash", "--scope", "read", "--json");
        Assert.True(reader.ExitCode == 0, reader.ToString());
        var readKey = JsonDocument.Parse(reader.Out).RootElement.GetProperty("key").GetString()!;

        var fromEnvironment = await RunAsync(new Dictionary<string, string> { ["VIGIL_SERVER"] = server.Url, ["VIGIL_API_KEY"] = key }, "services", "create", "--name", "shop", "--input", "price:number", "--output", "score");
        var noKey = await RunAsync(new Dictionary<string, string> { ["VIGIL_SERVER"] = server.Url }, "services", "list");
        var wrongKeyInEnvironment = await RunAsync(new Dictionary<string, string> { ["VIGIL_SERVER"] = server.Url, ["VIGIL_API_KEY"] = "vgl_000000000000_nope" }, "services", "list", "--json");
        var optionOverridesEnvironment = await RunAsync(new Dictionary<string, string> { ["VIGIL_SERVER"] = server.Url, ["VIGIL_API_KEY"] = "vgl_000000000000_nope" }, "--api-key", readKey, "services", "list", "--json");
        var readScopeCannotWrite = await RunAsync(new Dictionary<string, string> { ["VIGIL_SERVER"] = server.Url, ["VIGIL_API_KEY"] = readKey }, "services", "create", "--name", "other", "--input", "price:number", "--output", "score");
        var serverOptionOverridesEnvironment = await RunAsync(new Dictionary<string, string> { ["VIGIL_SERVER"] = "http://127.0.0.1:9", ["VIGIL_API_KEY"] = key }, "--server", server.Url, "services", "show", "shop", "--json");

        Assert.True(fromEnvironment.ExitCode == 0, fromEnvironment.ToString());
        Assert.Equal(1, noKey.ExitCode);
        Assert.Contains("Pass an API key with --api-key or VIGIL_API_KEY", noKey.Err, StringComparison.Ordinal);
        Assert.Equal(1, wrongKeyInEnvironment.ExitCode);
        Assert.Empty(wrongKeyInEnvironment.Out);
        Assert.True(optionOverridesEnvironment.ExitCode == 0, optionOverridesEnvironment.ToString());
        Assert.Equal(["shop"], JsonDocument.Parse(optionOverridesEnvironment.Out).RootElement.GetProperty("services").EnumerateArray().Select(s => s.GetProperty("name").GetString()));
        Assert.Equal(1, readScopeCannotWrite.ExitCode);
        Assert.Contains("403", readScopeCannotWrite.Err, StringComparison.Ordinal);
        Assert.True(serverOptionOverridesEnvironment.ExitCode == 0, serverOptionOverridesEnvironment.ToString());
        Assert.Equal("shop", JsonDocument.Parse(serverOptionOverridesEnvironment.Out).RootElement.GetProperty("name").GetString());
    }

    [Fact]
    public async Task Status_WhenTheRecorderDrops_ShowsTheDropsAsTableAndAsJson()
    {
        await using var model = await FakeJsonModel.StartAsync();
        await using var server = await OwnServer.StartAsync(recorderCapacity: 1);
        var env = new Dictionary<string, string> { ["VIGIL_SERVER"] = server.Url };
        Assert.Equal(0, (await RunAsync(env, "services", "create", "--name", "shop", "--input", "price:number", "--output", "probability")).ExitCode);
        Assert.Equal(0, (await RunAsync(env, "models", "register", "shop", "--backend", "http", "--location", model.Url, "--protocol", "json", "--alias", "champion")).ExitCode);
        var before = await RunAsync(env, "status");
        Assert.Contains("0 dropped", before.Out, StringComparison.Ordinal);

        // Another process holds the SQLite write lock: the recorder cannot write, its one-record channel fills, and the
        // requests still succeed.
        CliResult table;
        CliResult json;
        await using (var blocker = new SqliteConnection($"Data Source={server.DatabasePath};Pooling=False"))
        {
            await blocker.OpenAsync(Ct);
            await using (var command = blocker.CreateCommand())
            {
                command.CommandText = "BEGIN EXCLUSIVE";
                await command.ExecuteNonQueryAsync(Ct);
            }

            using var client = new HttpClient { BaseAddress = new Uri(server.Url) };
            for (var i = 0; i < 6; i++)
            {
                using var content = new StringContent("""{"inputs": {"price": 10}}""", Encoding.UTF8, "application/json");
                using var response = await client.PostAsync("/v1/services/shop/predict", content, Ct);
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            }

            table = await RunAsync(env, "status");
            json = await RunAsync(env, "status", "--json");
        }

        Assert.True(table.ExitCode == 0, table.ToString());
        Assert.True(json.ExitCode == 0, json.ToString());
        var dropped = JsonDocument.Parse(json.Out).RootElement.GetProperty("recorder").GetProperty("dropped").GetInt64();
        Assert.True(dropped >= 3, $"dropped {dropped}");
        Assert.Matches(@"\d+ dropped", table.Out);
        Assert.DoesNotContain(" 0 dropped", table.Out, StringComparison.Ordinal);
    }

    /// <summary>A Vigil server in process on a free loopback port with a SQLite store of its own.</summary>
    private sealed class OwnServer : IAsyncDisposable
    {
        private readonly DirectoryInfo _directory;
        private readonly VigilApp _app;

        private OwnServer(DirectoryInfo directory, VigilApp app)
        {
            _directory = directory;
            _app = app;
        }

        public string Url => _app.BaseAddress.GetLeftPart(UriPartial.Authority);

        public string DatabasePath => Path.Combine(_directory.FullName, "vigil.db");

        public static async Task<OwnServer> StartAsync(int recorderCapacity = 100_000)
        {
            var directory = Directory.CreateTempSubdirectory("vigil-cli-env-");
            var app = await VigilServer.StartAsync(
                new VigilServerOptions
                {
                    Urls = ["http://127.0.0.1:0"],
                    Store = "sqlite:" + Path.Combine(directory.FullName, "vigil.db"),
                    LogLevel = LogLevel.Warning,
                    RecorderCapacity = recorderCapacity,
                },
                Ct);
            return new OwnServer(directory, app);
        }

        public async ValueTask DisposeAsync()
        {
            await _app.DisposeAsync();
            try
            {
                _directory.Delete(recursive: true);
            }
            catch (IOException)
            {
                // A file still held open; the temp directory is cleaned up eventually.
            }
        }
    }
}

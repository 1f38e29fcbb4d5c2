using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json;
using Vigil.Storage;
using Vigil.Testing;

namespace Vigil.Cli.Tests;

/// <summary>
/// <c>vigil serve</c> as a user runs it: a real process, started from the built <c>vigil.dll</c>, read through what it
/// prints and its exit code. Covers what only the process shows: the open-mode warning, the refusal to listen beyond
/// loopback without an admin key, a clear one-line reason and exit code 1 for a store it cannot use, and a SIGTERM that
/// stops it cleanly with every answered prediction in the store.
/// </summary>
public sealed class ServeProcessTests
{
    private static readonly TimeSpan StartBudget = ServeProcess.StartBudget;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Serve_OnLoopbackWithoutKeys_WarnsItRunsOpen_AndSigtermKeepsEveryAnsweredPrediction()
    {
        var directory = Directory.CreateTempSubdirectory("vigil-serve-");
        await using var model = await FakeJsonModel.StartAsync();
        var port = Ports.Free();
        var server = $"http://127.0.0.1:{port}";
        var store = "sqlite:" + Path.Combine(directory.FullName, "vigil.db");
        var vigil = ServeProcess.Start(directory.FullName, "serve", "--urls", server, "--store", store);
        try
        {
            await vigil.WaitUntilHealthyAsync(server);
            Assert.Contains("Vigil runs OPEN", vigil.Output, StringComparison.Ordinal);
            Assert.Contains($"Vigil is listening on {server}", vigil.Output, StringComparison.Ordinal);

            var created = await Cli.RunAsync("--server", server, "services", "create", "--name", "shop", "--input", "price:number:0..", "--output", "probability");
            var registered = await Cli.RunAsync("--server", server, "models", "register", "shop", "--backend", "http", "--location", model.Url, "--protocol", "json", "--alias", "champion");
            Assert.True(created.ExitCode == 0, created.ToString());
            Assert.True(registered.ExitCode == 0, registered.ToString());

            using var client = new HttpClient { BaseAddress = new Uri(server) };
            var body = "{\"instances\": [" + string.Join(",", Enumerable.Repeat("""{"price": 10}""", 250)) + "]}";
            for (var i = 0; i < 4; i++)
            {
                using var content = new StringContent(body, Encoding.UTF8, "application/json");
                using var response = await client.PostAsync("/v1/services/shop/predict", content, Ct);
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            }

            // SIGTERM, as systemd, Docker and Kubernetes stop a process: Vigil drains its recorder and exits 0.
            var exitCode = await vigil.TerminateAsync();
            Assert.True(exitCode == 0, $"exit {exitCode}\n{vigil.Output}");

            await using var reopened = StoreFactory.Open(store);
            await reopened.MigrateAsync(Ct);
            var traffic = await reopened.GetTrafficAsync("shop", null, Ct);
            Assert.Equal(1000, Assert.Single(traffic).Requests);
        }
        finally
        {
            await vigil.DisposeAsync();
            directory.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task Serve_BeyondLoopbackWithoutAdminKey_RefusesToStart_AndStartsOnceOneExists()
    {
        var directory = Directory.CreateTempSubdirectory("vigil-serve-");
        var port = Ports.Free();
        var store = "sqlite:" + Path.Combine(directory.FullName, "vigil.db");
        try
        {
            await using (var refused = ServeProcess.Start(directory.FullName, "serve", "--urls", $"http://0.0.0.0:{port}", "--store", store))
            {
                var code = await refused.WaitForExitAsync(StartBudget);
                Assert.True(code == 1, $"exit {code}\n{refused.Output}");
                Assert.Contains($"refusing to listen on http://0.0.0.0:{port} without an admin API key", refused.Output, StringComparison.Ordinal);
                Assert.Contains("vigil keys create --name admin --scope admin", refused.Output, StringComparison.Ordinal);
            }

            var key = await Cli.RunAsync("keys", "create", "--name", "admin", "--scope", "admin", "--store", store, "--json");
            Assert.True(key.ExitCode == 0, key.ToString());
            var secret = JsonDocument.Parse(key.Out).RootElement.GetProperty("key").GetString()!;

            await using var started = ServeProcess.Start(directory.FullName, "serve", "--urls", $"http://0.0.0.0:{port}", "--store", store);
            var server = $"http://127.0.0.1:{port}";
            await started.WaitUntilHealthyAsync(server);
            Assert.DoesNotContain("Vigil runs OPEN", started.Output, StringComparison.Ordinal);
            var withoutKey = await Cli.RunAsync("--server", server, "services", "list");
            var withKey = await Cli.RunAsync("--server", server, "--api-key", secret, "services", "list");
            Assert.Equal(1, withoutKey.ExitCode);
            Assert.Contains("--api-key", withoutKey.Err, StringComparison.Ordinal);
            Assert.True(withKey.ExitCode == 0, withKey.ToString());
            Assert.Equal(0, await started.TerminateAsync());
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task Serve_PostgresUrlThatDoesNotAnswer_ExitsOneWithAClearMessage()
    {
        var directory = Directory.CreateTempSubdirectory("vigil-serve-");
        var closed = Ports.Free();
        try
        {
            await using var vigil = ServeProcess.Start(directory.FullName, "serve", "--urls", $"http://127.0.0.1:{Ports.Free()}", "--store", $"postgres://vigil:hunter2@127.0.0.1:{closed}/vigil");
            var clock = Stopwatch.StartNew();

            var code = await vigil.WaitForExitAsync(StartBudget);

            Assert.True(code == 1, $"exit {code}\n{vigil.Output}");
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(45), $"giving up took {clock.Elapsed.TotalSeconds:F0} s");
            Assert.Contains($"vigil: cannot reach PostgreSQL at 127.0.0.1:{closed}", vigil.Output, StringComparison.Ordinal);
            Assert.DoesNotContain("hunter2", vigil.Output, StringComparison.Ordinal);
            Assert.DoesNotContain("   at ", vigil.Output, StringComparison.Ordinal);
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task Serve_StoreFileThatIsNotAVigilDatabase_ExitsOneAndLeavesTheFileAlone()
    {
        var directory = Directory.CreateTempSubdirectory("vigil-serve-");
        var path = Path.Combine(directory.FullName, "notes.db");
        await File.WriteAllTextAsync(path, "shopping list: milk, eggs", Ct);
        try
        {
            await using var vigil = ServeProcess.Start(directory.FullName, "serve", "--urls", $"http://127.0.0.1:{Ports.Free()}", "--store", "sqlite:" + path);

            var code = await vigil.WaitForExitAsync(StartBudget);

            Assert.True(code == 1, $"exit {code}\n{vigil.Output}");
            Assert.Contains("vigil: ", vigil.Output, StringComparison.Ordinal);
            Assert.Contains("notes.db", vigil.Output, StringComparison.Ordinal);
            Assert.DoesNotContain("   at ", vigil.Output, StringComparison.Ordinal);
            Assert.Equal("shopping list: milk, eggs", await File.ReadAllTextAsync(path, Ct));
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }
}

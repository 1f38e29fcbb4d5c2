using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Vigil.Storage;

namespace Vigil.Cli.Tests;

/// <summary>
/// <c>vigil serve</c> as a user runs it: a real process, started from the built <c>vigil.dll</c>, read through what it
/// prints and its exit code. Covers what only the process shows: the open-mode warning, the refusal to listen beyond
/// loopback without an admin key, a clear one-line reason and exit code 1 for a store it cannot use, and a SIGTERM that
/// stops it cleanly with every answered prediction in the store.
/// </summary>
public sealed class ServeProcessTests
{
    private static readonly TimeSpan StartBudget = TimeSpan.FromSeconds(90);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Serve_OnLoopbackWithoutKeys_WarnsItRunsOpen_AndSigtermKeepsEveryAnsweredPrediction()
    {
        var directory = Directory.CreateTempSubdirectory("vigil-serve-");
        await using var model = await FakeJsonModel.StartAsync();
        var port = FreePort();
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
        var port = FreePort();
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
        var closed = FreePort();
        try
        {
            await using var vigil = ServeProcess.Start(directory.FullName, "serve", "--urls", $"http://127.0.0.1:{FreePort()}", "--store", $"postgres://vigil:hunter2@127.0.0.1:{closed}/vigil");
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
            await using var vigil = ServeProcess.Start(directory.FullName, "serve", "--urls", $"http://127.0.0.1:{FreePort()}", "--store", "sqlite:" + path);

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

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    /// <summary>A <c>dotnet vigil.dll ARGS</c> process whose stdout and stderr are collected together.</summary>
    private sealed class ServeProcess : IAsyncDisposable
    {
        private readonly Process _process;
        private readonly StringBuilder _output = new();
        private bool _disposed;

        private ServeProcess(Process process) => _process = process;

        public string Output
        {
            get
            {
                lock (_output)
                {
                    return _output.ToString();
                }
            }
        }

        public static ServeProcess Start(string workingDirectory, params string[] args)
        {
            var start = new ProcessStartInfo("dotnet")
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                WorkingDirectory = workingDirectory,
            };
            start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "vigil.dll"));
            foreach (var arg in args)
            {
                start.ArgumentList.Add(arg);
            }

            foreach (var name in new[] { "VIGIL_STORE", "VIGIL_SERVER", "VIGIL_API_KEY", "VIGIL_WEBHOOKS" })
            {
                start.Environment.Remove(name);
            }

            var process = new Process { StartInfo = start };
            var result = new ServeProcess(process);
            process.OutputDataReceived += (_, e) => result.Append(e.Data);
            process.ErrorDataReceived += (_, e) => result.Append(e.Data);
            process.Start();
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            return result;
        }

        public async Task WaitUntilHealthyAsync(string server)
        {
            using var client = new HttpClient { BaseAddress = new Uri(server), Timeout = TimeSpan.FromSeconds(5) };
            var clock = Stopwatch.StartNew();
            while (clock.Elapsed < StartBudget)
            {
                Assert.False(_process.HasExited, $"vigil serve exited with {(_process.HasExited ? _process.ExitCode : 0)}\n{Output}");
                try
                {
                    using var response = await client.GetAsync("/healthz", Ct);
                    if (response.IsSuccessStatusCode)
                    {
                        return;
                    }
                }
                catch (HttpRequestException)
                {
                    // Not listening yet.
                }
                catch (TaskCanceledException) when (!Ct.IsCancellationRequested)
                {
                    // Starting slowly on a busy machine.
                }

                await Task.Delay(200, Ct);
            }

            Assert.Fail($"vigil serve did not answer /healthz within {StartBudget.TotalSeconds:F0} s\n{Output}");
        }

        public async Task<int> WaitForExitAsync(TimeSpan timeout)
        {
            using var limit = CancellationTokenSource.CreateLinkedTokenSource(Ct);
            limit.CancelAfter(timeout);
            try
            {
                await _process.WaitForExitAsync(limit.Token);
            }
            catch (OperationCanceledException) when (!Ct.IsCancellationRequested)
            {
                Assert.Fail($"vigil did not exit within {timeout.TotalSeconds:F0} s\n{Output}");
            }

            // WaitForExitAsync also waits for the redirected streams to reach their end.
            return _process.ExitCode;
        }

        /// <summary>Sends SIGTERM and waits for the process to end; its exit code.</summary>
        public async Task<int> TerminateAsync()
        {
            using (var kill = Process.Start(new ProcessStartInfo("kill") { ArgumentList = { "-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture) } })!)
            {
                await kill.WaitForExitAsync(Ct);
                Assert.Equal(0, kill.ExitCode);
            }

            return await WaitForExitAsync(TimeSpan.FromSeconds(60));
        }

        public async ValueTask DisposeAsync()
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync(CancellationToken.None);
            }

            _process.Dispose();
        }

        private void Append(string? line)
        {
            if (line is null)
            {
                return;
            }

            lock (_output)
            {
                _output.AppendLine(line);
            }
        }
    }
}

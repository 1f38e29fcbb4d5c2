using Microsoft.Extensions.Logging;
using Vigil.Server.Hosting;

namespace Vigil.Cli.Tests;

/// <summary>A real Vigil server in process, on a free loopback port, with its own SQLite store in a temporary directory.</summary>
public sealed class ServerFixture : IAsyncLifetime
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "vigil-cli-tests-" + Guid.NewGuid().ToString("N"));
    private VigilApp? _app;

    /// <summary>The server's address for <c>--server</c>.</summary>
    public string Server => _app!.BaseAddress.GetLeftPart(UriPartial.Authority);

    public async ValueTask InitializeAsync()
    {
        Directory.CreateDirectory(_directory);
        _app = await VigilServer.StartAsync(
            new VigilServerOptions
            {
                Urls = ["http://127.0.0.1:0"],
                Store = "sqlite:" + Path.Combine(_directory, "vigil.db"),
                LogLevel = LogLevel.Warning,
            },
            CancellationToken.None);
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.DisposeAsync();
        }

        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // A file still held open on some platforms; the temp directory is cleaned up eventually.
        }
    }
}

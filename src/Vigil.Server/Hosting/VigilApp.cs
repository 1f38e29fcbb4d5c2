using Vigil.Persistence;
using Vigil.Server.Recording;

namespace Vigil.Server.Hosting;

/// <summary>A running Vigil server. Disposing it stops the server gracefully (the recorder drains) and closes the store.</summary>
public sealed class VigilApp : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly IVigilStore _store;

    internal VigilApp(WebApplication app, IVigilStore store, IReadOnlyList<Uri> urls)
    {
        _app = app;
        _store = store;
        Urls = urls;
    }

    /// <summary>The addresses it listens on (with the real port when 0 was asked).</summary>
    public IReadOnlyList<Uri> Urls { get; }

    /// <summary>The first address, for clients.</summary>
    public Uri BaseAddress => Urls.Count > 0 ? Urls[0] : throw new InvalidOperationException("the server has no address");

    /// <summary>The server's services (the store, the recorder, the routing state …).</summary>
    public IServiceProvider Services => _app.Services;

    /// <summary>Waits until everything recorded so far is in the store.</summary>
    public Task FlushAsync(CancellationToken cancellationToken) => Services.GetRequiredService<PredictionRecorder>().FlushAsync(cancellationToken);

    /// <summary>Completes when the host is asked to stop (Ctrl+C, SIGTERM) or <paramref name="cancellationToken"/> fires.</summary>
    public Task WaitForShutdownAsync(CancellationToken cancellationToken) => _app.WaitForShutdownAsync(cancellationToken);

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync(CancellationToken.None);
        await _app.DisposeAsync();
        await _store.DisposeAsync();
    }
}

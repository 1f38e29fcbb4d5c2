using System.Collections.Concurrent;
using Vigil.Registry;

namespace Vigil.Serving;

/// <summary>
/// The loaded backends, one per (service, version): loaded once on first use, then reused by every request. Concurrent
/// first calls share one load. A load that fails is not kept, so the next call tries again (after the file is fixed or the
/// remote is back). Thread-safe.
/// </summary>
/// <remarks>
/// A load runs to its end even when the caller that started it gives up (its token only stops the wait), because other
/// callers may be waiting for the same backend. The cache keys by service name and version number: a version is immutable,
/// so its backend never needs reloading unless it is evicted.
/// </remarks>
public sealed class BackendCache : IAsyncDisposable
{
    private readonly IBackendLoader _loader;
    private readonly ConcurrentDictionary<(string Service, int Version), Lazy<Task<Result<IModelBackend>>>> _entries = new();
    private readonly CancellationTokenSource _disposing = new();

    public BackendCache(IBackendLoader loader)
    {
        ArgumentNullException.ThrowIfNull(loader);
        _loader = loader;
    }

    /// <summary>The number of backends loaded or loading.</summary>
    public int Count => _entries.Count;

    /// <summary>The (service, version) pairs loaded or loading.</summary>
    public IReadOnlyList<(string Service, int Version)> Keys => [.. _entries.Keys];

    /// <summary>The backend of <paramref name="version"/>, loading it on first use.</summary>
    public async ValueTask<Result<IModelBackend>> GetAsync(ServiceDefinition service, ModelVersion version, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(service);
        ArgumentNullException.ThrowIfNull(version);
        ObjectDisposedException.ThrowIf(_disposing.IsCancellationRequested, this);
        var key = (version.Service, version.Number);
        var entry = _entries.GetOrAdd(
            key,
            static (_, state) => new Lazy<Task<Result<IModelBackend>>>(
                () => state.Cache.LoadAsync(state.Service, state.Version),
                LazyThreadSafetyMode.ExecutionAndPublication),
            (Cache: this, Service: service, Version: version));
        Result<IModelBackend> result;
        try
        {
            result = await entry.Value.WaitAsync(cancellationToken);
        }
        catch (Exception) when (!cancellationToken.IsCancellationRequested)
        {
            Forget(key, entry);
            throw;
        }

        if (!result.IsSuccess)
        {
            Forget(key, entry);
        }

        return result;
    }

    /// <summary>The backend of (<paramref name="service"/>, <paramref name="version"/>) when it is loaded, without loading it.</summary>
    public bool TryGet(string service, int version, out IModelBackend? backend)
    {
        if (_entries.TryGetValue((service, version), out var entry)
            && entry.IsValueCreated
            && entry.Value.IsCompletedSuccessfully
            && entry.Value.Result is { IsSuccess: true, Value: { } loaded })
        {
            backend = loaded;
            return true;
        }

        backend = null;
        return false;
    }

    /// <summary>
    /// Removes the backend of (<paramref name="service"/>, <paramref name="version"/>) and disposes it; calls already running
    /// on it finish first. Returns false when it was not cached.
    /// </summary>
    public async ValueTask<bool> EvictAsync(string service, int version)
    {
        if (!_entries.TryRemove((service, version), out var entry))
        {
            return false;
        }

        await DisposeEntryAsync(entry);
        return true;
    }

    public async ValueTask DisposeAsync()
    {
        if (_disposing.IsCancellationRequested)
        {
            return;
        }

        await _disposing.CancelAsync();
        foreach (var key in _entries.Keys)
        {
            if (_entries.TryRemove(key, out var entry))
            {
                await DisposeEntryAsync(entry);
            }
        }

        _disposing.Dispose();
    }

    private async Task<Result<IModelBackend>> LoadAsync(ServiceDefinition service, ModelVersion version)
    {
        // Not the caller's token: other callers may wait for this load.
        try
        {
            return await _loader.LoadAsync(service, version, _disposing.Token);
        }
        catch (OperationCanceledException) when (_disposing.IsCancellationRequested)
        {
            return Failure.Unavailable("the backend cache is shutting down");
        }
    }

    /// <summary>Forgets a failed load (only this entry, not a newer one added since) so the next call loads again.</summary>
    private void Forget((string, int) key, Lazy<Task<Result<IModelBackend>>> entry) =>
        _entries.TryRemove(new KeyValuePair<(string, int), Lazy<Task<Result<IModelBackend>>>>(key, entry));

    private static async ValueTask DisposeEntryAsync(Lazy<Task<Result<IModelBackend>>> entry)
    {
        if (!entry.IsValueCreated)
        {
            return;
        }

        try
        {
            var result = await entry.Value;
            if (result is { IsSuccess: true, Value: { } backend })
            {
                await backend.DisposeAsync();
            }
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // A load that failed or was cancelled by shutdown has nothing to dispose.
        }
    }
}

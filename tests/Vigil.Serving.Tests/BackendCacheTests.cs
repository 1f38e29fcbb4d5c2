using Vigil.Registry;

namespace Vigil.Serving.Tests;

public sealed class BackendCacheTests(ModelFixture model)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task GetAsync_SixteenConcurrentFirstCalls_LoadOnce()
    {
        var loader = new CountingLoader(Backends.Loader);
        await using var cache = new BackendCache(loader);
        var version = SyntheticData.Version(new BackendSpec(BackendKind.Mlnet, model.MlNetPath));

        // 16 threads call at once, released together by a barrier; the load is held open until every call has been made.
        var calls = new Task<Result<IModelBackend>>[16];
        using var barrier = new Barrier(calls.Length);
        var threads = Enumerable.Range(0, calls.Length).Select(i => new Thread(() =>
        {
            barrier.SignalAndWait(Ct);
            calls[i] = cache.GetAsync(SyntheticData.Service, version, Ct).AsTask();
        })).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());
        Assert.All(calls, c => Assert.False(c.IsCompleted));
        loader.Gate.SetResult();
        var results = await Task.WhenAll(calls);

        Assert.Equal(1, loader.Loads);
        Assert.All(results, r => Assert.Same(results[0].Value, r.Value));
        Assert.True(cache.TryGet("churn", 1, out var cached));
        Assert.Same(results[0].Value, cached);
        Assert.Same(results[0].Value, (await cache.GetAsync(SyntheticData.Service, version, Ct)).Value);
        Assert.Equal(1, loader.Loads);
    }

    [Fact]
    public async Task GetAsync_VersionsOfOneService_AreCachedApart()
    {
        var loader = new CountingLoader(Backends.Loader);
        loader.Gate.SetResult();
        await using var cache = new BackendCache(loader);
        var one = await cache.GetAsync(SyntheticData.Service, SyntheticData.Version(new BackendSpec(BackendKind.Mlnet, model.MlNetPath), 1), Ct);
        var two = await cache.GetAsync(SyntheticData.Service, SyntheticData.Version(new BackendSpec(BackendKind.Onnx, model.OnnxPath), 2), Ct);
        Assert.Equal(BackendKind.Mlnet, one.Value!.Kind);
        Assert.Equal(BackendKind.Onnx, two.Value!.Kind);
        Assert.Equal(2, loader.Loads);
        Assert.Equal(2, cache.Count);
    }

    [Fact]
    public async Task GetAsync_FailedLoad_IsNotKeptAndTheNextCallLoadsAgain()
    {
        var loader = new CountingLoader(Backends.Loader);
        loader.Gate.SetResult();
        await using var cache = new BackendCache(loader);
        var path = Path.Combine(model.Directory, "later.zip");
        var version = SyntheticData.Version(new BackendSpec(BackendKind.Mlnet, path));

        var first = await cache.GetAsync(SyntheticData.Service, version, Ct);
        Assert.Equal(FailureKind.Invalid, first.Failure?.Kind);
        Assert.False(cache.TryGet("churn", 1, out _));

        File.Copy(model.MlNetPath, path);
        var second = await cache.GetAsync(SyntheticData.Service, version, Ct);
        Assert.True(second.IsSuccess, second.Failure?.Message);
        Assert.Equal(2, loader.Loads);
    }

    [Fact]
    public async Task EvictAsync_DisposesTheBackendAndTheNextCallLoadsAgain()
    {
        var loader = new CountingLoader(Backends.Loader);
        loader.Gate.SetResult();
        await using var cache = new BackendCache(loader);
        var version = SyntheticData.Version(new BackendSpec(BackendKind.Onnx, model.OnnxPath));
        var backend = (await cache.GetAsync(SyntheticData.Service, version, Ct)).Value!;

        Assert.True(await cache.EvictAsync("churn", 1));

        await Assert.ThrowsAsync<ObjectDisposedException>(async () => await backend.PredictAsync([SyntheticData.Row(1, 1, "pro", true, 1)], Ct));
        Assert.False(cache.TryGet("churn", 1, out _));
        Assert.False(await cache.EvictAsync("churn", 1));
        var again = await cache.GetAsync(SyntheticData.Service, version, Ct);
        Assert.NotSame(backend, again.Value);
        Assert.Equal(2, loader.Loads);
    }

    /// <summary>The real loader, counting its loads and holding each one until <see cref="Gate"/> opens.</summary>
    private sealed class CountingLoader(IBackendLoader inner) : IBackendLoader
    {
        private int _loads;

        public int Loads => Volatile.Read(ref _loads);

        public TaskCompletionSource Gate { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public async Task<Result<IModelBackend>> LoadAsync(ServiceDefinition service, ModelVersion version, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _loads);
            await Gate.Task.WaitAsync(cancellationToken);
            return await inner.LoadAsync(service, version, cancellationToken);
        }
    }
}

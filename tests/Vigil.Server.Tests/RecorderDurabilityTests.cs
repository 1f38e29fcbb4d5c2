using System.Net;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Vigil.Persistence;
using Vigil.Server.Api;
using Vigil.Server.Hosting;
using Vigil.Server.Monitoring;
using Vigil.Server.Recording;

namespace Vigil.Server.Tests;

/// <summary>
/// The recorder's order (write, then fold) and its durability modes (issue 13, items 1 and 7): in the default
/// <c>async</c> mode an answer does not wait for its record; in <c>commit</c> mode it is sent only once the record is in
/// the store, and a store that cannot take it in time turns the answer into a 503, never into a 200 that is not stored.
/// </summary>
public sealed class RecorderDurabilityTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Recorder_FoldsARecordOnlyOnceItIsInTheStore()
    {
        await using var remote = await RemoteModel.StartAsync();
        await using var server = await VigilTestServer.StartAsync();
        await server.CreateShopAsync(remote);
        var store = server.App.Services.GetRequiredService<IVigilStore>();
        var monitoring = server.App.Services.GetRequiredService<LiveMonitoring>();
        var inner = monitoring.FoldHook;
        var folded = new List<(string RequestId, bool Stored)>();
        monitoring.FoldHook = (window, record) =>
        {
            // The fold runs on the recorder's thread: a record folded before its write would not be found here.
            folded.Add((record.RequestId, store.GetPredictionAsync(record.RequestId, CancellationToken.None).GetAwaiter().GetResult() is not null));
            inner?.Invoke(window, record);
        };

        for (var i = 0; i < 5; i++)
        {
            Assert.Equal(HttpStatusCode.OK, (await server.PostJsonAsync("/v1/services/shop/predict", """{"inputs": {"price": 10, "country": "DE"}}""")).StatusCode);
        }

        await server.App.FlushAsync(Ct);
        Assert.Equal(5, folded.Count);
        Assert.All(folded, f => Assert.True(f.Stored, $"{f.RequestId} was folded before it was written"));
    }

    [Fact]
    public async Task CommitDurability_EveryAnswerIsAlreadyInTheStoreWhenItArrives()
    {
        await using var remote = await RemoteModel.StartAsync();
        await using var server = await VigilTestServer.StartAsync(configure: o => o.RecorderDurability = RecorderDurability.Commit);
        await server.CreateShopAsync(remote);
        var store = server.App.Services.GetRequiredService<IVigilStore>();
        Assert.Equal(TimeSpan.Zero, server.App.Services.GetRequiredService<PredictionRecorder>().Linger);

        // Concurrent requests share commits (group commit); none is answered before its record is readable.
        var answers = await Task.WhenAll(Enumerable.Range(0, 40).Select(async i =>
        {
            var response = await server.PostJsonAsync("/v1/services/shop/predict", $$"""{"instances": [{"price": {{i}}, "country": "DE"}, {"price": 1, "country": "FR"}]}""");
            return await server.ReadAsync<BatchPredictResponse>(response);
        }));
        foreach (var prediction in answers.SelectMany(a => a.Predictions))
        {
            Assert.NotNull(await store.GetPredictionAsync(prediction.RequestId, Ct));
        }

        var status = await server.GetAsync<StatusView>("/v1/status");
        Assert.Equal("commit", status.Recorder.Durability);
        Assert.Equal(80, status.Recorder.Written);
    }

    [Fact]
    public async Task CommitDurability_StoreCannotTakeTheRecordInTime_Answers503_AndWritesItOnceTheStoreIsBack()
    {
        await using var remote = await RemoteModel.StartAsync();
        await using var server = await VigilTestServer.StartAsync(configure: o =>
        {
            o.RecorderDurability = RecorderDurability.Commit;
            o.RecorderCommitTimeout = TimeSpan.FromMilliseconds(300);
        });
        await server.CreateShopAsync(remote);

        // Another process holds SQLite's write lock: the record cannot be committed.
        await using (var blocker = new SqliteConnection($"Data Source={Path.Combine(server.Directory, "vigil.db")};Pooling=False"))
        {
            await blocker.OpenAsync(Ct);
            await using (var command = blocker.CreateCommand())
            {
                command.CommandText = "BEGIN EXCLUSIVE";
                await command.ExecuteNonQueryAsync(Ct);
            }

            var response = await server.PostJsonAsync("/v1/services/shop/predict", """{"inputs": {"price": 10, "country": "DE"}}""");
            var problem = await VigilTestServer.ProblemAsync(response, 503);
            Assert.Contains("not committed", problem["detail"]!.GetValue<string>(), StringComparison.Ordinal);
            Assert.Equal(1, (await server.GetAsync<StatusView>("/v1/status")).Recorder.CommitTimeouts);
        }

        // The lock is gone: the queued record is written (a 503 that is stored is no loss; a 200 that is not would be).
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(30));
        await server.App.FlushAsync(timeout.Token);
        var after = await server.GetAsync<StatusView>("/v1/status");
        Assert.Equal(1, after.Recorder.Written);
        Assert.Equal(200, (int)(await server.PostJsonAsync("/v1/services/shop/predict", """{"inputs": {"price": 10, "country": "DE"}}""")).StatusCode);
    }

    [Fact]
    public async Task Start_WithOutOfRangeRecorderAndMonitoringOptions_RefusesNamingEveryProblem()
    {
        var directory = Directory.CreateTempSubdirectory("vigil-options-");
        try
        {
            var options = new VigilServerOptions
            {
                Store = "sqlite:" + Path.Combine(directory.FullName, "vigil.db"),
                Urls = ["http://127.0.0.1:0"],
                MaxUnknownFeatures = -1,
                RecorderCommitTimeout = TimeSpan.Zero,
                RecorderLinger = TimeSpan.FromSeconds(5),
            };
            var error = await Assert.ThrowsAsync<VigilStartupException>(() => VigilServer.StartAsync(options, Ct));
            Assert.Contains("MaxUnknownFeatures", error.Message, StringComparison.Ordinal);
            Assert.Contains("RecorderCommitTimeout", error.Message, StringComparison.Ordinal);
            Assert.Contains("RecorderLinger", error.Message, StringComparison.Ordinal);
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }
}

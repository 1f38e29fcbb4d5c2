using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Vigil.Server.Api;
using Vigil.Server.Releases;
using Vigil.Server.Tests;

namespace Vigil.Dashboard.Tests;

/// <summary>
/// The demo's story in small, on a fake clock and a real server: service <c>shop</c> with champion v1, a canary of v2 that
/// fails and is rolled back, then a progressive release of v3 that is healthy and stands at its second step (50%), live.
/// </summary>
public sealed class DemoStory : IAsyncDisposable
{
    public static readonly DateTimeOffset T0 = new(2026, 11, 2, 8, 0, 0, TimeSpan.Zero);

    private DemoStory(VigilTestServer server, FakeTimeProvider clock, RemoteModel[] models)
    {
        Server = server;
        Clock = clock;
        _models = models;
    }

    private readonly RemoteModel[] _models;

    public VigilTestServer Server { get; }

    public FakeTimeProvider Clock { get; }

    public ReleaseView RolledBack { get; private set; } = null!;

    public ReleaseView Live { get; private set; } = null!;

    /// <summary>Predictions sent in all.</summary>
    public int Sent { get; private set; }

    /// <summary>The good rollout's plan: 10% for an hour, then 50% for two.</summary>
    public const string RolloutPlan = """
        {"service": "shop", "challenger": 3, "strategy": "progressive",
         "steps": [{"weight": "10%", "hold": "1h"}, {"weight": "50%", "hold": "2h"}],
         "min_samples_per_step": 100, "analysis_interval": "5m", "outcome_window": "1m",
         "triggers": [{"metric": "error_rate", "max": "2%"}]}
        """;

    /// <summary>The same rollout with a person's approval required before its second step.</summary>
    public const string GatedRolloutPlan = """
        {"service": "shop", "challenger": 3, "strategy": "progressive",
         "steps": [{"weight": "10%", "hold": "1h"}, {"weight": "50%", "hold": "2h"}],
         "min_samples_per_step": 100, "analysis_interval": "5m", "outcome_window": "1m",
         "triggers": [{"metric": "error_rate", "max": "2%"}], "approval": [{"before_step": 2}]}
        """;

    public static async Task<DemoStory> StartAsync(Action<VigilServerOptionsBuilder>? configure = null, Func<VigilTestServer, Task>? beforeTraffic = null, string rolloutPlan = RolloutPlan)
    {
        var clock = new FakeTimeProvider(T0);
        var champion = await RemoteModel.StartAsync();
        var bad = await RemoteModel.StartAsync();
        var good = await RemoteModel.StartAsync();
        var server = await VigilTestServer.StartAsync(configure: o =>
        {
            o.TimeProvider = clock;
            o.ControllerTick = TimeSpan.FromDays(40); // the story ticks by hand (a timer longer than ~49 days is refused)
            configure?.Invoke(o);
        });
        var story = new DemoStory(server, clock, [champion, bad, good]);
        if (beforeTraffic is not null)
        {
            await beforeTraffic(server);
        }

        await server.CreateShopAsync(champion);
        await server.RegisterRemoteAsync(bad, "shop", alias: null);
        await server.RegisterRemoteAsync(good, "shop", alias: null);

        await story.SendAsync(300);
        clock.Advance(TimeSpan.FromMinutes(20));

        // The bad canary: v2 fails, the error-rate trigger rolls it back.
        var canary = await story.StartReleaseAsync("""
            {"service": "shop", "challenger": 2, "strategy": "canary", "steps": [{"weight": "50%", "hold": "1h"}],
             "min_samples_per_step": 100, "analysis_interval": "5m", "outcome_window": "1m",
             "triggers": [{"metric": "error_rate", "max": "2%"}], "fallback_on_error": true}
            """);
        bad.Failing = true;
        await story.SendAsync(600);
        clock.Advance(TimeSpan.FromMinutes(5));
        story.RolledBack = await story.TickAsync(canary.Id);
        Assert.Equal("rolled_back", story.RolledBack.Status);

        clock.Advance(TimeSpan.FromMinutes(20));
        await story.SendAsync(300);
        clock.Advance(TimeSpan.FromMinutes(10));

        // The good rollout: v3 passes its first step and stands at 50%.
        var rollout = await story.StartReleaseAsync(rolloutPlan);
        await story.SendAsync(1500);
        story.Clock.Advance(TimeSpan.FromMinutes(61));
        story.Live = await story.TickAsync(rollout.Id);
        if (rolloutPlan != RolloutPlan)
        {
            return story;
        }

        Assert.Equal(500_000, story.Live.Traffic.CanaryWeightPpm);
        await story.SendAsync(400);
        story.Clock.Advance(TimeSpan.FromMinutes(10));
        story.Live = await story.TickAsync(rollout.Id);
        Assert.True(story.Live.Active, story.Live.LastDecision);
        return story;
    }

    public async Task<ReleaseView> StartReleaseAsync(string plan) =>
        await Server.ReadAsync<ReleaseView>(await Server.PostJsonAsync("/v1/releases", plan));

    public async Task<ReleaseView> TickAsync(string id)
    {
        await Server.App.FlushAsync(TestContext.Current.CancellationToken);
        await Server.App.Services.GetRequiredService<ReleaseController>().TickAsync(TestContext.Current.CancellationToken);
        return await Server.GetAsync<ReleaseView>($"/v1/releases/{id}");
    }

    /// <summary>Sends <paramref name="count"/> predictions with fresh keys, one request of up to 100 instances at a time.</summary>
    public async Task<List<PredictResponse>> SendAsync(int count)
    {
        var answers = new List<PredictResponse>(count);
        for (var i = 0; i < count; i += 100)
        {
            var instances = Enumerable.Range(i, Math.Min(100, count - i))
                .Select(n => $$$"""{"key": "user-{{{Sent + n}}}", "inputs": {"price": 10, "country": "DE"}}""");
            var response = await Server.PostJsonAsync("/v1/services/shop/predict", "{\"instances\": [" + string.Join(",", instances) + "]}");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            answers.AddRange((await Server.ReadAsync<BatchPredictResponse>(response)).Predictions);
        }

        Sent += count;
        await Server.App.FlushAsync(TestContext.Current.CancellationToken);
        return answers;
    }

    public async ValueTask DisposeAsync()
    {
        await Server.DisposeAsync();
        foreach (var model in _models)
        {
            await model.DisposeAsync();
        }
    }
}

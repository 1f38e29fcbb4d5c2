using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Vigil.Audit;
using Vigil.Monitoring;
using Vigil.Persistence;
using Vigil.Registry;
using Vigil.Retraining;
using Vigil.Server.Api;
using Vigil.Server.Monitoring;
using Vigil.Server.Recording;
using Vigil.Server.Releases;

namespace Vigil.Server.Tests;

/// <summary>
/// Monitoring state that outlives a process, and what alerts do: two servers on one SQLite file stand for a restart and
/// for two replicas; actions run through the real evaluator on a fake clock.
/// </summary>
public sealed class MonitoringPersistenceTests : IAsyncLifetime
{
    private static readonly string[] Countries = ["DE", "FR", "US"];
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 11, 1, 0, 0, 0, TimeSpan.Zero));
    private readonly Random _random = new(7);
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "vigil-monpersist-" + Guid.NewGuid().ToString("N"));
    private RemoteModel _model = null!;

    private string StorePath => "sqlite:" + Path.Combine(_directory, "vigil.db");

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        Directory.CreateDirectory(_directory);
        _model = await RemoteModel.StartAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await _model.DisposeAsync();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private Task<VigilTestServer> StartServerAsync() =>
        VigilTestServer.StartAsync(StorePath, o =>
        {
            o.TimeProvider = _clock;
            o.ControllerTick = TimeSpan.FromDays(365); // the tests tick by hand
            o.Webhooks.Add(new Uri(_model.Url, "hook").ToString());
        });

    private async Task<VigilTestServer> StartFeedAsync()
    {
        var server = await StartServerAsync();
        var created = await server.PostAsync("/v1/services", new CreateServiceRequest(
            "feed",
            [new("price", FeatureType.Number), new("country", FeatureType.Category, Categories: Countries)],
            new OutputSpec(OutputKind.Probability),
            "test"));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        await server.RegisterRemoteAsync(_model, "feed", "champion");
        var rows = string.Join(",", Enumerable.Range(0, 3000).Select(_ =>
            string.Create(CultureInfo.InvariantCulture, $$"""{"price": {{Price():0.00}}, "country": "{{Countries[_random.Next(3)]}}"}""")));
        var baseline = await server.Client.PutAsync("/v1/services/feed/versions/1/baseline", new StringContent("{\"rows\": [" + rows + "]}", Encoding.UTF8, "application/json"), Ct);
        Assert.Equal(HttpStatusCode.OK, baseline.StatusCode);
        return server;
    }

    private double Price() => Math.Max(0.5, 12.4 + (3 * Math.Sqrt(-2 * Math.Log(1 - _random.NextDouble())) * Math.Cos(2 * Math.PI * _random.NextDouble())));

    private async Task SendAsync(VigilTestServer server, bool cents, int count = 30)
    {
        var instances = Enumerable.Range(0, count).Select(_ =>
            string.Create(CultureInfo.InvariantCulture, $$$"""{"inputs": {"price": {{{(cents ? Price() * 100 : Price()):0.00}}}, "country": "{{{Countries[_random.Next(3)]}}}"}}"""));
        var response = await server.PostJsonAsync("/v1/services/feed/predict", "{\"instances\": [" + string.Join(",", instances) + "]}");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        await server.App.Services.GetRequiredService<PredictionRecorder>().FlushAsync(Ct);
    }

    private static Task TickAsync(VigilTestServer server) => server.App.Services.GetRequiredService<MonitorEvaluator>().TickAsync(Ct);

    /// <summary>A minute of traffic to each server, then the clock moves a minute and each evaluator ticks.</summary>
    private async Task MinuteAsync(bool cents, params VigilTestServer[] servers)
    {
        foreach (var server in servers)
        {
            await SendAsync(server, cents);
        }

        _clock.Advance(TimeSpan.FromMinutes(1));
        foreach (var server in servers)
        {
            await TickAsync(server);
        }
    }

    private async Task<AlertView?> FiringAsync(VigilTestServer server, string monitor = "input-drift") =>
        (await server.GetAsync<AlertList>("/v1/alerts")).Alerts.FirstOrDefault(a => a.Status.State == AlertState.Firing && a.Status.Monitor == monitor);

    private async Task<int> HooksAsync(string monitor, int atLeast)
    {
        for (var i = 0; i < 100 && Count() < atLeast; i++)
        {
            await Task.Delay(20, Ct);
        }

        await Task.Delay(100, Ct); // a duplicate would arrive meanwhile
        return Count();
        int Count() => _model.Hooks.Count(h => h.Contains(monitor, StringComparison.Ordinal) && h.Contains("\"to\":\"firing\"", StringComparison.Ordinal));
    }

    private static MonitorDefinition Drift(params MonitorAction[] actions) =>
        new("input-drift", MonitorLayer.Input, "psi", 0.25, Duration.Minutes(5), For: Duration.Minutes(2), KeepFiringFor: Duration.Minutes(15), Severity: AlertSeverity.Critical, Actions: actions);

    [Fact]
    public async Task Restart_OnTheSameStore_KeepsBaselineHistoryAndTheFiringAlert_WithoutNotifyingAgain()
    {
        DateTimeOffset firedAt;
        string id;
        await using (var first = await StartFeedAsync())
        {
            for (var m = 0; m < 20; m++)
            {
                await MinuteAsync(false, first);
            }

            AlertView? fired = null;
            for (var m = 0; m < 60 && fired is null; m++)
            {
                await MinuteAsync(true, first);
                fired = await FiringAsync(first);
            }

            Assert.NotNull(fired);
            Assert.Equal("price", fired.Status.Subject);
            Assert.Equal(1, await HooksAsync("input-drift", 1));
            firedAt = fired.Status.FiredAt!.Value;
            id = fired.Id;
            Assert.Equal(StoredAlert.IdOf("feed", 1, "champion", "input-drift", "price"), id);
        }

        await using var second = await StartServerAsync();
        var baseline = await second.GetAsync<JsonObject>("/v1/services/feed/versions/1/baseline");
        Assert.Equal(3000, baseline["rows"]!.GetValue<long>());
        Assert.Contains(baseline["features"]!.AsArray(), f => f!["name"]!.GetValue<string>() == "price");

        var alert = await second.GetAsync<AlertView>($"/v1/alerts/{id}");
        Assert.Equal((AlertState.Firing, firedAt), (alert.Status.State, alert.Status.FiredAt));
        Assert.True(alert.Status.TimeToDetectSeconds > 0);
        var layers = await second.GetAsync<JsonObject>("/v1/services/feed/layers?history=1440");
        Assert.Equal("firing", layers["input"]!["state"]!.GetValue<string>());
        Assert.True(layers["history"]!.AsArray().Count >= 20, layers["history"]!.AsArray().Count.ToString(CultureInfo.InvariantCulture));
        var hours = await second.GetAsync<JsonObject>("/v1/services/feed/windows?resolution=hour");
        var hour = Assert.Single(hours["windows"]!.AsArray());
        Assert.True(hour!["requests"]!.GetValue<long>() >= 600);

        // The restarted server goes on with the same episode: still firing under the same traffic, and no second notification …
        for (var m = 0; m < 5; m++)
        {
            await MinuteAsync(true, second);
        }

        Assert.Equal(firedAt, (await FiringAsync(second))!.Status.FiredAt);
        Assert.Equal(1, await HooksAsync("input-drift", 1));

        // … and it resolves once the feed is fixed and keep_firing_for has passed.
        for (var m = 0; m < 40 && (await second.GetAsync<AlertView>($"/v1/alerts/{id}")).Status.State == AlertState.Firing; m++)
        {
            await MinuteAsync(false, second);
        }

        Assert.Equal(AlertState.Resolved, (await second.GetAsync<AlertView>($"/v1/alerts/{id}")).Status.State);
    }

    [Fact]
    public async Task TwoReplicasOnOneStore_SeeTheSameTransition_OnlyOneNotifies()
    {
        await using var a = await StartFeedAsync();
        await using var b = await StartServerAsync();
        for (var m = 0; m < 10; m++)
        {
            await MinuteAsync(false, a, b);
        }

        for (var m = 0; m < 60 && await FiringAsync(a) is null; m++)
        {
            await MinuteAsync(true, a, b);
        }

        Assert.NotNull(await FiringAsync(a));
        Assert.NotNull(await FiringAsync(b));
        Assert.Equal(1, await HooksAsync("input-drift", 1));

        // Both replicas' shares of each minute are in the stored history: twice one replica's requests.
        var minutes = await a.GetAsync<JsonObject>("/v1/services/feed/windows?resolution=minute&limit=5");
        Assert.All(minutes["windows"]!.AsArray(), w => Assert.Equal(60, w!["requests"]!.GetValue<long>()));
    }

    [Fact]
    public async Task RollbackAction_AbortsTheActiveRelease_AsVigilMonitors_NamingTheAlertAndValue()
    {
        await using var server = await StartFeedAsync();
        await server.RegisterRemoteAsync(_model, "feed", null);
        var release = await server.ReadAsync<ReleaseView>(await server.PostJsonAsync("/v1/releases",
            """{"service": "feed", "challenger": 2, "strategy": "canary", "steps": [{"weight": "5%", "hold": "1h"}], "triggers": [{"metric": "error_rate", "max": "2%"}]}"""));
        Assert.True(release.Active);
        server.App.Services.GetRequiredService<LiveMonitoring>().UseMonitors([Drift(MonitorAction.Notify, MonitorAction.Rollback)]);

        for (var m = 0; m < 5; m++)
        {
            await MinuteAsync(false, server);
        }

        Assert.True((await server.GetAsync<ReleaseView>($"/v1/releases/{release.Id}")).Active);
        for (var m = 0; m < 30 && await FiringAsync(server) is null; m++)
        {
            await MinuteAsync(true, server);
        }

        Assert.NotNull(await FiringAsync(server));
        var after = await server.GetAsync<ReleaseView>($"/v1/releases/{release.Id}");
        Assert.False(after.Active);
        Assert.Equal("aborted", after.Status);
        var abort = after.Events[^1];
        Assert.Equal(MonitorEvaluator.Actor, abort.Actor);
        Assert.Contains("input-drift", abort.Reason, StringComparison.Ordinal);
        Assert.Contains("'price'", abort.Reason, StringComparison.Ordinal);
        Assert.Contains("value ", abort.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RetrainAction_TriggersAPerformanceRetraining_WithTheAlertAsEvidence()
    {
        await using var server = await StartFeedAsync();
        var store = server.App.Services.GetRequiredService<IVigilStore>();
        (await store.PutRetrainingPolicyAsync("feed", new RetrainingPolicy(new TrainerSpec(TrainerKind.Mlnet)), new AuditContext("alice", _clock.GetUtcNow()), Ct)).Unwrap();
        server.App.Services.GetRequiredService<LiveMonitoring>().UseMonitors([Drift(MonitorAction.Retrain)]);

        for (var m = 0; m < 5; m++)
        {
            await MinuteAsync(false, server);
        }

        Assert.Empty(await store.ListJobsAsync("feed", activeOnly: false, 10, Ct));
        for (var m = 0; m < 30 && await FiringAsync(server) is null; m++)
        {
            await MinuteAsync(true, server);
        }

        var fired = await FiringAsync(server);
        Assert.NotNull(fired);
        var job = Assert.Single(await store.ListJobsAsync("feed", activeOnly: false, 10, Ct));
        Assert.Equal(("performance", MonitorEvaluator.Actor), (job.Cause.Kind, job.Cause.Actor));
        Assert.Contains("input-drift", job.Cause.Reason, StringComparison.Ordinal);
        Assert.Equal(fired.Status.FiredAt, DateTimeOffset.Parse(job.Cause.Evidence!["detected_at"]!.GetValue<string>(), CultureInfo.InvariantCulture));
        Assert.Equal("price", job.Cause.Evidence["subject"]!.GetValue<string>());
        Assert.True(job.Cause.Evidence["value"]!.GetValue<double>() >= 0.25);

        // A notify-only monitor queues nothing more: the job count stays one while the alert keeps firing.
        await MinuteAsync(true, server);
        Assert.Single(await store.ListJobsAsync("feed", activeOnly: false, 10, Ct));
    }
}

using System.Globalization;
using System.Net;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Vigil.Audit;
using Vigil.Monitoring;
using Vigil.Persistence;
using Vigil.Registry;
using Vigil.Server.Api;
using Vigil.Server.Monitoring;
using Vigil.Server.Recording;

namespace Vigil.Server.Tests;

/// <summary>Silences, acks and grouping through the API, with the evaluator on a fake clock.</summary>
public sealed class AlertOperationsTests : IAsyncLifetime
{
    private static readonly string[] Countries = ["DE", "FR", "US"];
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 11, 1, 0, 0, 0, TimeSpan.Zero));
    private readonly Random _random = new(11);
    private RemoteModel _model = null!;
    private VigilTestServer _server = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        _model = await RemoteModel.StartAsync();
        _server = await VigilTestServer.StartAsync(configure: o =>
        {
            o.TimeProvider = _clock;
            o.ControllerTick = TimeSpan.FromDays(365);
            o.Webhooks.Add(new Uri(_model.Url, "hook").ToString());
        });
        var created = await _server.PostAsync("/v1/services", new CreateServiceRequest(
            "feed",
            [new("price", FeatureType.Number), new("country", FeatureType.Category, Categories: Countries)],
            new OutputSpec(OutputKind.Probability),
            "test"));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        await _server.RegisterRemoteAsync(_model, "feed", "champion");
        var rows = string.Join(",", Enumerable.Range(0, 3000).Select(_ =>
            string.Create(CultureInfo.InvariantCulture, $$"""{"price": {{Price():0.00}}, "country": "{{Countries[_random.Next(3)]}}"}""")));
        var baseline = await _server.Client.PutAsync("/v1/services/feed/versions/1/baseline", new StringContent("{\"rows\": [" + rows + "]}", Encoding.UTF8, "application/json"), Ct);
        Assert.Equal(HttpStatusCode.OK, baseline.StatusCode);
        _server.App.Services.GetRequiredService<LiveMonitoring>().UseMonitors(
            [new("input-drift", MonitorLayer.Input, "psi", 0.25, Duration.Minutes(5), For: Duration.Minutes(2), KeepFiringFor: Duration.Minutes(3), Severity: AlertSeverity.Critical)]);
    }

    public async ValueTask DisposeAsync()
    {
        await _server.DisposeAsync();
        await _model.DisposeAsync();
    }

    private double Price() => Math.Max(0.5, 12.4 + (3 * Math.Sqrt(-2 * Math.Log(1 - _random.NextDouble())) * Math.Cos(2 * Math.PI * _random.NextDouble())));

    private async Task MinuteAsync(bool cents)
    {
        var instances = Enumerable.Range(0, 30).Select(_ =>
            string.Create(CultureInfo.InvariantCulture, $$$"""{"inputs": {"price": {{{(cents ? Price() * 100 : Price()):0.00}}}, "country": "{{{Countries[_random.Next(3)]}}}"}}"""));
        Assert.Equal(HttpStatusCode.OK, (await _server.PostJsonAsync("/v1/services/feed/predict", "{\"instances\": [" + string.Join(",", instances) + "]}")).StatusCode);
        await _server.App.Services.GetRequiredService<PredictionRecorder>().FlushAsync(Ct);
        _clock.Advance(TimeSpan.FromMinutes(1));
        await _server.App.Services.GetRequiredService<MonitorEvaluator>().TickAsync(Ct);
    }

    private async Task<AlertView?> AlertAsync(AlertState state) =>
        (await _server.GetAsync<AlertList>("/v1/alerts")).Alerts.FirstOrDefault(a => a.Status.State == state);

    private async Task<int> FiringHooksAsync()
    {
        await Task.Delay(200, Ct); // a webhook POST is awaited by the tick; the wait covers a slow listener
        return _model.Hooks.Count(h => h.Contains("input-drift", StringComparison.Ordinal) && h.Contains("\"to\":\"firing\"", StringComparison.Ordinal));
    }

    private string Iso(TimeSpan fromNow) => (_clock.GetUtcNow() + fromNow).ToString("O", CultureInfo.InvariantCulture);

    [Fact]
    public async Task Silence_MatchingTheAlert_MutesItsNotification_UntilExpiredEarly_ThenTheNextEpisodeNotifies()
    {
        var silence = await _server.ReadAsync<Silence>(await _server.PostJsonAsync("/v1/silences",
            $$"""{"service": "feed", "monitor": "input-drift", "subject": "price", "ends_at": "{{Iso(TimeSpan.FromHours(2))}}", "comment": "feed migration", "author": "alice"}"""));
        Assert.Equal(("alice", "feed migration"), (silence.CreatedBy, silence.Comment));

        for (var m = 0; m < 30 && await AlertAsync(AlertState.Firing) is null; m++)
        {
            await MinuteAsync(cents: true);
        }

        var firing = await AlertAsync(AlertState.Firing);
        Assert.NotNull(firing);
        Assert.Equal([silence.Id], firing.Silenced);
        Assert.Equal(0, await FiringHooksAsync());

        var listed = await _server.GetAsync<SilenceList>("/v1/silences");
        Assert.Equal(silence.Id, Assert.Single(listed.Silences).Id);
        var expired = await _server.ReadAsync<Silence>(await _server.Client.DeleteAsync($"/v1/silences/{silence.Id}", Ct));
        Assert.Equal(_clock.GetUtcNow(), expired.EndsAt);
        Assert.Empty((await _server.GetAsync<SilenceList>("/v1/silences")).Silences);
        Assert.Single((await _server.GetAsync<SilenceList>("/v1/silences?all=true")).Silences);
        await VigilTestServer.ProblemAsync(await _server.Client.DeleteAsync($"/v1/silences/{silence.Id}", Ct), 409);

        // The feed recovers, the alert resolves; the next episode is not silenced and reaches the webhook.
        for (var m = 0; m < 30 && await AlertAsync(AlertState.Firing) is not null; m++)
        {
            await MinuteAsync(cents: false);
        }

        for (var m = 0; m < 30 && await AlertAsync(AlertState.Firing) is null; m++)
        {
            await MinuteAsync(cents: true);
        }

        Assert.Equal(1, await FiringHooksAsync());
        var audit = await _server.App.Services.GetRequiredService<IVigilStore>().QueryAuditAsync(new AuditQuery(Service: "feed"), Ct);
        Assert.Contains(audit, e => e.Action == MonitoringAuditActions.SilenceCreated && e.Reason == "feed migration");
        Assert.Contains(audit, e => e.Action == MonitoringAuditActions.SilenceExpired);
    }

    [Fact]
    public async Task Ack_RecordsWhoAndWhy_IsAudited_GroupsCountIt_AndANewEpisodeClearsIt()
    {
        for (var m = 0; m < 30 && await AlertAsync(AlertState.Firing) is null; m++)
        {
            await MinuteAsync(cents: true);
        }

        var firing = (await AlertAsync(AlertState.Firing))!;
        await VigilTestServer.ProblemAsync(await _server.PostJsonAsync($"/v1/alerts/{firing.Id}/ack", "{}"), 400);
        await VigilTestServer.ProblemAsync(await _server.PostJsonAsync("/v1/alerts/nope/ack", """{"reason": "x"}"""), 404);
        var acked = await _server.ReadAsync<AlertView>(await _server.PostJsonAsync($"/v1/alerts/{firing.Id}/ack", """{"reason": "upstream team paged"}"""));
        Assert.Equal("upstream team paged", acked.Ack!.Reason);

        var list = await _server.GetAsync<AlertList>("/v1/alerts?service=feed");
        var group = Assert.Single(list.Groups!);
        Assert.Equal(("feed", 1, 1), (group.Service, group.Firing, group.Acked));
        Assert.Equal([firing.Id], group.Alerts);
        Assert.Equal("upstream team paged", (await _server.GetAsync<AlertView>($"/v1/alerts/{firing.Id}")).Ack?.Reason);

        // Still the same episode after another minute: the ack stays.
        await MinuteAsync(cents: true);
        Assert.NotNull((await _server.GetAsync<AlertView>($"/v1/alerts/{firing.Id}")).Ack);

        for (var m = 0; m < 30 && await AlertAsync(AlertState.Firing) is not null; m++)
        {
            await MinuteAsync(cents: false);
        }

        await VigilTestServer.ProblemAsync(await _server.PostJsonAsync($"/v1/alerts/{firing.Id}/ack", """{"reason": "late"}"""), 409);
        for (var m = 0; m < 30 && await AlertAsync(AlertState.Firing) is null; m++)
        {
            await MinuteAsync(cents: true);
        }

        Assert.Null((await _server.GetAsync<AlertView>($"/v1/alerts/{firing.Id}")).Ack);
        var audit = Assert.Single(await _server.App.Services.GetRequiredService<IVigilStore>().QueryAuditAsync(new AuditQuery(Action: MonitoringAuditActions.AlertAcked), Ct));
        Assert.Equal("upstream team paged", audit.Reason);
    }

    [Theory]
    [InlineData("""{"service": "feed", "comment": "c", "author": "a"}""", "ends_at: required")]
    [InlineData("""{"service": "feed", "ends_at": "2020-01-01T00:00:00Z", "comment": "c", "author": "a"}""", "not in the future")]
    [InlineData("""{"ends_at": "2026-11-01T05:00:00Z", "comment": "c", "author": "a"}""", "at least one of service, monitor, subject")]
    [InlineData("""{"service": "feed", "ends_at": "2026-11-01T05:00:00Z", "author": "a"}""", "comment: required")]
    [InlineData("""{"monitor": "nope", "ends_at": "2026-11-01T05:00:00Z", "comment": "c", "author": "a"}""", "monitor 'nope' is unknown")]
    public async Task BadSilences_Are400_WithEveryProblem_AndStoreNothing(string body, string message)
    {
        var problem = await VigilTestServer.ProblemAsync(await _server.PostJsonAsync("/v1/silences", body), 400);

        Assert.Contains(message, VigilTestServer.Errors(problem), StringComparison.Ordinal);
        Assert.Empty((await _server.GetAsync<SilenceList>("/v1/silences?all=true")).Silences);
    }

    [Fact]
    public async Task SilenceOfAnUnknownService_Is404()
    {
        var problem = await VigilTestServer.ProblemAsync(await _server.PostJsonAsync("/v1/silences",
            $$"""{"service": "nope", "ends_at": "{{Iso(TimeSpan.FromHours(1))}}", "comment": "c", "author": "a"}"""), 404);
        Assert.Contains("nope", problem["detail"]!.GetValue<string>(), StringComparison.Ordinal);
    }
}

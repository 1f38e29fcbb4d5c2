using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Vigil.Monitoring;
using Vigil.Persistence;
using Vigil.Server.Hosting;

namespace Vigil.Cli.Tests;

/// <summary>
/// <c>vigil alerts list|show|ack|silence|silences|unsilence</c> against a real server. The alert is written into the
/// server's store as its evaluator would (the evaluator's path is tested in Vigil.Server.Tests); everything else goes
/// through the CLI and HTTP.
/// </summary>
public sealed class AlertsCommandsTests : IAsyncLifetime
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "vigil-cli-alerts-" + Guid.NewGuid().ToString("N"));
    private VigilApp _app = null!;
    private string _alertId = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        Directory.CreateDirectory(_directory);
        _app = await VigilServer.StartAsync(
            new VigilServerOptions { Urls = ["http://127.0.0.1:0"], Store = "sqlite:" + Path.Combine(_directory, "vigil.db"), LogLevel = LogLevel.Warning },
            CancellationToken.None);
        Assert.Equal(0, (await RunAsync("services", "create", "--name", "feed", "--input", "price:number:0..", "--output", "probability")).ExitCode);
        var now = TimeProvider.System.GetUtcNow();
        _alertId = StoredAlert.IdOf("feed", 1, "champion", "input-drift", "price");
        var alert = new StoredAlert(
            _alertId, "feed", 1, "champion",
            new AlertStatus("input-drift", "price", AlertState.Firing, now.AddMinutes(-7), now.AddMinutes(-9), now.AddMinutes(-2), now, null, 4.1, 0.25),
            AlertSeverity.Critical, MonitorLayer.Input, "input-drift: psi of 'price' = 4.1 (≥ 0.25); median 12.4 → 1,240", false, null, 0, now);
        (await _app.Services.GetRequiredService<IVigilStore>().PutAlertAsync(alert, 0, Ct)).Unwrap();
    }

    public async ValueTask DisposeAsync()
    {
        await _app.DisposeAsync();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private Task<CliResult> RunAsync(params string[] args) => Cli.RunAsync(["--server", _app.BaseAddress.GetLeftPart(UriPartial.Authority), .. args]);

    [Fact]
    public async Task ListShowAck_ShowTheAlertGroupedByService_AndAckRecordsTheReason()
    {
        var table = await RunAsync("alerts", "list");
        Assert.True(table.ExitCode == 0, table.ToString());
        Assert.Contains("feed: 1 firing, 0 pending, 0 resolved, 0 acknowledged, 0 silenced", table.Out, StringComparison.Ordinal);
        Assert.Contains(_alertId, table.Out, StringComparison.Ordinal);

        var list = await RunAsync("alerts", "list", "--json");
        using (var json = JsonDocument.Parse(list.Out))
        {
            var group = Assert.Single(json.RootElement.GetProperty("groups").EnumerateArray());
            Assert.Equal(1, group.GetProperty("firing").GetInt32());
            Assert.Equal(_alertId, json.RootElement.GetProperty("alerts")[0].GetProperty("id").GetString());
        }

        var show = await RunAsync("alerts", "show", _alertId);
        Assert.True(show.ExitCode == 0, show.ToString());
        Assert.Contains("Time to detect: 00:07:00", show.Out, StringComparison.Ordinal);
        Assert.Contains("Not acknowledged", show.Out, StringComparison.Ordinal);

        var noReason = await RunAsync("alerts", "ack", _alertId);
        Assert.Equal(2, noReason.ExitCode);
        var ack = await RunAsync("alerts", "ack", _alertId, "--reason", "upstream paged", "--json");
        Assert.True(ack.ExitCode == 0, ack.ToString());
        using (var json = JsonDocument.Parse(ack.Out))
        {
            Assert.Equal("upstream paged", json.RootElement.GetProperty("ack").GetProperty("reason").GetString());
        }

        Assert.Contains("Acknowledged by", (await RunAsync("alerts", "show", _alertId)).Out, StringComparison.Ordinal);
        var missing = await RunAsync("alerts", "show", "0000000000000000");
        Assert.Equal(1, missing.ExitCode);
        Assert.Contains("there is no alert", missing.Err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Silence_CreateListAndEndEarly_MarksTheAlert_AndAnExpiryIsRequired()
    {
        var noExpiry = await RunAsync("alerts", "silence", "--service", "feed", "--comment", "migration");
        Assert.Equal(2, noExpiry.ExitCode);
        Assert.Contains("needs an expiry", noExpiry.Err, StringComparison.Ordinal);
        var past = await RunAsync("alerts", "silence", "--service", "feed", "--until", "2020-01-01T00:00:00Z", "--comment", "migration");
        Assert.Equal(1, past.ExitCode);
        Assert.Contains("not in the future", past.Err, StringComparison.Ordinal);

        var created = await RunAsync("alerts", "silence", "--service", "feed", "--feature", "price", "--expires", "2h", "--comment", "feed migration", "--author", "alice", "--json");
        Assert.True(created.ExitCode == 0, created.ToString());
        string id;
        using (var json = JsonDocument.Parse(created.Out))
        {
            id = json.RootElement.GetProperty("id").GetString()!;
            Assert.Equal("alice", json.RootElement.GetProperty("created_by").GetString());
        }

        Assert.Contains(id, (await RunAsync("alerts", "silences")).Out, StringComparison.Ordinal);
        Assert.Contains("silenced", (await RunAsync("alerts", "list")).Out, StringComparison.Ordinal);
        Assert.Contains($"Silenced by: {id}", (await RunAsync("alerts", "show", _alertId)).Out, StringComparison.Ordinal);

        var ended = await RunAsync("alerts", "unsilence", id);
        Assert.True(ended.ExitCode == 0, ended.ToString());
        Assert.Contains("No silences.", (await RunAsync("alerts", "silences")).Out, StringComparison.Ordinal);
        Assert.Contains(id, (await RunAsync("alerts", "silences", "--all")).Out, StringComparison.Ordinal);
        Assert.Equal(1, (await RunAsync("alerts", "unsilence", id)).ExitCode);
    }
}

using System.Diagnostics;
using System.Text.Json.Nodes;
using Vigil.Monitoring;
using Vigil.Server.Monitoring;
using Vigil.Testing;

namespace Vigil.Server.Tests;

/// <summary>
/// The Alertmanager body the evaluator sends, POSTed to a real Prometheus Alertmanager (Debian's
/// prometheus-alertmanager), which must accept it and list the alert with its labels. Skipped, saying why, when the
/// binary is not installed.
/// </summary>
public sealed class AlertmanagerTests
{
    private const string Binary = "/usr/bin/prometheus-alertmanager";


    [Fact]
    public async Task FiringAlert_IsAcceptedAndListedByARealAlertmanager_AndResolvedEndsIt()
    {
        if (!File.Exists(Binary))
        {
            Assert.Skip($"{Binary} is not installed (apt-get install prometheus-alertmanager)");
        }

        var ct = TestContext.Current.CancellationToken;
        var directory = Directory.CreateTempSubdirectory("vigil-alertmanager-").FullName;
        var config = Path.Combine(directory, "alertmanager.yml");
        await File.WriteAllTextAsync(config, "route:\n  receiver: none\nreceivers:\n  - name: none\n", ct);
        var port = Ports.Free();
        using var process = Process.Start(new ProcessStartInfo(Binary)
        {
            ArgumentList = { $"--config.file={config}", $"--storage.path={directory}", $"--web.listen-address=127.0.0.1:{port}", "--cluster.listen-address=" },
            RedirectStandardError = true,
            RedirectStandardOutput = true,
        })!;
        try
        {
            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
            var ready = false;
            for (var i = 0; i < 100 && !ready; i++)
            {
                try
                {
                    ready = (await http.GetAsync("/-/ready", ct)).IsSuccessStatusCode;
                }
                catch (HttpRequestException)
                {
                }

                if (!ready)
                {
                    await Task.Delay(100, ct);
                }
            }

            Assert.True(ready, "alertmanager did not become ready");
            var fired = new DateTimeOffset(2026, 11, 3, 0, 9, 0, TimeSpan.Zero);
            var change = new AlertEvent("input-drift", MonitorLayer.Input, "price", AlertSeverity.Critical, AlertState.Pending, AlertState.Firing,
                fired, fired.AddMinutes(-6), fired, 360, 1.5, 0.25, "input-drift: psi of 'price' = 1.5 (≥ 0.25); median 12.4 → 1,240, PSI 1.5", false, [MonitorAction.Notify]);
            var stream = new StreamKey("shop", 3, "champion");
            // Alertmanager drops alerts that ended in the past; shift the times to now so it keeps this one.
            var now = DateTimeOffset.UtcNow;
            change = change with { At = now, FiredAt = now, FirstBadWindowStart = now.AddMinutes(-6) };

            var (url, content) = AlertNotifications.Create($"http://127.0.0.1:{port}/api/v2/alerts", stream, change);
            var posted = await http.PostAsync(url, content, ct);
            Assert.True(posted.IsSuccessStatusCode, await posted.Content.ReadAsStringAsync(ct));

            var listed = JsonNode.Parse(await http.GetStringAsync("/api/v2/alerts", ct))!.AsArray();
            var alert = Assert.Single(listed)!;
            Assert.Equal("input-drift", alert["labels"]!["alertname"]!.GetValue<string>());
            Assert.Equal("price", alert["labels"]!["feature"]!.GetValue<string>());
            Assert.Equal("critical", alert["labels"]!["severity"]!.GetValue<string>());
            Assert.Equal("360", alert["annotations"]!["time_to_detect_seconds"]!.GetValue<string>());
            Assert.Equal("active", alert["status"]!["state"]!.GetValue<string>());

            var (_, resolved) = AlertNotifications.Create(url.ToString(), stream, change with { From = AlertState.Firing, To = AlertState.Resolved, At = now.AddSeconds(1) });
            Assert.True((await http.PostAsync(url, resolved, ct)).IsSuccessStatusCode);
            await Task.Delay(1500, ct);
            var after = JsonNode.Parse(await http.GetStringAsync("/api/v2/alerts?active=true&silenced=true&inhibited=true&unprocessed=true", ct))!.AsArray();
            Assert.Empty(after);
        }
        finally
        {
            process.Kill();
            await process.WaitForExitAsync(CancellationToken.None);
            Directory.Delete(directory, recursive: true);
        }
    }
}

using System.Text.Json;

namespace Vigil.Cli.Tests;

/// <summary><c>vigil services monitoring</c> and <c>vigil metrics push|list</c> against a real server.</summary>
public sealed class LayerCommandsTests(ServerFixture server) : IClassFixture<ServerFixture>, IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("vigil-layers-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private Task<CliResult> RunAsync(params string[] args) => Cli.RunAsync(["--server", server.Server, .. args]);

    private async Task<string> ServiceAsync()
    {
        var name = "svc-" + Guid.NewGuid().ToString("N")[..8];
        var created = await RunAsync("services", "create", "--name", name, "--input", "price:number:0..", "--output", "probability");
        Assert.True(created.ExitCode == 0, created.ToString());
        return name;
    }

    [Fact]
    public async Task ServicesMonitoring_SetsThePolicyAndSegments_AndShowsThem()
    {
        var name = await ServiceAsync();

        var set = await RunAsync("services", "monitoring", name, "--input-policy", "reject", "--segment", "country", "--json");
        Assert.True(set.ExitCode == 0, set.ToString());
        using (var json = JsonDocument.Parse(set.Out))
        {
            Assert.Equal("reject", json.RootElement.GetProperty("settings").GetProperty("input_policy").GetString());
            Assert.Equal(1, json.RootElement.GetProperty("revision").GetInt64());
        }

        var shown = await RunAsync("services", "monitoring", name);
        Assert.True(shown.ExitCode == 0, shown.ToString());
        Assert.Contains("reject", shown.Out, StringComparison.Ordinal);
        Assert.Contains("country", shown.Out, StringComparison.Ordinal);

        var bad = await RunAsync("services", "monitoring", name, "--input-policy", "drop");
        Assert.Equal(2, bad.ExitCode);
        var tooMany = await RunAsync("services", "monitoring", name, "--segment", "a", "--segment", "b", "--segment", "c", "--segment", "d", "--segment", "e");
        Assert.Equal(1, tooMany.ExitCode);
        Assert.Contains("at most 4 attributes", tooMany.Err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task MetricsPush_FromArgsAndCsv_ThenList_AndABadFileStoresNothing()
    {
        var name = await ServiceAsync();
        var metric = "nps_" + Guid.NewGuid().ToString("N")[..6];

        var one = await RunAsync("metrics", "push", metric, "31", "--at", "2026-10-01T00:00:00Z", "--service", name, "--segment", "DE");
        Assert.True(one.ExitCode == 0, one.ToString());
        Assert.Contains("Stored 1 point.", one.Out, StringComparison.Ordinal);

        var csv = Path.Combine(_directory, "points.csv");
        await File.WriteAllTextAsync(csv, $"name,value,timestamp,service\n{metric},33,2026-10-02T00:00:00Z,{name}\n{metric},35,2026-10-03T00:00:00Z,\n", TestContext.Current.CancellationToken);
        var file = await RunAsync("metrics", "push", "--file", csv);
        Assert.True(file.ExitCode == 0, file.ToString());
        Assert.Contains("Stored 2 points.", file.Out, StringComparison.Ordinal);

        var list = await RunAsync("metrics", "list", "--name", metric, "--json");
        Assert.True(list.ExitCode == 0, list.ToString());
        using (var json = JsonDocument.Parse(list.Out))
        {
            var values = json.RootElement.GetProperty("points").EnumerateArray().Select(p => p.GetProperty("value").GetDouble()).ToList();
            Assert.Equal([31.0, 33.0, 35.0], values);
        }

        var table = await RunAsync("metrics", "list", "--name", metric, "--service", name);
        Assert.Contains("DE", table.Out, StringComparison.Ordinal);

        var broken = Path.Combine(_directory, "broken.csv");
        await File.WriteAllTextAsync(broken, $"name,value,timestamp\n{metric},1,2026-10-04T00:00:00Z\n{metric},abc,2026-10-05T00:00:00Z\n{metric},2,\n", TestContext.Current.CancellationToken);
        var bad = await RunAsync("metrics", "push", "-f", broken);
        Assert.Equal(1, bad.ExitCode);
        Assert.Contains("points[1]: 'value' must be a finite number", bad.Err, StringComparison.Ordinal);
        Assert.Contains("points[2]: 'timestamp' is missing", bad.Err, StringComparison.Ordinal);
        var after = await RunAsync("metrics", "list", "--name", metric, "--json");
        using (var json = JsonDocument.Parse(after.Out))
        {
            Assert.Equal(3, json.RootElement.GetProperty("points").GetArrayLength());
        }

        var header = Path.Combine(_directory, "header.csv");
        await File.WriteAllTextAsync(header, "metric,value\nx,1\n", TestContext.Current.CancellationToken);
        var wrong = await RunAsync("metrics", "push", "-f", header);
        Assert.Equal(1, wrong.ExitCode);
        Assert.Contains("unknown column 'metric'", wrong.Err, StringComparison.Ordinal);
        Assert.Contains("missing column 'timestamp'", wrong.Err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task MonitorsApplyAndTest_BusinessMonitorWouldHaveFired_AndBadFilesNameEveryProblem()
    {
        var name = await ServiceAsync();
        var metric = "retention_" + Guid.NewGuid().ToString("N")[..6];
        Assert.Equal(0, (await RunAsync("metrics", "push", metric, "0.1", "--at", "2d", "--service", name)).ExitCode);
        Assert.Equal(0, (await RunAsync("metrics", "push", metric, "0.12", "--at", "1d", "--service", name)).ExitCode);
        var file = Path.Combine(_directory, "monitors.yaml");
        await File.WriteAllTextAsync(file, $"""
            monitors:
              - name: retention-low
                layer: business
                metric: business_mean
                feature: {metric}
                threshold: 0.3
                operator: below
                window: 7d
                severity: critical
            """, TestContext.Current.CancellationToken);

        var test = await RunAsync("monitors", "test", "-f", file, "--service", name, "--json");
        Assert.True(test.ExitCode == 0, test.ToString());
        using (var json = JsonDocument.Parse(test.Out))
        {
            var alert = Assert.Single(json.RootElement.GetProperty("alerts").EnumerateArray());
            Assert.Equal("retention-low", alert.GetProperty("monitor").GetString());
            Assert.Equal(0.1, alert.GetProperty("value").GetDouble(), 9);
        }

        var applied = await RunAsync("monitors", "apply", "-f", file, "--service", name);
        Assert.True(applied.ExitCode == 0, applied.ToString());
        Assert.Contains("Applied 1 monitor", applied.Out, StringComparison.Ordinal);
        var own = await RunAsync("monitors", "test", "--service", name);
        Assert.Contains("retention-low", own.Out, StringComparison.Ordinal);
        Assert.Contains("1 alert would have fired.", own.Out, StringComparison.Ordinal);

        var bad = Path.Combine(_directory, "bad.yaml");
        await File.WriteAllTextAsync(bad, """
            - name: drift
              layer: input
              metric: psi
              feature: colour
              threshold: 0.25
              window: 15m
            - name: nowhere
              layer: business
              metric: business_mean
              threshold: 1
              window: 7d
            """, TestContext.Current.CancellationToken);
        var rejected = await RunAsync("monitors", "apply", "-f", bad, "--service", name);
        Assert.Equal(1, rejected.ExitCode);
        Assert.Contains("feature 'colour' is not a feature of", rejected.Err, StringComparison.Ordinal);
        Assert.Contains("metric 'business_mean' needs a feature", rejected.Err, StringComparison.Ordinal);

        var unknownMetric = Path.Combine(_directory, "metric.yaml");
        await File.WriteAllTextAsync(unknownMetric, "- {name: x, layer: performance, metric: acuracy, threshold: 0.9, window: 1d}\n", TestContext.Current.CancellationToken);
        var wrong = await RunAsync("monitors", "apply", "-f", unknownMetric, "--service", name);
        Assert.Equal(1, wrong.ExitCode);
        Assert.Contains("metric 'acuracy' is unknown", wrong.Err, StringComparison.Ordinal);
    }
}

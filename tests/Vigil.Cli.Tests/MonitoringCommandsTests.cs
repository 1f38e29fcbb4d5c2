using System.Text.Json;

namespace Vigil.Cli.Tests;

/// <summary><c>vigil baseline upload</c>, <c>vigil monitors list</c> and <c>vigil alerts list</c> against a real server.</summary>
public sealed class MonitoringCommandsTests(ServerFixture server) : IClassFixture<ServerFixture>, IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("vigil-monitoring-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private Task<CliResult> RunAsync(params string[] args) => Cli.RunAsync(["--server", server.Server, .. args]);

    [Fact]
    public async Task BaselineUpload_ProfilesTheTrainingFile_AndBadFilesAreRejectedBeforeSending()
    {
        await using var model = await FakeJsonModel.StartAsync();
        var name = "svc-" + Guid.NewGuid().ToString("N")[..8];
        Assert.Equal(0, (await RunAsync("services", "create", "--name", name, "--input", "price:number:0..", "--input", "country:category", "--output", "probability")).ExitCode);
        Assert.Equal(0, (await RunAsync("models", "register", name, "--backend", "http", "--location", model.Url, "--protocol", "json", "--alias", "champion")).ExitCode);

        var train = Path.Combine(_directory, "train.csv");
        await File.WriteAllTextAsync(train, "price,country\n" + string.Join("\n", Enumerable.Range(0, 1000).Select(i => $"{10 + (i % 7)},{(i % 3 == 0 ? "de" : "fr")}")) + "\n", TestContext.Current.CancellationToken);
        var uploaded = await RunAsync("baseline", "upload", name, "--version", "1", "--file", train, "--json");
        Assert.True(uploaded.ExitCode == 0, uploaded.ToString());
        using (var json = JsonDocument.Parse(uploaded.Out))
        {
            Assert.Equal(1000, json.RootElement.GetProperty("rows").GetInt64());
            var features = json.RootElement.GetProperty("features").EnumerateArray().ToList();
            Assert.Equal(["country", "price"], features.Select(f => f.GetProperty("name").GetString()));
            Assert.Equal("numeric", features[1].GetProperty("kind").GetString());
            Assert.Equal(13, features[1].GetProperty("median").GetDouble());
        }

        var mixed = Path.Combine(_directory, "mixed.csv");
        await File.WriteAllTextAsync(mixed, "price\n1\n2\nabc\n3\n", TestContext.Current.CancellationToken);
        var bad = await RunAsync("baseline", "upload", name, "--version", "1", "--file", mixed);
        Assert.Equal(1, bad.ExitCode);
        Assert.Contains("mixes numbers and text", bad.Err, StringComparison.Ordinal);

        var missing = await RunAsync("baseline", "upload", name, "--version", "7", "--file", train);
        Assert.Equal(1, missing.ExitCode);
        Assert.Contains("has no version 7", missing.Err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task MonitorsList_ShowsTheDefaults_AndAlertsListIsEmptyOnAQuietServer()
    {
        var monitors = await RunAsync("monitors", "list", "--json");
        Assert.True(monitors.ExitCode == 0, monitors.ToString());
        using var json = JsonDocument.Parse(monitors.Out);
        var names = json.RootElement.GetProperty("monitors").EnumerateArray().Select(m => m.GetProperty("name").GetString()).ToList();
        Assert.Equal(["schema-violations", "null-rate-jump", "input-drift", "confidence-shift", "error-rate", "latency-p99"], names);
        var table = await RunAsync("monitors", "list");
        Assert.Contains("input-drift", table.Out, StringComparison.Ordinal);

        var alerts = await RunAsync("alerts", "list", "--service", "nothing-here");
        Assert.True(alerts.ExitCode == 0, alerts.ToString());
        Assert.Contains("No alerts.", alerts.Out, StringComparison.Ordinal);
    }
}

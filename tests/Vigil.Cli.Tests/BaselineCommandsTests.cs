using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Vigil.Cli.Tests;

/// <summary><c>vigil models register --baseline</c> and <c>vigil baseline set --from --to</c> against a real server, with the bad files of the issue.</summary>
public sealed class BaselineCommandsTests(ServerFixture server) : IClassFixture<ServerFixture>, IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("vigil-baseline-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private Task<CliResult> RunAsync(params string[] args) => Cli.RunAsync(["--server", server.Server, .. args]);

    private async Task<string> ServiceAsync()
    {
        var name = "svc-" + Guid.NewGuid().ToString("N")[..8];
        var created = await RunAsync("services", "create", "--name", name, "--input", "price:number:0..", "--input", "country:category", "--output", "probability");
        Assert.True(created.ExitCode == 0, created.ToString());
        return name;
    }

    private async Task<string> FileAsync(string name, string text)
    {
        var path = Path.Combine(_directory, name);
        await File.WriteAllTextAsync(path, text, Ct);
        return path;
    }

    private async Task<int> VersionsAsync(string service)
    {
        var list = await RunAsync("models", "list", service, "--json");
        using var json = JsonDocument.Parse(list.Out);
        return json.RootElement.GetProperty("versions").GetArrayLength();
    }

    [Fact]
    public async Task RegisterWithBaseline_StoresTheVersionAndItsProfiles()
    {
        await using var model = await FakeJsonModel.StartAsync();
        var name = await ServiceAsync();
        var train = await FileAsync("train.csv", "price,country\n" + string.Join("\n", Enumerable.Range(0, 500).Select(i => $"{10 + (i % 5)},{(i % 2 == 0 ? "de" : "fr")}")) + "\n");

        var registered = await RunAsync("models", "register", name, "--backend", "http", "--location", model.Url, "--protocol", "json", "--baseline", train);
        Assert.True(registered.ExitCode == 0, registered.ToString());
        Assert.Contains("Baseline: 500 rows", registered.Out, StringComparison.Ordinal);

        using var http = new HttpClient { BaseAddress = new Uri(server.Server) };
        using var json = JsonDocument.Parse(await http.GetStringAsync($"/v1/services/{name}/versions/1/baseline", Ct));
        Assert.Equal(500, json.RootElement.GetProperty("rows").GetInt64());
        Assert.Equal(12, json.RootElement.GetProperty("features")[1].GetProperty("median").GetDouble());
        Assert.Equal("categorical", json.RootElement.GetProperty("features")[0].GetProperty("kind").GetString());
    }

    [Theory]
    [InlineData("empty.csv", "", "empty")]
    [InlineData("header-only.csv", "price,country\n", "no data rows")]
    [InlineData("mismatch.csv", "price,colour\n1,red\n2,blue\n", "column 'colour' is not an input")]
    [InlineData("text-in-number.csv", "price,country\nabc,de\nxyz,fr\n", "holds text")]
    [InlineData("mixed.csv", "price,country\n1,de\nabc,fr\n3,de\n", "mixes numbers and text")]
    [InlineData("nan.csv", "price,country\n1,de\nNaN,fr\n", "NaN")]
    [InlineData("huge.csv", "price,country\n1,de\n1e309,fr\n", "1e309")]
    public async Task RegisterWithABadBaseline_FailsClearly_AndRegistersNothing(string file, string text, string message)
    {
        await using var model = await FakeJsonModel.StartAsync();
        var name = await ServiceAsync();
        var path = await FileAsync(file, text);

        var result = await RunAsync("models", "register", name, "--backend", "http", "--location", model.Url, "--protocol", "json", "--baseline", path);

        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.Contains(message, result.Err, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(0, await VersionsAsync(name));
    }

    [Fact]
    public async Task BaselineSet_ProfilesTheVersionsLoggedRequestsInTheWindow()
    {
        await using var model = await FakeJsonModel.StartAsync();
        var name = await ServiceAsync();
        Assert.Equal(0, (await RunAsync("models", "register", name, "--backend", "http", "--location", model.Url, "--protocol", "json", "--alias", "champion")).ExitCode);
        var from = DateTimeOffset.UtcNow.AddMinutes(-1).ToString("O", CultureInfo.InvariantCulture);

        var empty = await RunAsync("baseline", "set", name, "--version", "1", "--from", from);
        Assert.Equal(1, empty.ExitCode);
        Assert.Contains("no logged requests", empty.Err, StringComparison.Ordinal);

        using var http = new HttpClient { BaseAddress = new Uri(server.Server) };
        var instances = string.Join(",", Enumerable.Range(0, 40).Select(i => $$$"""{"inputs": {"price": {{{20 + (i % 3)}}}, "country": "{{{(i % 4 == 0 ? "us" : "de")}}}"}}"""));
        using (var response = await http.PostAsync($"/v1/services/{name}/predict", new StringContent($$"""{"instances": [{{instances}}]}""", Encoding.UTF8, "application/json"), Ct))
        {
            Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync(Ct));
        }

        CliResult set = empty;
        for (var i = 0; i < 50 && set.ExitCode != 0; i++)
        {
            await Task.Delay(100, Ct); // the recorder writes in the background
            set = await RunAsync("baseline", "set", name, "--version", "1", "--from", from, "--to", DateTimeOffset.UtcNow.AddMinutes(1).ToString("O", CultureInfo.InvariantCulture), "--json");
        }

        Assert.True(set.ExitCode == 0, set.ToString());
        using var json = JsonDocument.Parse(set.Out);
        Assert.Equal(40, json.RootElement.GetProperty("rows").GetInt64());
        Assert.StartsWith("requests ", json.RootElement.GetProperty("source").GetString(), StringComparison.Ordinal);
        Assert.Equal(21, json.RootElement.GetProperty("features")[1].GetProperty("median").GetDouble());

        var missingFrom = await RunAsync("baseline", "set", name, "--version", "1");
        Assert.Equal(2, missingFrom.ExitCode);
    }
}

using System.Text.Json;
using Vigil.Testing;

namespace Vigil.Cli.Tests;

/// <summary>The CLI against a real server in process, over real HTTP.</summary>
public sealed class CliAgainstServerTests(ServerFixture server) : IClassFixture<ServerFixture>
{
    private static string NewServiceName() => "svc-" + Guid.NewGuid().ToString("N")[..8];

    private Task<CliResult> RunAsync(params string[] args) => Cli.RunAsync(["--server", server.Server, .. args]);

    private async Task<string> CreateServiceAsync()
    {
        var name = NewServiceName();
        var result = await RunAsync("services", "create", "--name", name, "--input", "price:number:0..", "--input", "country:category:DE,FR,US", "--input", "note:string?", "--output", "probability");
        Assert.True(result.ExitCode == 0, result.ToString());
        return name;
    }

    [Fact]
    public async Task ServicesCreate_ThenList_ShowsTheServiceAsTableAndAsJson()
    {
        var name = await CreateServiceAsync();

        var table = await RunAsync("services", "list");
        var json = await RunAsync("services", "list", "--json");

        Assert.Equal(0, table.ExitCode);
        Assert.Contains(name, table.Out, StringComparison.Ordinal);
        Assert.Contains("probability", table.Out, StringComparison.Ordinal);
        Assert.Equal(0, json.ExitCode);
        using var document = JsonDocument.Parse(json.Out);
        var service = document.RootElement.GetProperty("services").EnumerateArray().Single(s => s.GetProperty("name").GetString() == name);
        Assert.Equal(3, service.GetProperty("inputs").GetArrayLength());
        Assert.True(service.GetProperty("inputs")[2].GetProperty("nullable").GetBoolean());
        Assert.Equal("category", service.GetProperty("inputs")[1].GetProperty("type").GetString());
        Assert.Equal("probability", service.GetProperty("output").GetProperty("kind").GetString());
    }

    [Fact]
    public async Task ServicesCreate_FromYamlFile_ThenShow()
    {
        var name = NewServiceName();
        var file = Path.Combine(Path.GetTempPath(), $"{name}.yaml");
        await File.WriteAllTextAsync(file, $"""
            name: {name}
            description: Card fraud score
            inputs:
              - {"{"} name: amount, type: number, min: 0 {"}"}
              - {"{"} name: country, type: category, categories: [DE, FR] {"}"}
            output:
              kind: probability
            """, TestContext.Current.CancellationToken);
        try
        {
            var created = await RunAsync("services", "create", "-f", file);
            var shown = await RunAsync("services", "show", name);

            Assert.True(created.ExitCode == 0, created.ToString());
            Assert.Equal(0, shown.ExitCode);
            Assert.Contains("Card fraud score", shown.Out, StringComparison.Ordinal);
            Assert.Contains("amount", shown.Out, StringComparison.Ordinal);
            Assert.Contains("DE, FR", shown.Out, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public async Task ServicesCreate_InvalidFile_ExitsOneListingEveryErrorAndCreatesNothing()
    {
        var name = NewServiceName();
        var file = Path.Combine(Path.GetTempPath(), $"{name}.yaml");
        await File.WriteAllTextAsync(file, $"name: {name}\ninputs:\n  - {{ name: a, type: numbr }}\n  - {{ name: b, type: number, min: 5, max: 1 }}\noutput: {{ kind: guess }}\n", TestContext.Current.CancellationToken);
        try
        {
            var result = await RunAsync("services", "create", "-f", file);
            var list = await RunAsync("services", "list", "--json");

            Assert.Equal(1, result.ExitCode);
            Assert.Contains("3 errors", result.Err, StringComparison.Ordinal);
            Assert.Contains("'numbr'", result.Err, StringComparison.Ordinal);
            Assert.Contains("min 5 is greater than max 1", result.Err, StringComparison.Ordinal);
            Assert.Contains("'guess'", result.Err, StringComparison.Ordinal);
            Assert.DoesNotContain(name, list.Out, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public async Task ServicesCreate_TwiceWithTheSameName_ExitsOneWithConflict()
    {
        var name = await CreateServiceAsync();

        var again = await RunAsync("services", "create", "--name", name, "--input", "x:number", "--output", "score");

        Assert.Equal(1, again.ExitCode);
        Assert.StartsWith("error: ", again.Err, StringComparison.Ordinal);
        Assert.Contains("409", again.Err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ServicesShow_Unknown_ExitsOneWithNotFound()
    {
        var result = await RunAsync("services", "show", NewServiceName());

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("404", result.Err, StringComparison.Ordinal);
        Assert.Empty(result.Out);
    }

    [Fact]
    public async Task ModelsRegister_MissingOnnxFile_ExitsOneWithTheServersMessage()
    {
        var name = await CreateServiceAsync();
        var missing = Path.Combine(Path.GetTempPath(), $"missing-{Guid.NewGuid():N}.onnx");

        var result = await RunAsync("models", "register", name, "--backend", "onnx", "--location", missing);

        Assert.Equal(1, result.ExitCode);
        Assert.StartsWith("error: ", result.Err, StringComparison.Ordinal);
        Assert.Contains(Path.GetFileName(missing), result.Err, StringComparison.Ordinal);
        var versions = await RunAsync("models", "list", name, "--json");
        Assert.Equal(0, JsonDocument.Parse(versions.Out).RootElement.GetProperty("versions").GetArrayLength());
    }

    [Fact]
    public async Task ModelsPromote_WithoutChallenger_ExitsOneWithAClearMessage()
    {
        var name = await CreateServiceAsync();

        var result = await RunAsync("models", "promote", name, "--reason", "try");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("there is no challenger to promote", result.Err, StringComparison.Ordinal);
        Assert.Single(result.Err.Trim().Split('\n'));
    }

    [Fact]
    public async Task ModelsLifecycle_RegisterPromoteRollbackClear_MovesAliasesAndAuditsEachStep()
    {
        await using var model = await FakeJsonModel.StartAsync();
        var name = await CreateServiceAsync();

        var v1 = await RunAsync("models", "register", name, "--backend", "http", "--location", model.Url, "--protocol", "json", "--metric", "auc=0.91", "--meta", "git=abc", "--alias", "champion");
        var v2 = await RunAsync("models", "register", name, "--backend", "http", "--location", model.Url, "--protocol", "json", "--json");
        var challenger = await RunAsync("models", "alias", name, "challenger", "2");
        var beforePromotion = DateTimeOffset.UtcNow;
        var promoted = await RunAsync("models", "promote", name, "--reason", "canary passed");
        var rolledBack = await RunAsync("models", "rollback", name, "--reason", "error rate", "--json");
        var cleared = await RunAsync("models", "alias", name, "previous-champion", "none");
        var list = await RunAsync("models", "list", name);
        var show = await RunAsync("models", "show", name, "1");
        var history = await RunAsync("models", "history", name, "--at", beforePromotion.ToString("O"));
        var audit = await RunAsync("audit", "--service", name, "--action", "alias.promoted", "--json");

        foreach (var step in new[] { v1, v2, challenger, promoted, rolledBack, cleared, list, show, history, audit })
        {
            Assert.True(step.ExitCode == 0, step.ToString());
        }

        Assert.Contains("v1 as champion", v1.Out, StringComparison.Ordinal);
        Assert.Equal(2, JsonDocument.Parse(v2.Out).RootElement.GetProperty("number").GetInt32());
        Assert.Contains("now serves v2", promoted.Out, StringComparison.Ordinal);
        using var afterRollback = JsonDocument.Parse(rolledBack.Out);
        Assert.Equal(1, afterRollback.RootElement.GetProperty("champion").GetInt32());
        Assert.Equal(2, afterRollback.RootElement.GetProperty("previous_champion").GetInt32());
        Assert.Contains("Cleared previous-champion", cleared.Out, StringComparison.Ordinal);
        Assert.Contains("auc=0.91", list.Out, StringComparison.Ordinal);
        Assert.Contains("git", show.Out, StringComparison.Ordinal);
        Assert.Contains("champion", show.Out, StringComparison.Ordinal);
        Assert.Contains("canary passed", history.Out, StringComparison.Ordinal);
        Assert.Contains("was v1", history.Out, StringComparison.Ordinal);
        Assert.Single(JsonDocument.Parse(audit.Out).RootElement.GetProperty("events").EnumerateArray());
    }

    [Fact]
    public async Task ModelsHistory_NewService_HasNoMovesAndNoChampion()
    {
        var name = await CreateServiceAsync();

        var result = await RunAsync("models", "history", name, "--at", "2026-11-20T10:00:00Z");
        var json = await RunAsync("models", "history", name, "--json");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("No alias has moved yet", result.Out, StringComparison.Ordinal);
        Assert.Contains("had no champion", result.Out, StringComparison.Ordinal);
        Assert.Equal(0, JsonDocument.Parse(json.Out).RootElement.GetProperty("changes").GetArrayLength());
    }

    [Fact]
    public async Task Audit_Json_ShowsServiceCreated()
    {
        var name = await CreateServiceAsync();

        var result = await RunAsync("audit", "--service", name, "--json");

        Assert.True(result.ExitCode == 0, result.ToString());
        using var document = JsonDocument.Parse(result.Out);
        var events = document.RootElement.GetProperty("events").EnumerateArray().ToList();
        Assert.Contains(events, e => e.GetProperty("action").GetString() == "service.created" && e.GetProperty("service").GetString() == name);
    }

    [Fact]
    public async Task Audit_Table_ShowsServiceCreated()
    {
        var name = await CreateServiceAsync();

        var result = await RunAsync("audit", "--service", name, "--since", "1h");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("service.created", result.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Status_ShowsStoreAccessAndServices()
    {
        var name = await CreateServiceAsync();

        var all = await RunAsync("status");
        var one = await RunAsync("status", name, "--json");

        Assert.True(all.ExitCode == 0, all.ToString());
        Assert.Contains("sqlite", all.Out, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("open mode", all.Out, StringComparison.Ordinal);
        Assert.Contains(name, all.Out, StringComparison.Ordinal);
        Assert.True(one.ExitCode == 0, one.ToString());
        Assert.Equal(name, JsonDocument.Parse(one.Out).RootElement.GetProperty("service").GetString());
    }

    [Fact]
    public async Task UnreachableServer_ExitsOneWithCannotReach()
    {
        var closed = Ports.Free();

        var result = await Cli.RunAsync("--server", $"http://127.0.0.1:{closed}", "services", "list");

        Assert.Equal(1, result.ExitCode);
        Assert.Equal(
            $"error: cannot reach Vigil at http://127.0.0.1:{closed}: connection refused. Start it with 'vigil serve' or pass --server.",
            result.Err.Trim());
    }
}

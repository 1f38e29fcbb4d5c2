using System.Text.Json;
using Vigil.Cli.Flags;
using Vigil.Cli.ServiceFiles;

namespace Vigil.Cli.Tests;

/// <summary><c>vigil flags …</c> against a real server in process, over real HTTP.</summary>
public sealed class FlagsCommandsTests(ServerFixture server) : IClassFixture<ServerFixture>, IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("vigil-flags-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private Task<CliResult> RunAsync(params string[] args) => Cli.RunAsync(["--server", server.Server, .. args]);

    private async Task<string> CreateServiceAsync()
    {
        var name = "svc-" + Guid.NewGuid().ToString("N")[..8];
        var result = await RunAsync("services", "create", "--name", name, "--input", "price:number:0..", "--output", "probability");
        Assert.True(result.ExitCode == 0, result.ToString());
        return name;
    }

    private async Task<string> WriteAsync(string text)
    {
        var path = Path.Combine(_directory, Guid.NewGuid().ToString("N") + ".yaml");
        await File.WriteAllTextAsync(path, text, TestContext.Current.CancellationToken);
        return path;
    }

    private static string NewKey(string prefix) => prefix + "-" + Guid.NewGuid().ToString("N")[..8];

    [Fact]
    public async Task List_ShowsEachServiceFlagAsTableAndAsJson()
    {
        var service = await CreateServiceAsync();

        var table = await RunAsync("flags", "list", "--service", service);
        var json = await RunAsync("flags", "list", "--service", service, "--json");

        Assert.True(table.ExitCode == 0, table.ToString());
        Assert.Contains($"{service}-enabled", table.Out, StringComparison.Ordinal);
        Assert.Contains("on", table.Out, StringComparison.Ordinal);
        Assert.Equal(0, json.ExitCode);
        using var document = JsonDocument.Parse(json.Out);
        var flag = Assert.Single(document.RootElement.GetProperty("flags").EnumerateArray());
        Assert.Equal($"{service}-enabled", flag.GetProperty("key").GetString());
        Assert.True(flag.GetProperty("enabled").GetBoolean());
        Assert.Equal(service, flag.GetProperty("service").GetString());
    }

    [Fact]
    public async Task CreateFromYamlList_ThenShow_AsTextAndJson()
    {
        var service = await CreateServiceAsync();
        var (dach, beta) = (NewKey("dach"), NewKey("beta"));
        var file = await WriteAsync($"""
            - key: {dach}
              enabled: true
              service: {service}
              description: DACH first
              rules:
                - conditions:
                    - {"{"} attribute: country, operator: in, values: [DE, AT, CH] {"}"}
                    - {"{"} attribute: app_version, operator: ">=", value: 42 {"}"}
              percentage: 12.5
            - key: {beta}
              enabled: false
            """);

        var created = await RunAsync("flags", "create", "-f", file);
        var shown = await RunAsync("flags", "show", dach);
        var json = await RunAsync("flags", "show", dach, "--json");

        Assert.True(created.ExitCode == 0, created.ToString());
        Assert.Contains($"Created flag {dach}", created.Out, StringComparison.Ordinal);
        Assert.Contains($"Created flag {beta}", created.Out, StringComparison.Ordinal);
        Assert.True(shown.ExitCode == 0, shown.ToString());
        Assert.Contains("country in [DE, AT, CH] and app_version >= 42", shown.Out, StringComparison.Ordinal);
        Assert.Contains("Percentage: 12.5%", shown.Out, StringComparison.Ordinal);
        Assert.Contains($"Service: {service}", shown.Out, StringComparison.Ordinal);
        using var document = JsonDocument.Parse(json.Out);
        Assert.Equal(1, document.RootElement.GetProperty("revision").GetInt64());
        Assert.Equal("42", document.RootElement.GetProperty("rules")[0].GetProperty("conditions")[1].GetProperty("value").GetString());
    }

    [Fact]
    public async Task Create_InvalidFile_ExitsOneListingEveryErrorAndSendsNothing()
    {
        var key = NewKey("bad");
        var file = await WriteAsync($"""
            key: {key}
            enabled: true
            percentage: 150
            rules:
              - conditions: [ {"{"} attribute: country, operator: lt, value: DE {"}"} ]
            """);

        var result = await RunAsync("flags", "create", "-f", file);
        var shown = await RunAsync("flags", "show", key);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("unknown operator 'lt'", result.Err, StringComparison.Ordinal);
        Assert.Contains("percentage", result.Err, StringComparison.Ordinal);
        Assert.Contains("nothing was sent", result.Err, StringComparison.Ordinal);
        Assert.Equal(1, shown.ExitCode);
        Assert.Contains("404", shown.Err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Create_Duplicate_ExitsOneWithTheConflict()
    {
        var service = await CreateServiceAsync();
        var file = await WriteAsync($"key: {service}-enabled\nenabled: false\n");

        var result = await RunAsync("flags", "create", "-f", file);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("already exists", result.Err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Set_ReplacesTheDefinition_AndAStaleRevisionIsRefused()
    {
        var key = NewKey("ranker");
        Assert.Equal(0, (await RunAsync("flags", "create", "-f", await WriteAsync($"key: {key}\nenabled: true\n"))).ExitCode);

        var set = await RunAsync("flags", "set", key, "-f", await WriteAsync($"key: {key}\nenabled: true\npercentage: 5\n"));
        var stale = await RunAsync("flags", "set", key, "-f", await WriteAsync($"key: {key}\nenabled: false\nrevision: 1\n"));
        var wrongKey = await RunAsync("flags", "set", key, "-f", await WriteAsync("key: other\nenabled: true\n"));
        var json = await RunAsync("flags", "show", key, "--json");

        Assert.True(set.ExitCode == 0, set.ToString());
        Assert.Contains("revision 2", set.Out, StringComparison.Ordinal);
        Assert.Equal(1, stale.ExitCode);
        Assert.Contains("409", stale.Err, StringComparison.Ordinal);
        Assert.Equal(1, wrongKey.ExitCode);
        Assert.Contains("cannot change", wrongKey.Err, StringComparison.Ordinal);
        using var document = JsonDocument.Parse(json.Out);
        Assert.Equal(5, document.RootElement.GetProperty("percentage").GetDouble());
        Assert.True(document.RootElement.GetProperty("enabled").GetBoolean());
    }

    [Fact]
    public async Task OffAndOn_SwitchTheServiceFlag_AuditedWithTheReason()
    {
        var service = await CreateServiceAsync();
        var key = $"{service}-enabled";

        var off = await RunAsync("flags", "off", key, "--reason", "incident 7");
        var offJson = await RunAsync("flags", "show", key, "--json");
        var on = await RunAsync("flags", "on", key, "--json");
        var audit = await RunAsync("audit", "--service", service, "--json");

        Assert.True(off.ExitCode == 0, off.ToString());
        Assert.Contains("is off", off.Out, StringComparison.Ordinal);
        Assert.Contains("no longer calls its model", off.Out, StringComparison.Ordinal);
        Assert.False(JsonDocument.Parse(offJson.Out).RootElement.GetProperty("enabled").GetBoolean());
        Assert.True(on.ExitCode == 0, on.ToString());
        Assert.True(JsonDocument.Parse(on.Out).RootElement.GetProperty("enabled").GetBoolean());
        Assert.True(audit.ExitCode == 0, audit.ToString());
        Assert.Contains("flag.disabled", audit.Out, StringComparison.Ordinal);
        Assert.Contains("incident 7", audit.Out, StringComparison.Ordinal);
        Assert.Contains("flag.enabled", audit.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Evaluate_WithKeyAndAttributes_SaysTheValueAndWhy()
    {
        var key = NewKey("de-only");
        var file = await WriteAsync($"""
            key: {key}
            enabled: true
            rules:
              - conditions: [ {"{"} attribute: country, operator: equals, value: DE {"}"} ]
            """);
        Assert.Equal(0, (await RunAsync("flags", "create", "-f", file)).ExitCode);

        var de = await RunAsync("flags", "evaluate", key, "--key", "user-1", "--attr", "country=DE", "--attr", "plan=pro");
        var fr = await RunAsync("flags", "evaluate", key, "--attr", "country=FR", "--json");
        var malformed = await RunAsync("flags", "evaluate", key, "--attr", "country");

        Assert.True(de.ExitCode == 0, de.ToString());
        Assert.Contains("true (TARGETING_MATCH, rule 0)", de.Out, StringComparison.Ordinal);
        Assert.True(fr.ExitCode == 0, fr.ToString());
        using var document = JsonDocument.Parse(fr.Out);
        Assert.False(document.RootElement.GetProperty("value").GetBoolean());
        Assert.Equal("DEFAULT", document.RootElement.GetProperty("reason").GetString());
        Assert.Equal(2, malformed.ExitCode);
    }

    [Fact]
    public void FlagFile_JsonAndMultipleDocuments_AreRead()
    {
        var read = FlagFileReader.Read("{\"key\": \"a\", \"enabled\": true}\n---\nkey: b\nenabled: false\ndefault: true\n");

        Assert.True(read.IsValid, string.Join("\n", read.Errors));
        Assert.Equal(["a", "b"], read.Flags.Select(f => f.Key));
        Assert.True(read.Flags[1].Default);
    }

    [Fact]
    public void FlagFile_UnknownKey_IsAnErrorWithItsLine()
    {
        var read = FlagFileReader.Read("key: a\nenabled: true\ncolour: red\n");

        Assert.False(read.IsValid);
        Assert.Contains(read.Errors, e => e.Contains("line 1", StringComparison.Ordinal) && e.Contains("colour", StringComparison.Ordinal));
    }

    [Fact]
    public void ServiceFile_OutputFallback_IsRead()
    {
        var read = ServiceFileReader.Read("""
            name: fraud
            inputs: [ { name: amount, type: number } ]
            output: { kind: probability, fallback: { probability: 0, label: false } }
            """);

        Assert.True(read.IsValid, string.Join("\n", read.Errors));
        Assert.Equal(0, read.Request!.Output.Fallback!["probability"]!.GetValue<long>());
        Assert.False(read.Request.Output.Fallback["label"]!.GetValue<bool>());
    }

    [Fact]
    public async Task SegmentsApply_CreatesThenUpdates_AFlagNamingTheSegmentFollowsIt_AndABadFileListsEveryProblem()
    {
        var (segment, flag) = (NewKey("dach"), NewKey("dach-ranker"));
        var first = await WriteAsync($$"""
            key: {{segment}}
            conditions: [{ attribute: country, operator: in, values: [DE, AT] }]
            """);
        var created = await RunAsync("flags", "segments", "apply", "-f", first);
        Assert.True(created.ExitCode == 0, created.ToString());
        Assert.Contains($"Created segment {segment} (revision 1)", created.Out, StringComparison.Ordinal);
        var flagFile = await WriteAsync($$"""
            key: {{flag}}
            enabled: true
            rules: [{ segments: [{{segment}}] }]
            """);
        Assert.Equal(0, (await RunAsync("flags", "create", "-f", flagFile)).ExitCode);
        Assert.Contains("\"value\": false", (await RunAsync("flags", "evaluate", flag, "--key", "u1", "--attr", "country=FR", "--json")).Out, StringComparison.Ordinal);

        var second = await WriteAsync($$"""
            key: {{segment}}
            conditions: [{ attribute: country, operator: in, values: [DE, AT, FR] }]
            """);
        var updated = await RunAsync("flags", "segments", "apply", "-f", second);
        Assert.Contains($"Updated segment {segment} (revision 2)", updated.Out, StringComparison.Ordinal);
        Assert.Contains("\"value\": true", (await RunAsync("flags", "evaluate", flag, "--key", "u1", "--attr", "country=FR", "--json")).Out, StringComparison.Ordinal);
        var list = await RunAsync("flags", "segments", "list");
        Assert.Contains("country in [DE, AT, FR]", list.Out, StringComparison.Ordinal);

        var bad = await WriteAsync("""
            - key: Not A Key
              conditions: []
            - conditions: [{ attribute: country, operator: between, values: [1] }]
            """);
        var refused = await RunAsync("flags", "segments", "apply", "-f", bad);
        Assert.NotEqual(0, refused.ExitCode);
        Assert.Contains("segments[0]", refused.Err, StringComparison.Ordinal);
        Assert.Contains("segments[1]", refused.Err, StringComparison.Ordinal);
    }
}

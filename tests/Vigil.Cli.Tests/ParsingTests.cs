using System.CommandLine;
using Vigil.Cli.Commands;

namespace Vigil.Cli.Tests;

public sealed class ParsingTests
{
    private static RootCommand Root() => CliApp.BuildRootCommand(new CliContext(TextWriter.Null, TextWriter.Null, _ => null, TimeProvider.System));

    [Theory]
    [InlineData("serve")]
    [InlineData("serve --urls http://0.0.0.0:8080 --store sqlite:x.db")]
    [InlineData("serve --urls http://127.0.0.1:5000;http://[::1]:5000")]
    [InlineData("serve --webhook http://hooks.local/vigil --webhook https://alerts.local/a?x=1,2")]
    [InlineData("serve --recorder-durability commit --max-unknown-features 128")]
    [InlineData("serve --recorder-durability async --max-unknown-features 0")]
    [InlineData("services list")]
    [InlineData("services list --json")]
    [InlineData("services show fraud --json")]
    [InlineData("services create -f service.yaml")]
    [InlineData("services create --name fraud --input price:number --input country:category:DE,FR,US --input note:string? --output probability")]
    [InlineData("models register fraud --backend onnx --location model.onnx")]
    [InlineData("models register fraud --backend http --location http://m:8000 --protocol json --timeout-ms 500 --meta git=abc --meta by=me --metric auc=0.91 --alias challenger")]
    [InlineData("models list fraud --json")]
    [InlineData("models show fraud 3")]
    [InlineData("models promote fraud --reason better")]
    [InlineData("models rollback fraud")]
    [InlineData("models alias fraud challenger 4")]
    [InlineData("models alias fraud challenger none --reason abandoned")]
    [InlineData("models history fraud --at 2026-11-20T10:00:00Z")]
    [InlineData("status")]
    [InlineData("status fraud --since 24h --json")]
    [InlineData("audit --service fraud --actor ci --action alias.promoted --since 2026-11-01 --limit 10")]
    [InlineData("audit --since 7d --json")]
    [InlineData("keys create --name ci --scope read --scope predict")]
    [InlineData("keys create --name admin --scope admin --store sqlite:vigil.db")]
    [InlineData("keys list --json")]
    [InlineData("keys revoke 0123456789ab")]
    [InlineData("--server http://vigil:5000 --api-key k status")]
    [InlineData("status --server http://vigil:5000")]
    public void Command_WithValidArguments_ParsesWithoutErrors(string commandLine)
    {
        var result = Root().Parse(commandLine);

        Assert.Empty(result.Errors);
    }

    [Theory]
    [InlineData("")]
    [InlineData("models")]
    [InlineData("frobnicate")]
    [InlineData("services list --bogus")]
    [InlineData("serve --webhook not-a-url")]
    [InlineData("services show")]
    [InlineData("services create")]
    [InlineData("services create --name fraud --output probability")]
    [InlineData("services create -f a.yaml --name fraud")]
    [InlineData("services create --name fraud --input price:numbr --output probability")]
    [InlineData("services create --name fraud --input price --output probability")]
    [InlineData("services create --name fraud --input price:number --output guess")]
    [InlineData("models register fraud --location model.onnx")]
    [InlineData("models register fraud --backend tensorflow --location model.pb")]
    [InlineData("models register fraud --backend onnx --location m.onnx --metric auc=high")]
    [InlineData("models register fraud --backend onnx --location m.onnx --meta novalue")]
    [InlineData("models register fraud --backend onnx --location m.onnx --alias previous-champion")]
    [InlineData("models register fraud --backend onnx --location m.onnx --timeout-ms 0")]
    [InlineData("models show fraud three")]
    [InlineData("models alias fraud champ 3")]
    [InlineData("models alias fraud champion 0")]
    [InlineData("models history fraud --at yesterday")]
    [InlineData("status --since 24h")]
    [InlineData("audit --since yesterday")]
    [InlineData("audit --limit 0")]
    [InlineData("keys create --name ci")]
    [InlineData("keys create --name ci --scope root")]
    [InlineData("keys revoke")]
    [InlineData("serve --urls ftp://x")]
    [InlineData("serve --recorder-durability sometimes")]
    [InlineData("serve --max-unknown-features -1")]
    [InlineData("serve --max-unknown-features 20000")]
    [InlineData("serve --max-unknown-features many")]
    public async Task Command_WithUsageError_ExitsTwoWithMessageOnStderr(string commandLine)
    {
        var args = commandLine.Split(' ', StringSplitOptions.RemoveEmptyEntries);

        var result = await Cli.RunAsync(args);

        Assert.True(result.ExitCode == ExitCodes.Usage, result.ToString());
        Assert.NotEmpty(result.Err);
        Assert.Empty(result.Out);
    }

    [Fact]
    public async Task Server_NotHttp_IsUsageError()
    {
        var result = await Cli.RunAsync("--server", "ftp://vigil", "status");

        Assert.Equal(ExitCodes.Usage, result.ExitCode);
        Assert.Contains("--server 'ftp://vigil' is not an http(s) address", result.Err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Help_ExitsZeroAndListsEveryNoun()
    {
        var result = await Cli.RunAsync("--help");

        Assert.Equal(0, result.ExitCode);
        foreach (var noun in new[] { "serve", "services", "models", "status", "audit", "keys" })
        {
            Assert.Contains(noun, result.Out, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task NounWithoutVerb_ShowsItsVerbsOnStderrAndExitsTwo()
    {
        var result = await Cli.RunAsync("models");

        Assert.Equal(ExitCodes.Usage, result.ExitCode);
        Assert.Contains("promote", result.Err, StringComparison.Ordinal);
        Assert.Contains("rollback", result.Err, StringComparison.Ordinal);
    }

    [Fact]
    public void EveryReadCommand_HasJsonOption()
    {
        var root = Root();
        string[][] readCommands =
        [
            ["services", "list"], ["services", "show"], ["models", "list"], ["models", "show"], ["models", "history"],
            ["status"], ["audit"], ["keys", "list"],
        ];

        foreach (var path in readCommands)
        {
            Command command = root;
            foreach (var name in path)
            {
                command = command.Subcommands.Single(c => c.Name == name);
            }

            Assert.True(command.Options.Any(o => o.Name == "--json"), $"'{string.Join(' ', path)}' has no --json");
        }
    }

    [Fact]
    public void EveryLeafCommand_HasAnAction()
    {
        var missing = Leaves(Root()).Where(c => c.Action is null).Select(c => c.Name).ToList();

        Assert.Empty(missing);
    }

    [Fact]
    public void ServerOption_DefaultsToEnvironmentThenLoopback()
    {
        var withEnv = new CliContext(TextWriter.Null, TextWriter.Null, name => name == "VIGIL_SERVER" ? "http://vigil.internal:5000" : null, TimeProvider.System);
        var withoutEnv = new CliContext(TextWriter.Null, TextWriter.Null, _ => null, TimeProvider.System);

        Assert.Equal("http://vigil.internal:5000", CliApp.BuildRootCommand(withEnv).Parse("status").GetValue(withEnv.Server));
        Assert.Equal(CliContext.DefaultServer, CliApp.BuildRootCommand(withoutEnv).Parse("status").GetValue(withoutEnv.Server));
        Assert.Equal("http://other:1", CliApp.BuildRootCommand(withEnv).Parse("status --server http://other:1").GetValue(withEnv.Server));
    }

    [Theory]
    [InlineData("24h", 24 * 60)]
    [InlineData("30m", 30)]
    [InlineData("7d", 7 * 24 * 60)]
    public void Age_IsThatLongBeforeNow(string text, int minutes)
    {
        var now = new DateTimeOffset(2026, 11, 20, 10, 0, 0, TimeSpan.Zero);

        Assert.True(Arguments.TryParseTime(text, now, allowRelative: true, out var value, out _));
        Assert.Equal(now.AddMinutes(-minutes), value);
    }

    [Fact]
    public void Date_WithoutOffset_IsMidnightUtc()
    {
        Assert.True(Arguments.TryParseTime("2026-11-01", DateTimeOffset.MinValue, allowRelative: true, out var value, out _));
        Assert.Equal(new DateTimeOffset(2026, 11, 1, 0, 0, 0, TimeSpan.Zero), value);
    }

    private static IEnumerable<Command> Leaves(Command command) =>
        command.Subcommands.Count == 0 ? [command] : command.Subcommands.SelectMany(Leaves);
}

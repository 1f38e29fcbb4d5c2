using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Vigil.Server.Hosting;

namespace Vigil.Cli.Tests.Releases;

/// <summary>
/// <c>vigil release status</c> of a release the controller has analysed: a real server in process whose controller
/// ticks every 200 ms, a real remote model, traffic over HTTP. The issue asks status to show the step, the weight, each
/// trigger's estimate with its interval and the margin left, the samples, the time until the next step and the history.
/// </summary>
public sealed class ReleaseStatusAnalysedTests : IAsyncLifetime
{
    private readonly DirectoryInfo _directory = Directory.CreateTempSubdirectory("vigil-status-");
    private VigilApp _app = null!;
    private FakeJsonModel _model = null!;

    public async ValueTask InitializeAsync()
    {
        _model = await FakeJsonModel.StartAsync();
        _app = await VigilServer.StartAsync(
            new VigilServerOptions
            {
                Urls = ["http://127.0.0.1:0"],
                Store = "sqlite:" + Path.Combine(_directory.FullName, "vigil.db"),
                LogLevel = LogLevel.Warning,
                ControllerTick = TimeSpan.FromMilliseconds(200),
            },
            CancellationToken.None);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.DisposeAsync();
        await _model.DisposeAsync();
        _directory.Delete(recursive: true);
    }

    private string Server => _app.BaseAddress.GetLeftPart(UriPartial.Authority);

    private Task<CliResult> RunAsync(params string[] args) => Cli.RunAsync(["--server", Server, .. args]);

    [Fact]
    public async Task Status_AfterAnAnalysis_ShowsEachTriggersEstimateIntervalMarginAndSamples_TheNextStepAndHistory_AndJson()
    {
        var ct = TestContext.Current.CancellationToken;
        Assert.Equal(0, (await RunAsync("services", "create", "--name", "shop", "--input", "price:number", "--output", "probability")).ExitCode);
        Assert.Equal(0, (await RunAsync("models", "register", "shop", "--backend", "http", "--location", _model.Url, "--protocol", "json", "--alias", "champion")).ExitCode);
        Assert.Equal(0, (await RunAsync("models", "register", "shop", "--backend", "http", "--location", _model.Url, "--protocol", "json")).ExitCode);
        var plan = Path.Combine(_directory.FullName, "plan.yaml");
        await File.WriteAllTextAsync(plan, """
            service: shop
            challenger: 2
            strategy: progressive
            steps:
              - { weight: 50%, hold: 1h }
              - { weight: 100%, hold: 1h }
            min_samples_per_step: 100
            analysis_interval: 1s
            outcome_window: 1s
            triggers:
              - { metric: error_rate, max: 2% }
            """, ct);
        var started = await RunAsync("release", "start", "-f", plan, "--json");
        Assert.True(started.ExitCode == 0, started.ToString());
        string id;
        using (var document = JsonDocument.Parse(started.Out))
        {
            id = document.RootElement.GetProperty("id").GetString()!;
        }

        using var client = new HttpClient { BaseAddress = _app.BaseAddress };
        var instances = string.Join(",", Enumerable.Range(0, 400).Select(n => $$$"""{"key": "u{{{n}}}", "inputs": {"price": 1}}"""));
        for (var batch = 0; batch < 2; batch++)
        {
            using var content = new StringContent("{\"instances\": [" + instances.Replace("\"u", $"\"b{batch}-u", StringComparison.Ordinal) + "]}", Encoding.UTF8, "application/json");
            using var response = await client.PostAsync("/v1/services/shop/predict", content, ct);
            Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync(ct));
        }

        // Wait for a tick that analysed the matured traffic: the trigger is judged (ok) on at least 100 canary samples.
        var clock = Stopwatch.StartNew();
        JsonElement trigger = default;
        while (clock.Elapsed < TimeSpan.FromSeconds(30))
        {
            using var view = JsonDocument.Parse(await client.GetStringAsync($"/v1/releases/{id}", ct));
            if (view.RootElement.GetProperty("triggers") is { ValueKind: JsonValueKind.Array } triggers && triggers.GetArrayLength() == 1
                && triggers[0].GetProperty("challenger_samples").GetInt64() >= 100 && triggers[0].GetProperty("verdict").GetString() == "ok")
            {
                trigger = triggers[0].Clone();
                break;
            }

            await Task.Delay(200, ct);
        }

        Assert.True(trigger.ValueKind == JsonValueKind.Object, "the controller never judged the trigger on the traffic");
        var samples = trigger.GetProperty("challenger_samples").GetInt64();
        var upper = trigger.GetProperty("upper").GetDouble();
        Assert.Equal(0.0, trigger.GetProperty("estimate").GetDouble());
        Assert.Equal(0.0, trigger.GetProperty("lower").GetDouble());
        Assert.InRange(upper, 1e-9, 0.02); // healthy: the whole interval is below 2%
        // The trigger fires when the interval's lower bound clears 2%; the margin left is how far that bound still is from it.
        var margin = trigger.GetProperty("margin_left").GetDouble();
        Assert.Equal(0.02, margin, 9);

        var table = await RunAsync("release", "status", "shop");
        Assert.True(table.ExitCode == 0, table.ToString());
        var text = table.Out;
        Assert.Contains("step 1/2 at 50%", text, StringComparison.Ordinal);                       // step and weight
        Assert.Contains("serves 50% of traffic", text, StringComparison.Ordinal);
        Assert.Matches(@"step 2 in (59m|1h 0m)", text);                                            // time to the next step
        Assert.Contains(FormattableString.Invariant($"challenger {samples:N0}"), text, StringComparison.Ordinal);               // samples so far
        Assert.Contains("error_rate above 2%", text, StringComparison.Ordinal);                    // the trigger …
        Assert.Contains("0.00%", text, StringComparison.Ordinal);                                  // … its estimate
        Assert.Contains(FormattableString.Invariant($"[0.00%, {upper * 100:0.00}%]"), text, StringComparison.Ordinal);          // … its interval
        Assert.Contains(FormattableString.Invariant($"{margin * 100:+0.00;-0.00;0.00}pp"), text, StringComparison.Ordinal); // … the margin left
        Assert.Contains("ok", text, StringComparison.Ordinal);
        Assert.Contains("pending → canary", text, StringComparison.Ordinal);                       // history

        var json = await RunAsync("release", "status", id, "--json");
        Assert.True(json.ExitCode == 0, json.ToString());
        using var parsed = JsonDocument.Parse(json.Out);
        var fromCli = parsed.RootElement.GetProperty("triggers")[0];
        Assert.Equal(trigger.GetProperty("trigger").GetProperty("metric").GetString(), fromCli.GetProperty("trigger").GetProperty("metric").GetString());
        Assert.True(fromCli.TryGetProperty("margin_left", out _) && fromCli.TryGetProperty("upper", out _) && fromCli.TryGetProperty("challenger_samples", out _));
        Assert.Equal(1, parsed.RootElement.GetProperty("state").GetProperty("step").GetInt32());
        Assert.Equal(500_000, parsed.RootElement.GetProperty("traffic").GetProperty("canary_weight_ppm").GetInt32());
        Assert.True(parsed.RootElement.GetProperty("events").GetArrayLength() >= 2);
    }
}

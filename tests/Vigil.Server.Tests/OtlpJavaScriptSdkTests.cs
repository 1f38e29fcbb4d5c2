using System.Diagnostics;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Vigil.Persistence;
using Vigil.Server.Pipelines;

namespace Vigil.Server.Tests;

/// <summary>
/// OTLP/JSON from the OpenTelemetry JavaScript SDK's own exporter (<c>@opentelemetry/exporter-trace-otlp-http</c>), the
/// encoding the .NET SDK does not send: scripts/otlp-js/send-openinference.mjs, installed with <c>npm ci</c> from its
/// committed lock file, sends OpenInference spans (one with an array attribute) to a real server. Needs node and npm
/// (Debian's <c>nodejs</c> and <c>npm</c>, which .ci/run installs) and the npm registry.
/// </summary>
public sealed class OtlpJavaScriptSdkTests : IAsyncLifetime
{
    private VigilTestServer _server = null!;

    public async ValueTask InitializeAsync()
    {
        _server = await VigilTestServer.StartAsync();
        await _server.ReadAsync<PipelineView>(await _server.PostJsonAsync("/v1/pipelines", PipelineTests.QaPipeline));
    }

    public async ValueTask DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task JavaScriptSdkExporter_OtlpJson_OpenInferenceSpansBecomeStages()
    {
        var ct = TestContext.Current.CancellationToken;
        if (Which("node") is null || Which("npm") is null)
        {
            Assert.Skip("node and npm are not installed (apt-get install -y nodejs npm); .ci/run installs them");
        }

        var work = Directory.CreateTempSubdirectory("vigil-otlp-js-");
        try
        {
            var script = Path.Combine(FindRoot(), "scripts", "otlp-js");
            foreach (var file in new[] { "package.json", "package-lock.json", "send-openinference.mjs" })
            {
                File.Copy(Path.Combine(script, file), Path.Combine(work.FullName, file));
            }

            var (installed, installOutput) = await RunAsync("npm", ["ci", "--no-audit", "--no-fund"], work.FullName, [], TimeSpan.FromMinutes(5), ct);
            Assert.True(installed == 0, "npm ci failed: " + installOutput);

            var (sent, output) = await RunAsync(
                "node",
                ["send-openinference.mjs"],
                work.FullName,
                [("VIGIL_URL", _server.App.BaseAddress.ToString().TrimEnd('/')), ("PIPELINE", "qa"), ("COUNT", "3")],
                TimeSpan.FromMinutes(1),
                ct);
            Assert.True(sent == 0, "the script failed: " + output);

            var line = output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Last(l => l.StartsWith('{'));
            var ids = JsonDocument.Parse(line).RootElement.GetProperty("trace_ids").EnumerateArray().Select(e => e.GetString()!).ToList();
            Assert.Equal(3, ids.Count);
            var store = _server.App.Services.GetRequiredService<IVigilStore>();
            foreach (var id in ids)
            {
                var trace = await store.GetTraceAsync("qa", id, ct);
                Assert.NotNull(trace);
                foreach (var stage in new[] { "retrieval", "ranking", "generation", "validation" })
                {
                    Assert.Contains($"\"stage\":\"{stage}\"", trace.Stages, StringComparison.Ordinal);
                }

                Assert.Contains("\"d1\"", trace.Stages, StringComparison.Ordinal);
            }
        }
        finally
        {
            work.Delete(recursive: true);
        }
    }

    private static async Task<(int ExitCode, string Output)> RunAsync(
        string file, string[] arguments, string directory, (string Name, string Value)[] environment, TimeSpan timeout, CancellationToken ct)
    {
        var start = new ProcessStartInfo(file) { WorkingDirectory = directory, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync(ct);
        var stderr = process.StandardError.ReadToEndAsync(ct);
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(ct);
        limit.CancelAfter(timeout);
        try
        {
            await process.WaitForExitAsync(limit.Token);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            process.Kill(entireProcessTree: true);
            return (-1, $"{file} did not finish within {timeout}: {await stdout}{await stderr}");
        }

        return (process.ExitCode, await stdout + await stderr);
    }

    private static string? Which(string program) =>
        (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(d => Path.Combine(d, program)).FirstOrDefault(File.Exists);

    private static string FindRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "Vigil.slnx")))
        {
            directory = directory.Parent;
        }

        return directory?.FullName ?? throw new InvalidOperationException("the repository root (Vigil.slnx) was not found above the test binaries");
    }
}

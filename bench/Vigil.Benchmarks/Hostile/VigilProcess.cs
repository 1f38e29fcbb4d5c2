using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Vigil.Registry;
using Vigil.Server.Api;

namespace Vigil.Benchmarks.Hostile;

/// <summary>
/// A real <c>vigil serve</c> process (<c>dotnet vigil.dll serve …</c>, the CLI built by the run script) on a free loopback
/// port, its output in a log file, and what the hostile-traffic benchmarks read from it: resident memory, the store.
/// </summary>
internal sealed class VigilProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StreamWriter _log;

    private VigilProcess(Process process, StreamWriter log, Uri url)
    {
        _process = process;
        _log = log;
        Url = url;
    }

    public Uri Url { get; }

    public int Id => _process.Id;

    public bool HasExited => _process.HasExited;

    /// <summary>Starts <c>dotnet <paramref name="vigilDll"/> serve --urls … --store <paramref name="store"/> <paramref name="extra"/></c> in <paramref name="directory"/> and waits for /healthz.</summary>
    public static async Task<VigilProcess> StartAsync(string vigilDll, string directory, string store, string logPath, IEnumerable<string> extra, CancellationToken ct)
    {
        var port = FreePort();
        var url = new Uri($"http://127.0.0.1:{port}");
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var argument in new[] { Path.GetFullPath(vigilDll), "serve", "--urls", url.ToString().TrimEnd('/'), "--store", store }.Concat(extra))
        {
            start.ArgumentList.Add(argument);
        }

        foreach (var name in new[] { "VIGIL_STORE", "VIGIL_SERVER", "VIGIL_API_KEY", "VIGIL_WEBHOOKS", "VIGIL_RECORDER_DURABILITY", "VIGIL_MAX_UNKNOWN_FEATURES" })
        {
            start.Environment.Remove(name);
        }

        var log = new StreamWriter(logPath, append: true) { AutoFlush = true };
        var process = Process.Start(start) ?? throw new InvalidOperationException("could not start vigil serve");
        process.OutputDataReceived += (_, e) => Write(log, e.Data);
        process.ErrorDataReceived += (_, e) => Write(log, e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var vigil = new VigilProcess(process, log, url);
        using var client = new HttpClient { BaseAddress = url, Timeout = TimeSpan.FromSeconds(5) };
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromSeconds(120))
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"vigil serve exited with {process.ExitCode}; see {logPath}");
            }

            try
            {
                using var response = await client.GetAsync("/healthz", ct);
                if (response.IsSuccessStatusCode)
                {
                    return vigil;
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
            {
            }

            await Task.Delay(200, ct);
        }

        await vigil.DisposeAsync();
        throw new InvalidOperationException($"vigil serve did not answer /healthz in 120 s; see {logPath}");
    }

    /// <summary>Creates <paramref name="service"/> with inputs <paramref name="inputs"/> and <paramref name="model"/> as its champion (plain JSON protocol).</summary>
    public async Task CreateServiceAsync(HttpClient client, string service, IReadOnlyList<FeatureSpec> inputs, Uri model, CancellationToken ct)
    {
        using (var created = await client.PostAsJsonAsync(new Uri(Url, "/v1/services"), new CreateServiceRequest(service, inputs, new OutputSpec(OutputKind.Probability)), VigilJson.Options, ct))
        {
            created.EnsureSuccessStatusCode();
        }

        using var registered = await client.PostAsJsonAsync(
            new Uri(Url, $"/v1/services/{service}/versions"),
            new RegisterVersionRequest(new BackendSpec(BackendKind.Http, model.ToString(), Vigil.Registry.HttpProtocol.Json, TimeoutMs: 5000), Alias: "champion"),
            VigilJson.Options,
            ct);
        registered.EnsureSuccessStatusCode();
    }

    /// <summary>The process's resident memory in MB (VmRSS), or NaN when it cannot be read.</summary>
    public double RssMb()
    {
        try
        {
            foreach (var line in File.ReadLines($"/proc/{_process.Id}/status"))
            {
                if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                {
                    return long.Parse(line.AsSpan(6).Trim().ToString().Split(' ')[0], CultureInfo.InvariantCulture) / 1024.0;
                }
            }
        }
        catch (IOException)
        {
        }

        return double.NaN;
    }

    /// <summary>SIGKILL: no shutdown, no drain (what a crash or an OOM kill does).</summary>
    public async Task KillAsync()
    {
        _process.Kill();
        await _process.WaitForExitAsync(CancellationToken.None);
    }

    /// <summary>SIGTERM (a clean stop: the recorder drains), then waits.</summary>
    public async Task TerminateAsync()
    {
        if (_process.HasExited)
        {
            return;
        }

        using (var kill = Process.Start(new ProcessStartInfo("sh") { ArgumentList = { "-c", "kill -TERM " + _process.Id.ToString(CultureInfo.InvariantCulture) } })!)
        {
            await kill.WaitForExitAsync(CancellationToken.None);
        }

        using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        try
        {
            await _process.WaitForExitAsync(limit.Token);
        }
        catch (OperationCanceledException)
        {
            _process.Kill();
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync(CancellationToken.None);
        }

        _process.Dispose();
        await _log.DisposeAsync();
    }

    /// <summary>A remote model in this process speaking Vigil's plain JSON protocol: probability 0.5 for every instance.</summary>
    public static async Task<WebApplication> StartModelAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        app.MapPost("/", async (HttpRequest request) =>
        {
            var body = await JsonNode.ParseAsync(request.Body);
            var count = body?["instances"] is JsonArray instances ? instances.Count : 1;
            var predictions = new JsonArray();
            for (var i = 0; i < count; i++)
            {
                predictions.Add(new JsonObject { ["probability"] = 0.5 });
            }

            return Results.Json(new JsonObject { ["predictions"] = predictions });
        });
        app.MapGet("/", () => Results.Ok());
        await app.StartAsync();
        return app;
    }

    public static string LoadAverage()
    {
        try
        {
            return File.ReadAllText("/proc/loadavg").Split(' ')[0];
        }
        catch (IOException)
        {
            return "?";
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static void Write(StreamWriter log, string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (log)
        {
            log.WriteLine(line);
        }
    }
}

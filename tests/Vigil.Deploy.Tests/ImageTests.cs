using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Vigil.Registry;
using Vigil.Server.Api;
using Vigil.Server.Hosting;
using Vigil.Serving.Training;
using Vigil.Testing;

namespace Vigil.Deploy.Tests;

/// <summary>
/// The container image, built offline from deploy/Containerfile on a Debian base made with debootstrap, run as a
/// container runtime would run it (chroot, its own PID namespace, the image's user, environment and working directory).
/// </summary>
public sealed class ImageTests
{
    private const int Predictions = 40;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Image_OnABareDebianBase_ServesOnnxAndMlNetPredictionsAsItsUser_AndStopsOnSigtermWithEveryPredictionStored()
    {
        if (!ImageBuild.CanRun(out var reason))
        {
            Assert.Skip(reason);
        }

        var clock = Stopwatch.StartNew();
        void Log(string message) => TestContext.Current.SendDiagnosticMessage($"[{clock.Elapsed:mm\\:ss}] {message}");

        await ImageBuild.EnsureBaseAsync(Log, Ct);
        Log("publishing");
        await ImageBuild.PublishAsync(Ct);
        var version = VigilBuild.Version;
        var revision = VigilBuild.Commit;
        var created = DateTimeOffset.UnixEpoch.AddSeconds(1_700_000_000).ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);
        var tag = "localhost/vigil-image-test:" + Guid.NewGuid().ToString("N")[..8];
        var imagesBefore = await ImageBuild.ImagesAsync(Ct);
        var rootfs = Directory.CreateTempSubdirectory("vigil-image-").FullName;
        // The container's "/": readable and searchable by its user, as an image's root is (a temp folder is 0700).
        if (OperatingSystem.IsLinux())
        {
            File.SetUnixFileMode(rootfs, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        }
        try
        {
            Log("building " + tag);
            await ImageBuild.BuildAsync(tag, new Dictionary<string, string>
            {
                ["VERSION"] = version,
                ["REVISION"] = revision,
                ["CREATED"] = created,
                ["SOURCE"] = "https://example.org/vigil.git",
            }, Ct);
            Log("exporting");
            await ImageBuild.ExportAsync(tag, rootfs, Ct);
            var image = await ImageBuild.InspectAsync(tag, rootfs, Ct);
            await CheckAsync(image, rootfs, version, revision, created, Log);
        }
        finally
        {
            await ImageBuild.RemoveImagesSinceAsync(imagesBefore);
            Directory.Delete(rootfs, recursive: true);
            Log("done");
        }
    }

    private static async Task CheckAsync(ImageConfig image, string rootfs, string version, string revision, string created, Action<string> log)
    {
        // What podman recorded is what the Containerfile says.
        Assert.NotEqual(0, image.Uid);
        Assert.Equal(["/opt/vigil/vigil"], image.Entrypoint);
        Assert.Equal(["serve"], image.Cmd);
        Assert.Equal("SIGTERM", image.StopSignal);
        var port = Assert.Single(image.ExposedPorts);
        var volume = Assert.Single(image.Volumes);
        Assert.Equal(volume, image.WorkingDirectory);
        Assert.Equal(version, image.Labels["org.opencontainers.image.version"]);
        Assert.Equal(revision, image.Labels["org.opencontainers.image.revision"]);
        Assert.Equal(created, image.Labels["org.opencontainers.image.created"]);
        Assert.Equal("MIT", image.Labels["org.opencontainers.image.licenses"]);
        Assert.Equal("Vigil", image.Labels["org.opencontainers.image.title"]);
        Assert.Equal($"http://0.0.0.0:{port}", image.Env[VigilEnvironment.Urls]);

        // The binary in the image is the build the labels name.
        await using (var versionRun = ChrootContainer.Start(rootfs, image, ["/opt/vigil/vigil", "--version"]))
        {
            Assert.True(await versionRun.WaitForExitAsync(TimeSpan.FromSeconds(60), Ct) == 0, versionRun.Output);
            Assert.Equal($"vigil {version} (commit {revision})", versionRun.Output.Trim());
        }

        // Bound to 0.0.0.0 with no admin key, Vigil refuses to start, and says how to fix it.
        var listen = new Dictionary<string, string> { [VigilEnvironment.Urls] = $"http://0.0.0.0:{Ports.Free()}" };
        await using (var refused = ChrootContainer.Start(rootfs, image, [.. image.Entrypoint, .. image.Cmd], listen))
        {
            Assert.True(await refused.WaitForExitAsync(TimeSpan.FromSeconds(90), Ct) == 1, refused.Output);
            Assert.Contains("without an admin API key", refused.Output, StringComparison.Ordinal);
            Assert.Contains("vigil keys create", refused.Output, StringComparison.Ordinal);
        }

        // The operator's first step: an admin key, created in the volume's store by the image's own vigil.
        string adminKey;
        var store = image.Env[VigilEnvironment.Store];
        await using (var keys = ChrootContainer.Start(rootfs, image, ["/opt/vigil/vigil", "keys", "create", "--name", "admin", "--scope", "admin", "--store", store, "--json"]))
        {
            Assert.True(await keys.WaitForExitAsync(TimeSpan.FromSeconds(60), Ct) == 0, keys.Output);
            adminKey = JsonDocument.Parse(keys.Output).RootElement.GetProperty("key").GetString()!;
        }

        // Two models in the volume: ONNX (ONNX Runtime's native library) and ML.NET.
        var volumeOnHost = Path.Combine(rootfs, volume.TrimStart('/'));
        var (onnx, mlnet) = TrainModels(volumeOnHost, volume);
        await Tools.RunAsync("chown", ["-R", $"{image.Uid}:{image.Gid}", volumeOnHost], Ct);

        var url = listen[VigilEnvironment.Urls];
        var client = new HttpClient { BaseAddress = new Uri(url.Replace("0.0.0.0", "127.0.0.1", StringComparison.Ordinal)), Timeout = TimeSpan.FromSeconds(30) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", adminKey);
        var answered = new List<string>();
        await using (var vigil = ChrootContainer.Start(rootfs, image, [.. image.Entrypoint, .. image.Cmd], listen))
        {
            await WaitReadyAsync(vigil, client);
            log("serving");
            var pid = await vigil.PidOneAsync(Ct);
            var status = await File.ReadAllLinesAsync($"/proc/{pid}/status", Ct);
            Assert.Contains(status, l => l.StartsWith("Uid:", StringComparison.Ordinal) && l.Split('\t', StringSplitOptions.RemoveEmptyEntries)[1] == image.Uid.ToString(CultureInfo.InvariantCulture));
            Assert.Contains(status, l => l.StartsWith("NSpid:", StringComparison.Ordinal) && l.TrimEnd().EndsWith("\t1", StringComparison.Ordinal));
            // It listens where VIGIL_URLS says and nowhere else (not on the base's ASPNETCORE_HTTP_PORTS).
            Assert.Contains($"Vigil is listening on {url}/ with store", vigil.Output, StringComparison.Ordinal);

            await RegisterAsync(client, "shop-onnx", BackendKind.Onnx, onnx);
            await RegisterAsync(client, "shop-mlnet", BackendKind.Mlnet, mlnet);
            for (var i = 0; i < Predictions; i++)
            {
                var service = i % 2 == 0 ? "shop-onnx" : "shop-mlnet";
                using var response = await client.PostAsJsonAsync(
                    $"/v1/services/{service}/predict",
                    new { key = "user-" + i, inputs = new { price = 10.0 + (i * 20), country = "DE", tenure = i, subscriber = i % 3 == 0 } },
                    Ct);
                var body = await response.Content.ReadAsStringAsync(Ct);
                Assert.True(response.StatusCode == HttpStatusCode.OK, $"{(int)response.StatusCode}: {body}");
                var prediction = JsonSerializer.Deserialize<PredictResponse>(body, VigilJson.Options)!;
                Assert.InRange(prediction.Outputs["probability"]!.GetValue<double>(), 0, 1);
                answered.Add(prediction.RequestId);
            }

            // SIGTERM to PID 1, as `podman stop` and the kubelet send it: a clean exit, the recorder drained.
            await vigil.SignalTermAsync(Ct);
            Assert.True(await vigil.WaitForExitAsync(TimeSpan.FromSeconds(45), Ct) == 0, vigil.Output);
        }

        // The same volume, a new container: every answered prediction is in the store.
        log("restarting on the same volume");
        await using (var again = ChrootContainer.Start(rootfs, image, [.. image.Entrypoint, .. image.Cmd], listen))
        {
            await WaitReadyAsync(again, client);
            foreach (var id in answered)
            {
                using var response = await client.GetAsync($"/v1/predictions/{id}", Ct);
                Assert.True(response.StatusCode == HttpStatusCode.OK, $"prediction {id} answered before SIGTERM is not stored: {(int)response.StatusCode}");
            }

            var status = JsonDocument.Parse(await client.GetStringAsync("/v1/status", Ct)).RootElement;
            Assert.Equal(revision, status.GetProperty("commit").GetString());
            await again.SignalTermAsync(Ct);
            Assert.True(await again.WaitForExitAsync(TimeSpan.FromSeconds(45), Ct) == 0, again.Output);
        }
    }

    private static async Task WaitReadyAsync(ChrootContainer container, HttpClient client)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromSeconds(90))
        {
            Assert.False(container.HasExited, "vigil serve exited\n" + container.Output);
            try
            {
                using var response = await client.GetAsync("/readyz", Ct);
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }

            await Task.Delay(200, Ct);
        }

        Assert.Fail("/readyz did not answer 200 within 90 s\n" + container.Output);
    }

    private static async Task RegisterAsync(HttpClient client, string service, BackendKind kind, string location)
    {
        using var created = await client.PostAsJsonAsync("/v1/services", new CreateServiceRequest(service, Inputs, new OutputSpec(OutputKind.Probability)), VigilJson.Options, Ct);
        Assert.True(created.IsSuccessStatusCode, await created.Content.ReadAsStringAsync(Ct));
        using var registered = await client.PostAsJsonAsync($"/v1/services/{service}/versions", new RegisterVersionRequest(new BackendSpec(kind, location), Alias: "champion"), VigilJson.Options, Ct);
        Assert.True(registered.IsSuccessStatusCode, await registered.Content.ReadAsStringAsync(Ct));
    }

    private static readonly IReadOnlyList<FeatureSpec> Inputs =
    [
        new("price", FeatureType.Number, Min: 0, Max: 1000),
        new("country", FeatureType.Category, Categories: ["DE", "FR", "US"]),
        new("tenure", FeatureType.Integer, Nullable: true),
        new("subscriber", FeatureType.Boolean, Nullable: true),
    ];

    /// <summary>Trains a small ML.NET model and exports it to ONNX, into the volume; returns both paths as the container sees them.</summary>
    private static (string Onnx, string MlNet) TrainModels(string volume, string volumeInContainer)
    {
        var service = new ServiceDefinition("shop", "", Inputs, new OutputSpec(OutputKind.Probability), DateTimeOffset.UnixEpoch);
        var random = new Random(7);
        var countries = new[] { "DE", "FR", "US" };
        var rows = new List<InputRow>();
        var labels = new List<bool>();
        for (var i = 0; i < 400; i++)
        {
            var price = random.NextDouble() * 1000;
            var subscriber = random.NextDouble() < 0.5;
            var tenure = random.Next(0, 100);
            rows.Add(new InputRow([FeatureValue.FromNumber(price), FeatureValue.FromText(countries[random.Next(3)]), FeatureValue.FromNumber(tenure), FeatureValue.FromBoolean(subscriber)]));
            labels.Add(random.NextDouble() < 1 / (1 + Math.Exp(-(2.0 - (price / 250) + (subscriber ? 1.0 : -0.5)))));
        }

        var zip = Path.Combine(volume, "model.zip");
        var trained = MlNetTrainer.Train(service, rows, labels, zip, new MlNetTrainingOptions { Seed = 7, NumberOfTrees = 10 }, Ct);
        Assert.True(trained.IsSuccess, trained.Failure?.Message);
        var onnx = OnnxExporter.Export(service, zip, Path.Combine(volume, "model.onnx"));
        Assert.True(onnx.IsSuccess, onnx.Failure?.Message);
        return (volumeInContainer + "/model.onnx", volumeInContainer + "/model.zip");
    }
}

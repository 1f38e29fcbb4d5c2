using System.Globalization;
using System.Reflection;
using System.Text.Json.Nodes;

namespace Vigil.Deploy.Tests;

/// <summary>
/// Builds deploy/Containerfile offline with podman: a minimal Debian base made with debootstrap (kept as the image
/// <see cref="BaseImage"/>, so a machine makes it once), the app published by the SDK here, the image built with
/// <c>--build-arg APP=published</c>, then exported to a folder to be run under chroot.
/// </summary>
internal static class ImageBuild
{
    /// <summary>The local base image: Debian bookworm minbase, with the environment Microsoft's runtime-deps images set.</summary>
    public const string BaseImage = "localhost/vigil-base:bookworm";

    /// <summary>Names a Debian mirror for debootstrap; default: the machine's own apt source, else deb.debian.org.</summary>
    public const string MirrorVariable = "VIGIL_DEBIAN_MIRROR";

    /// <summary>What the image test needs on the machine, and how to get it.</summary>
    public const string HowToEnable =
        "the image test needs root and podman, debootstrap and unshare: 'apt-get install podman debootstrap' (as .ci/run does) enables it";

    /// <summary>The configuration this test assembly was built in.</summary>
    private static string Configuration =>
        typeof(ImageBuild).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Debug";

    public static bool CanRun(out string reason)
    {
        var missing = new[] { "podman", "debootstrap", "unshare", "tar" }.Where(t => Tools.Find(t) is null).ToList();
        if (missing.Count > 0)
        {
            reason = $"{string.Join(", ", missing)} not found: {HowToEnable}";
            return false;
        }

        if (System.Environment.UserName != "root")
        {
            reason = $"not running as root (chroot, unshare and a rootful podman need it): {HowToEnable}";
            return false;
        }

        reason = "";
        return true;
    }

    /// <summary>Makes <see cref="BaseImage"/> unless this machine has it already (debootstrap takes minutes; the image is reused).</summary>
    public static async Task EnsureBaseAsync(Action<string> log, CancellationToken cancellationToken)
    {
        if ((await Tools.RunAsync("podman", ["image", "exists", BaseImage], cancellationToken)).ExitCode == 0)
        {
            log($"reusing {BaseImage}");
            return;
        }

        var mirror = DebianMirror();
        log($"making {BaseImage} with debootstrap from {mirror}");
        var directory = Directory.CreateTempSubdirectory("vigil-debootstrap-").FullName;
        try
        {
            var rootfs = Path.Combine(directory, "rootfs");
            var bootstrap = await Tools.RunAsync("debootstrap", ["--variant=minbase", "bookworm", rootfs, mirror], cancellationToken);
            Assert.True(bootstrap.ExitCode == 0, Tail(bootstrap.Output));

            // runtime-deps sets these; the image must work under them (Vigil's --urls wins over ASPNETCORE_HTTP_PORTS).
            var import = await Tools.RunAsync(
                "/bin/sh",
                ["-c", $"tar -C '{rootfs}' -c . | podman import --change 'ENV APP_UID=1654' --change 'ENV ASPNETCORE_HTTP_PORTS=8080' --change 'ENV DOTNET_RUNNING_IN_CONTAINER=true' - {BaseImage}"],
                cancellationToken);
            Assert.True(import.ExitCode == 0, Tail(import.Output));
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    /// <summary>
    /// Publishes the CLI self-contained for linux-x64 into artifacts/vigil (the Containerfile's PUBLISHED). In the Debug
    /// configuration the tests were built in: the libraries' builds are reused and only the CLI is compiled for the
    /// runtime, which keeps this to about a minute. The image test checks the image, not the optimizer.
    /// </summary>
    public static async Task PublishAsync(CancellationToken cancellationToken)
    {
        var output = Repository.PathOf("artifacts", "vigil");
        if (Directory.Exists(output))
        {
            Directory.Delete(output, recursive: true);
        }

        // The test host's MSBuild variables would point a nested build at the wrong MSBuild; no MSBuild node or compiler
        // server is left running after the test.
        var environment = System.Environment.GetEnvironmentVariables().Keys.Cast<string>()
            .Where(k => k.StartsWith("MSBUILD", StringComparison.OrdinalIgnoreCase) || k == "DOTNET_HOST_PATH")
            .ToDictionary(k => k, _ => (string?)null);
        var publish = await Tools.RunAsync(
            "dotnet",
            ["publish", Repository.PathOf("src", "Vigil.Cli", "Vigil.Cli.csproj"), "-c", Configuration, "-r", "linux-x64", "--self-contained",
                "-o", output, "-nologo", "-v:q", "-nodeReuse:false", "-p:UseSharedCompilation=false"],
            cancellationToken,
            Repository.Root,
            environment: environment);
        Assert.True(publish.ExitCode == 0, Tail(publish.Output));
        Assert.True(File.Exists(Path.Combine(output, "vigil")), "the publish has no vigil executable\n" + Tail(publish.Output));
    }

    /// <summary>Builds the image <paramref name="tag"/> from the published app with the labels' build arguments.</summary>
    public static async Task BuildAsync(string tag, IReadOnlyDictionary<string, string> buildArgs, CancellationToken cancellationToken)
    {
        // Chroot isolation: RUN steps need no cgroups (the OCI runtime fails under these machines' hybrid cgroups).
        // (--layers=false would leave no intermediate images, but podman 4.3 then fails a multi-stage build after
        // tagging it: the test removes what the build made instead, see ImagesAsync.)
        List<string> args = ["build", "--isolation", "chroot", "-f", Repository.PathOf("deploy", "Containerfile"), "-t", tag,
            "--build-arg", "BASE=" + BaseImage, "--build-arg", "APP=published"];
        foreach (var (name, value) in buildArgs)
        {
            args.AddRange(["--build-arg", $"{name}={value}"]);
        }

        args.Add(Repository.Root);
        var build = await Tools.RunAsync("podman", args, cancellationToken);
        Assert.True(build.ExitCode == 0, Tail(build.Output));
    }

    /// <summary>The ids of every image podman has, intermediate ones included.</summary>
    public static async Task<IReadOnlySet<string>> ImagesAsync(CancellationToken cancellationToken)
    {
        var list = await Tools.RunAsync("podman", ["images", "--all", "--quiet", "--no-trunc"], cancellationToken);
        Assert.True(list.ExitCode == 0, list.Output);
        return list.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Skip(1).ToHashSet(StringComparer.Ordinal);
    }

    /// <summary>
    /// Removes every image made since <paramref name="before"/>: the test's image and the build's intermediate ones
    /// (each run's publish would otherwise leave 160 MB behind). The base image stays. So each run builds from the bare
    /// base, its apt-get step included, as a user's first build would.
    /// </summary>
    public static async Task RemoveImagesSinceAsync(IReadOnlySet<string> before)
    {
        var made = (await ImagesAsync(CancellationToken.None)).Except(before).ToList();
        if (made.Count > 0)
        {
            await Tools.RunAsync("podman", ["rmi", "--force", .. made], CancellationToken.None);
        }
    }

    public static async Task<ImageConfig> InspectAsync(string tag, string rootfs, CancellationToken cancellationToken)
    {
        var inspect = await Tools.RunAsync("podman", ["image", "inspect", "--format", "json", tag], cancellationToken);
        Assert.True(inspect.ExitCode == 0, inspect.Output);
        var json = inspect.Output[inspect.Output.IndexOf('\n', StringComparison.Ordinal)..];
        var config = JsonNode.Parse(json)![0]!["Config"]!;
        var env = config["Env"]!.AsArray().Select(e => e!.GetValue<string>().Split('=', 2)).ToDictionary(p => p[0], p => p[1], StringComparer.Ordinal);
        var (uid, gid) = ResolveUser(config["User"]?.GetValue<string>() ?? "", rootfs);
        return new ImageConfig(
            env,
            uid,
            gid,
            config["WorkingDir"]?.GetValue<string>() is { Length: > 0 } wd ? wd : "/",
            [.. config["Entrypoint"]?.AsArray().Select(e => e!.GetValue<string>()) ?? []],
            [.. config["Cmd"]?.AsArray().Select(e => e!.GetValue<string>()) ?? []],
            [.. config["ExposedPorts"]?.AsObject().Select(p => int.Parse(p.Key.Split('/')[0], CultureInfo.InvariantCulture)) ?? []],
            [.. config["Volumes"]?.AsObject().Select(v => v.Key) ?? []],
            config["Labels"]?.AsObject().ToDictionary(l => l.Key, l => l.Value!.GetValue<string>(), StringComparer.Ordinal) ?? [],
            config["StopSignal"]?.GetValue<string>() ?? "");
    }

    /// <summary>Exports the image's filesystem into <paramref name="rootfs"/> (a container created, exported, removed).</summary>
    public static async Task ExportAsync(string tag, string rootfs, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(rootfs);
        var name = "vigil-image-test-" + Guid.NewGuid().ToString("N")[..8];
        var create = await Tools.RunAsync("podman", ["create", "--name", name, tag], cancellationToken);
        Assert.True(create.ExitCode == 0, create.Output);
        try
        {
            var export = await Tools.RunAsync("/bin/sh", ["-c", $"podman export {name} | tar -x --numeric-owner -C '{rootfs}'"], cancellationToken);
            Assert.True(export.ExitCode == 0, Tail(export.Output));
        }
        finally
        {
            await Tools.RunAsync("podman", ["rm", "--force", name], CancellationToken.None);
        }
    }

    /// <summary>USER as uid and gid: numbers, or names looked up in the image's /etc/passwd and /etc/group.</summary>
    private static (int Uid, int Gid) ResolveUser(string user, string rootfs)
    {
        if (user.Length == 0)
        {
            return (0, 0);
        }

        var parts = user.Split(':');
        var passwd = File.ReadAllLines(Path.Combine(rootfs, "etc", "passwd")).Select(l => l.Split(':')).ToList();
        var entry = passwd.FirstOrDefault(p => p[0] == parts[0] || p[2] == parts[0]);
        var uid = int.TryParse(parts[0], CultureInfo.InvariantCulture, out var u) ? u : int.Parse(entry![2], CultureInfo.InvariantCulture);
        int gid;
        if (parts.Length > 1)
        {
            gid = int.TryParse(parts[1], CultureInfo.InvariantCulture, out var g) ? g
                : int.Parse(File.ReadAllLines(Path.Combine(rootfs, "etc", "group")).Select(l => l.Split(':')).First(p => p[0] == parts[1])[2], CultureInfo.InvariantCulture);
        }
        else
        {
            gid = entry is not null ? int.Parse(entry[3], CultureInfo.InvariantCulture) : uid;
        }

        return (uid, gid);
    }

    /// <summary><see cref="MirrorVariable"/>, else the first Debian (not security) source of this machine's apt, else deb.debian.org.</summary>
    internal static string DebianMirror()
    {
        if (System.Environment.GetEnvironmentVariable(MirrorVariable) is { Length: > 0 } configured)
        {
            return configured;
        }

        const string sources = "/etc/apt/sources.list.d/debian.sources";
        if (File.Exists(sources))
        {
            var uri = File.ReadAllLines(sources).Where(l => l.StartsWith("URIs:", StringComparison.Ordinal))
                .SelectMany(l => l["URIs:".Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries))
                .FirstOrDefault(u => u.TrimEnd('/').EndsWith("/debian", StringComparison.Ordinal));
            if (uri is not null)
            {
                return uri;
            }
        }

        const string list = "/etc/apt/sources.list";
        if (File.Exists(list))
        {
            var uri = File.ReadAllLines(list).Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries))
                .Where(p => p.Length >= 3 && p[0] == "deb" && !p[2].Contains("security", StringComparison.Ordinal))
                .Select(p => p[1]).FirstOrDefault(u => u.TrimEnd('/').EndsWith("/debian", StringComparison.Ordinal));
            if (uri is not null)
            {
                return uri;
            }
        }

        return "http://deb.debian.org/debian";
    }

    /// <summary>The end of a long output, where a failure says what it was.</summary>
    public static string Tail(string output) => output.Length > 6000 ? "…" + output[^6000..] : output;
}

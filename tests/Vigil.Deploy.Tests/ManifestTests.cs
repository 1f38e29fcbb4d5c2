using System.Diagnostics.Metrics;
using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using Vigil.Server.Hosting;
using Vigil.Server.Observability;
using Vigil.Storage;

namespace Vigil.Deploy.Tests;

/// <summary>
/// Every manifest under deploy/ against the real Vigil: each probe path is an endpoint Vigil maps and answers without a
/// key, each port is the image's EXPOSE port, each command line parses with Vigil's own parser, each environment variable
/// is one <c>vigil serve</c> reads (<see cref="VigilEnvironment"/>), each store spec opens.
/// </summary>
public sealed partial class ManifestTests(VigilServerFixture vigil) : IClassFixture<VigilServerFixture>
{
    private static readonly Containerfile Image = Containerfile.Read(Repository.PathOf("deploy", "Containerfile"));

    /// <summary>Variables the image sets for the .NET runtime rather than for Vigil, each with its reason.</summary>
    private static readonly Dictionary<string, string> RuntimeVariables = new(StringComparer.Ordinal)
    {
        ["HOME"] = "ASP.NET Core keeps its data-protection keys under HOME: the volume, not a missing directory",
        ["DOTNET_RUNNING_IN_CONTAINER"] = ".NET's own marker, as Microsoft's images set it",
    };

    private static int ImagePort => Assert.Single(Image.ExposedPorts);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Containerfile_RunsVigilServeAsPidOneOnTheExposedPort_AsANonRootUser_WithItsStoreOnTheVolume()
    {
        // Exec form: vigil is PID 1 and gets SIGTERM itself.
        Assert.NotNull(Image.Entrypoint);
        Assert.NotNull(Image.Cmd);
        Assert.Equal("SIGTERM", Image.StopSignal);
        AssertVigilVariables(Image.Env.Keys.Where(k => !RuntimeVariables.ContainsKey(k)), "deploy/Containerfile");

        var serve = VigilFacts.Parse([.. Image.Entrypoint!.Skip(1), .. Image.Cmd!], Image.Env);
        Assert.True(serve.Errors.Count == 0, string.Join("\n", serve.Errors));
        Assert.Equal("vigil serve", serve.Path);
        var url = Assert.Single(serve.Urls);
        Assert.Equal(ImagePort, url.Port);
        Assert.Equal("0.0.0.0", url.Host);

        var uid = Image.User.Split(':')[0];
        Assert.True(int.TryParse(uid, CultureInfo.InvariantCulture, out var id) && id > 0, $"USER must be a numeric non-root uid (Kubernetes' runAsNonRoot checks it): '{Image.User}'");
        Assert.Contains(Image.WorkingDirectory, Image.Volumes);
        Assert.StartsWith(Image.WorkingDirectory + "/", SqlitePath(serve.Store!), StringComparison.Ordinal);
        await AssertOpensAsync(serve.Store!);

        foreach (var label in new[] { "title", "source", "version", "revision", "licenses", "created" })
        {
            Assert.True(Image.Labels.ContainsKey("org.opencontainers.image." + label), $"no OCI label org.opencontainers.image.{label}");
        }
    }

    [Fact]
    public async Task Kubernetes_ProbesPortsArgumentsAndEnvironment_AreVigils()
    {
        var folder = Repository.PathOf("deploy", "kubernetes");
        var documents = Directory.GetFiles(folder, "*.yaml").Where(f => Path.GetFileName(f) != "kustomization.yaml")
            .SelectMany(f => Yaml.LoadAll(f).Select(d => (File: Path.GetFileName(f), Document: d))).ToList();
        foreach (var resource in Yaml.List(Yaml.Load(Path.Combine(folder, "kustomization.yaml")), "resources"))
        {
            Assert.True(File.Exists(Path.Combine(folder, (string)resource!)), $"kustomization.yaml lists {resource}, which does not exist");
        }

        var deployment = Single(documents, "Deployment");
        var spec = Yaml.Map(deployment, "spec");
        Assert.Equal("2", Yaml.Text(spec, "replicas"));
        var pod = Yaml.Map(Yaml.Map(spec, "template"), "spec");
        var podLabels = Yaml.Map(Yaml.Map(Yaml.Map(spec, "template"), "metadata"), "labels");
        AssertSelects(Yaml.Map(Yaml.Map(spec, "selector"), "matchLabels"), podLabels, "the Deployment's selector");
        var podSecurity = Yaml.Map(pod, "securityContext");
        Assert.Equal("true", Yaml.Text(podSecurity, "runAsNonRoot"));
        Assert.Equal(Image.User.Split(':')[0], Yaml.Text(podSecurity, "runAsUser"));

        var container = Assert.Single(Yaml.Maps(pod, "containers"));
        var ports = Yaml.Maps(container, "ports").ToDictionary(p => Yaml.Text(p, "name"), p => int.Parse(Yaml.Text(p, "containerPort"), CultureInfo.InvariantCulture));
        Assert.Equal(ImagePort, Assert.Single(ports).Value);
        var env = Environment(container, secret: "postgres://vigil:secret@postgres:5432/vigil");
        AssertVigilVariables(env.Keys, "deployment.yaml");
        foreach (var (key, value) in Image.Env)
        {
            env.TryAdd(key, value);
        }

        Assert.Equal("vigil-store", Yaml.Text(Yaml.Map(Yaml.Map(Yaml.Maps(container, "env").Single(e => Yaml.Text(e, "name") == VigilEnvironment.Store), "valueFrom"), "secretKeyRef"), "name"));
        var serve = VigilFacts.Parse(Args(container, env), env);
        Assert.True(serve.Errors.Count == 0, string.Join("\n", serve.Errors));
        Assert.Equal("vigil serve", serve.Path);
        Assert.Equal(ImagePort, Assert.Single(serve.Urls).Port);
        Assert.StartsWith("postgres://", serve.Store, StringComparison.Ordinal);
        await AssertOpensAsync(serve.Store!);

        var probes = new Dictionary<string, string> { ["livenessProbe"] = "/healthz", ["readinessProbe"] = "/readyz" };
        foreach (var (probe, expected) in probes)
        {
            var get = Yaml.Map(Yaml.Map(container, probe), "httpGet");
            Assert.Equal(expected, Yaml.Text(get, "path"));
            Assert.Equal(ImagePort, ResolvePort(Yaml.Text(get, "port"), ports));
        }

        if (Yaml.Optional(container, "startupProbe") is { } startup)
        {
            Assert.Equal(ImagePort, ResolvePort(Yaml.Text(Yaml.Map(startup, "httpGet"), "port"), ports));
            await AssertOpenEndpointAsync(Yaml.Text(Yaml.Map(startup, "httpGet"), "path"), "startupProbe");
        }

        foreach (var (_, path) in probes)
        {
            await AssertOpenEndpointAsync(path, "a probe");
        }

        Assert.NotNull(Yaml.Optional(Yaml.Map(container, "resources"), "requests"));
        Assert.NotNull(Yaml.Optional(Yaml.Map(container, "resources"), "limits"));

        var service = Yaml.Map(Single(documents, "Service"), "spec");
        AssertSelects(Yaml.Map(service, "selector"), podLabels, "the Service's selector");
        Assert.Equal(ImagePort, ResolvePort(Yaml.Text(Assert.Single(Yaml.Maps(service, "ports")), "targetPort"), ports));

        var budget = Yaml.Map(Single(documents, "PodDisruptionBudget"), "spec");
        AssertSelects(Yaml.Map(Yaml.Map(budget, "selector"), "matchLabels"), podLabels, "the PodDisruptionBudget's selector");
        Assert.InRange(int.Parse(Yaml.Text(budget, "minAvailable"), CultureInfo.InvariantCulture), 1, 1);

        // The admin-key Job runs a Vigil command that must parse, with the store from the same Secret.
        foreach (var job in documents.Where(d => Yaml.Text(d.Document, "kind") == "Job"))
        {
            var jobContainer = Assert.Single(Yaml.Maps(Yaml.Map(Yaml.Map(Yaml.Map(job.Document, "spec"), "template"), "spec"), "containers"));
            var jobEnv = Environment(jobContainer, secret: "postgres://vigil:secret@postgres:5432/vigil");
            var command = VigilFacts.Parse(Args(jobContainer, jobEnv), new Dictionary<string, string>());
            Assert.True(command.Errors.Count == 0, job.File + ": " + string.Join("\n", command.Errors));
            Assert.Equal("vigil keys create", command.Path);
        }
    }

    [Fact]
    public async Task Compose_VigilsPortEnvironmentAndStore_AndPrometheusScrapesAPathVigilServes()
    {
        var compose = Yaml.Load(Repository.PathOf("deploy", "compose.yaml"));
        var services = Yaml.Map(compose, "services");
        var vigilService = Yaml.Map(services, "vigil");
        var build = Yaml.Map(vigilService, "build");
        var context = Path.GetFullPath(Path.Combine(Repository.PathOf("deploy"), Yaml.Text(build, "context")));
        Assert.Equal(Repository.PathOf("deploy", "Containerfile"), Path.Combine(context, Yaml.Text(build, "dockerfile")));

        var composeEnv = Yaml.Map(vigilService, "environment").ToDictionary(e => e.Key, e => Interpolate((string)e.Value!));
        AssertVigilVariables(composeEnv.Keys, "compose.yaml");

        // The container sees the image's environment with compose's on top.
        var env = new Dictionary<string, string>(Image.Env, StringComparer.Ordinal);
        foreach (var (key, value) in composeEnv)
        {
            env[key] = value;
        }

        var serve = VigilFacts.Parse([.. Image.Cmd!], env);
        Assert.True(serve.Errors.Count == 0, string.Join("\n", serve.Errors));
        Assert.Equal(ImagePort, Assert.Single(serve.Urls).Port);
        var store = new Uri(serve.Store!);
        Assert.Equal("postgres", store.Scheme);
        Assert.True(services.ContainsKey(store.Host), $"VIGIL_STORE points at {store.Host}, which is no service of compose.yaml");
        await AssertOpensAsync(serve.Store!);
        var webhook = new Uri(env[VigilEnvironment.Webhooks]);
        Assert.True(services.ContainsKey(webhook.Host), $"VIGIL_WEBHOOKS points at {webhook.Host}, which is no service of compose.yaml");
        Assert.EndsWith("/api/v2/alerts", webhook.AbsolutePath, StringComparison.Ordinal);

        var published = Yaml.List(vigilService, "ports").Select(p => int.Parse(((string)p!).Split(':')[^1], CultureInfo.InvariantCulture));
        Assert.Equal(ImagePort, Assert.Single(published));
        Assert.Contains(Yaml.List(vigilService, "volumes"), v => ((string)v!).EndsWith(":" + Assert.Single(Image.Volumes), StringComparison.Ordinal));

        // Prometheus scrapes Vigil at the image's port, on a path Vigil serves, with the key that path needs.
        var prometheus = Yaml.Load(Repository.PathOf("deploy", "prometheus", "prometheus.yml"));
        var job = Assert.Single(Yaml.Maps(prometheus, "scrape_configs"), j => Yaml.Text(j, "job_name") == "vigil");
        var target = (string)Assert.Single(Yaml.List(Assert.Single(Yaml.Maps(job, "static_configs")), "targets"))!;
        Assert.Equal($"vigil:{ImagePort}", target);
        var metricsPath = Yaml.Text(job, "metrics_path");
        Assert.True(vigil.MapsGet(metricsPath), $"Vigil maps no GET {metricsPath}");
        Assert.Equal(HttpStatusCode.Unauthorized, (await vigil.GetAsync(metricsPath)).StatusCode);
        using var scraped = await vigil.GetAsync(metricsPath, vigil.ReadKey);
        Assert.Equal(HttpStatusCode.OK, scraped.StatusCode);
        Assert.Equal("Bearer", Yaml.Text(Yaml.Map(job, "authorization"), "type"));
        Assert.NotNull(Yaml.Optional(Yaml.Map(job, "authorization"), "credentials_file"));
        var alertmanager = (string)Assert.Single(Yaml.List(Assert.Single(Yaml.Maps(Assert.Single(Yaml.Maps(Yaml.Map(prometheus, "alerting"), "alertmanagers")), "static_configs")), "targets"))!;
        Assert.True(services.ContainsKey(alertmanager.Split(':')[0]), $"Prometheus sends alerts to {alertmanager}, no service of compose.yaml");
    }

    [Fact]
    public async Task Systemd_ExecStartParses_WithAnEnvironmentVigilReads_OnTheImagesPort()
    {
        var unit = SystemdUnit.Read(Repository.PathOf("deploy", "systemd", "vigil.service"));
        var env = SystemdUnit.ReadEnvironmentFile(Repository.PathOf("deploy", "systemd", "vigil.env"));
        foreach (var line in unit.All("Service", "Environment"))
        {
            var (key, value) = SystemdUnit.Assignment(line);
            env[key] = value;
        }

        AssertVigilVariables(env.Keys, "vigil.service and vigil.env");
        var execStart = unit.Single("Service", "ExecStart").Split(' ', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("vigil", Path.GetFileName(execStart[0]));
        var serve = VigilFacts.Parse(execStart[1..], env);
        Assert.True(serve.Errors.Count == 0, string.Join("\n", serve.Errors));
        Assert.Equal("vigil serve", serve.Path);
        Assert.Equal(ImagePort, Assert.Single(serve.Urls).Port);
        await AssertOpensAsync(serve.Store!);

        // The store lives in the state directory systemd creates and hands to the service's user.
        var state = "/var/lib/" + unit.Single("Service", "StateDirectory");
        Assert.Equal(state, unit.Single("Service", "WorkingDirectory"));
        Assert.StartsWith(state + "/", SqlitePath(serve.Store!), StringComparison.Ordinal);
        Assert.Equal("/etc/vigil/vigil.env", unit.Single("Service", "EnvironmentFile").TrimStart('-'));
        Assert.Equal("SIGTERM", unit.Single("Service", "KillSignal"));

        foreach (var (key, value) in new[] { ("NoNewPrivileges", "yes"), ("ProtectSystem", "strict"), ("ProtectHome", "yes"), ("PrivateTmp", "yes"), ("DynamicUser", "yes") })
        {
            Assert.Equal(value, unit.Single("Service", key));
        }

        // .NET's JIT writes code, then runs it.
        Assert.DoesNotContain(unit.All("Service", "MemoryDenyWriteExecute"), v => v is "yes" or "true");
        await SystemdUnit.VerifyIfPossibleAsync(Repository.PathOf("deploy", "systemd", "vigil.service"), Ct);
    }

    [Fact]
    public async Task PrometheusAndAlertmanagerConfigs_PassTheirOwnCheckers()
    {
        var promtool = Tools.Find("promtool");
        var amtool = Tools.Find("amtool");
        if (promtool is null || amtool is null)
        {
            Assert.Skip("promtool or amtool is not installed: 'apt-get install prometheus prometheus-alertmanager' (as .ci/run does) enables this test");
        }

        // promtool checks that the key file exists: check a copy with a stand-in key, as compose mounts the folder.
        var copy = Directory.CreateTempSubdirectory("vigil-prometheus-").FullName;
        try
        {
            foreach (var file in Directory.GetFiles(Repository.PathOf("deploy", "prometheus"), "*.yml"))
            {
                File.Copy(file, Path.Combine(copy, Path.GetFileName(file)));
            }

            await File.WriteAllTextAsync(Path.Combine(copy, "vigil-metrics-key"), "vgl_000000000000_stand-in", Ct);
            var prom = await Tools.RunAsync(promtool, ["check", "config", Path.Combine(copy, "prometheus.yml")], Ct);
            Assert.True(prom.ExitCode == 0, prom.Output);
            Assert.Contains("SUCCESS: 5 rules found", prom.Output, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(copy, recursive: true);
        }

        var am = await Tools.RunAsync(amtool, ["check-config", Repository.PathOf("deploy", "alertmanager", "alertmanager.yml")], Ct);
        Assert.True(am.ExitCode == 0, am.Output);
    }

    [Fact]
    public void PrometheusRules_UseMetricsVigilExports()
    {
        // Vigil's instruments as its Prometheus exporter names them: dots become underscores, seconds add _seconds,
        // counters add _total; annotations in braces ({record}) are not units.
        var names = new HashSet<string>(StringComparer.Ordinal) { "up" };
        using (var listener = new MeterListener())
        {
            listener.InstrumentPublished = (instrument, _) =>
            {
                if (instrument.Meter.Name == VigilMetrics.MeterName)
                {
                    lock (names)
                    {
                        names.Add(PrometheusName(instrument));
                    }
                }
            };
            listener.Start();
        }

        Assert.Contains("vigil_gateway_requests_total", names);
        var rules = File.ReadAllText(Repository.PathOf("deploy", "prometheus", "vigil-rules.yml"));
        var used = Yaml.Maps(Assert.Single(Yaml.Maps(Yaml.Load(Repository.PathOf("deploy", "prometheus", "vigil-rules.yml")), "groups")), "rules")
            .SelectMany(r => MetricName().Matches(LabelsAndGrouping().Replace(Yaml.Text(r, "expr"), " ")).Select(m => m.Value))
            .Select(n => HistogramSuffix().Replace(n, ""))
            .ToHashSet(StringComparer.Ordinal);
        Assert.NotEmpty(used);
        Assert.All(used, name => Assert.True(names.Contains(name), $"vigil-rules.yml uses {name}, which Vigil does not export (it exports {string.Join(", ", names.Order(StringComparer.Ordinal))})"));
        Assert.NotEmpty(rules);
    }

    [Fact]
    public void EveryEnvironmentVariableReadInSrc_IsNamedInVigilEnvironment()
    {
        // A variable read with a literal name would escape the manifest checks above.
        var offenders = Directory.GetFiles(Repository.PathOf("src"), "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .SelectMany(f => LiteralRead().Matches(File.ReadAllText(f)).Select(m => $"{Path.GetRelativePath(Repository.Root, f)}: {m.Value}"))
            .ToList();
        Assert.True(offenders.Count == 0, "read through a VigilEnvironment constant instead:\n" + string.Join("\n", offenders));
    }

    [Fact]
    public void EveryVigilEnvironmentVariable_IsDocumentedInOperations()
    {
        var operations = File.ReadAllText(Repository.PathOf("docs", "operations.md"));
        Assert.All(VigilEnvironment.All, v => Assert.Contains($"`{v.Name}`", operations, StringComparison.Ordinal));
    }

    internal static string PrometheusName(Instrument instrument)
    {
        var name = instrument.Name.Replace('.', '_');
        if (instrument.Unit == "s")
        {
            name += "_seconds";
        }

        var counter = instrument.GetType().IsGenericType && instrument.GetType().GetGenericTypeDefinition() is var definition
            && (definition == typeof(Counter<>) || definition == typeof(ObservableCounter<>));
        return counter ? name + "_total" : name;
    }

    private static Dictionary<string, object?> Single(List<(string File, Dictionary<string, object?> Document)> documents, string kind) =>
        Assert.Single(documents, d => Yaml.Text(d.Document, "kind") == kind).Document;

    /// <summary>A container's environment; values from a Secret become <paramref name="secret"/>, from the downward API a stand-in.</summary>
    private static Dictionary<string, string> Environment(Dictionary<string, object?> container, string secret) =>
        Yaml.Maps(container, "env").ToDictionary(
            e => Yaml.Text(e, "name"),
            e => Yaml.Optional(e, "value") as string ?? (Yaml.Optional(Yaml.Optional(e, "valueFrom"), "secretKeyRef") is not null ? secret : "vigil-0"),
            StringComparer.Ordinal);

    /// <summary>The container's args with Kubernetes' <c>$(VAR)</c> references expanded from its environment.</summary>
    private static string[] Args(Dictionary<string, object?> container, IReadOnlyDictionary<string, string> env)
    {
        Assert.Null(Yaml.Optional(container, "command"));
        return [.. Yaml.List(container, "args").Select(a => KubernetesReference().Replace((string)a!, m =>
        {
            Assert.True(env.TryGetValue(m.Groups[1].Value, out var value), $"$({m.Groups[1].Value}) is not in the container's env");
            return value!;
        }))];
    }

    private static int ResolvePort(string port, IReadOnlyDictionary<string, int> named) =>
        int.TryParse(port, CultureInfo.InvariantCulture, out var number) ? number : Assert.Contains(port, named);

    private static void AssertSelects(Dictionary<string, object?> selector, Dictionary<string, object?> labels, string what) =>
        Assert.All(selector, s => Assert.True(labels.TryGetValue(s.Key, out var v) && Equals(v, s.Value), $"{what} {s.Key}={s.Value} does not select the pods ({string.Join(", ", labels)})"));

    private static void AssertVigilVariables(IEnumerable<string> names, string where)
    {
        foreach (var name in names)
        {
            Assert.True(VigilFacts.ServerVariables.Contains(name), $"{where} sets {name}, which vigil serve does not read (it reads {string.Join(", ", VigilFacts.ServerVariables)})");
        }
    }

    private async Task AssertOpenEndpointAsync(string path, string what)
    {
        Assert.True(vigil.MapsGet(path), $"{what} asks for {path}, which Vigil does not map");
        using var response = await vigil.GetAsync(path);
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{what} GET {path} without a key answered {(int)response.StatusCode}: a probe sends no key");
    }

    private static async Task AssertOpensAsync(string spec)
    {
        // Opening parses the spec and does no I/O.
        await using var store = StoreFactory.Open(spec);
        Assert.NotNull(store.Description);
    }

    private static string SqlitePath(string spec)
    {
        Assert.StartsWith("sqlite:", spec, StringComparison.Ordinal);
        return spec["sqlite:".Length..];
    }

    /// <summary>Compose's <c>${VAR}</c>, <c>${VAR:?message}</c> and <c>${VAR:-default}</c>, with a stand-in value.</summary>
    private static string Interpolate(string value) => ComposeVariable().Replace(value, "stand-in");

    [GeneratedRegex(@"\bvigil_[a-z0-9_]+|\bup\b")]
    private static partial Regex MetricName();

    [GeneratedRegex(@"\{[^}]*\}|\b(by|without)\s*\([^)]*\)")]
    private static partial Regex LabelsAndGrouping();

    [GeneratedRegex("_(bucket|sum|count)$")]
    private static partial Regex HistogramSuffix();

    [GeneratedRegex("""(GetEnvironmentVariable|\b[Ee]nvironment)\(\s*"[^"]*"\s*\)""")]
    private static partial Regex LiteralRead();

    [GeneratedRegex(@"\$\(([A-Za-z0-9_]+)\)")]
    private static partial Regex KubernetesReference();

    [GeneratedRegex(@"\$\{[A-Za-z0-9_]+(:[?-][^}]*)?\}")]
    private static partial Regex ComposeVariable();
}

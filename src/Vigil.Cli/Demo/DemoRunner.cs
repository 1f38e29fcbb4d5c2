using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Spectre.Console;
using Vigil.Cli.Client;
using Vigil.Registry;
using Vigil.Server.Api;
using Vigil.Server.Hosting;
using Vigil.Serving.Training;
using Vigil.Storage;

namespace Vigil.Cli.Demo;

/// <summary>
/// Runs <c>vigil demo</c>: recreates the demo folder, generates data, trains the model, starts Vigil in process on an
/// accelerated clock, sets up the <c>recommender</c> service through the HTTP API, plays the scenarios, shows what
/// happened, and keeps serving until Ctrl+C (or exits, with <see cref="DemoSettings.ExitWhenDone"/>).
/// </summary>
public sealed class DemoRunner
{
    /// <summary>The file that marks a folder as made by <c>vigil demo</c>, so that only such a folder is ever deleted.</summary>
    public const string MarkerFileName = ".vigil-demo-folder";

    private static JsonSerializerOptions Indented { get; } = new(VigilJson.Options) { WriteIndented = true };

    private readonly DemoSettings _settings;
    private readonly DemoConsole _console;
    private readonly TimeProvider _real;
    private readonly IReadOnlyList<IDemoScenario> _scenarios;

    /// <summary>Creates a runner.</summary>
    /// <param name="settings">The run's settings (already valid).</param>
    /// <param name="console">Where to show progress and results.</param>
    /// <param name="real">The real clock the accelerated clock runs on (<see cref="TimeProvider.System"/>).</param>
    /// <param name="scenarios">The scenarios to play, in order. Default: <see cref="DefaultScenarios"/>.</param>
    public DemoRunner(DemoSettings settings, DemoConsole console, TimeProvider real, IReadOnlyList<IDemoScenario>? scenarios = null)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(console);
        ArgumentNullException.ThrowIfNull(real);
        _settings = settings;
        _console = console;
        _real = real;
        _scenarios = scenarios ?? DemoScenarios.Create(settings.Scenarios);
    }

    /// <summary>The scenarios of the demo, in the order they are played: baseline traffic, a bad canary rolled back, a rollout promoted.</summary>
    public static IReadOnlyList<IDemoScenario> DefaultScenarios() => DemoScenarios.Create(DemoScenarios.Names);

    /// <summary>Runs the demo. Returns the exit code: 0 when every request and every feedback succeeded and every release ended as its scenario expects, 1 otherwise.</summary>
    public async Task<int> RunAsync(CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        var folder = Path.GetFullPath(_settings.Directory);
        if (!TryRecreateFolder(folder, out var problem))
        {
            _console.Fail(problem);
            return 1;
        }

        _console.MarkupLine($"[bold]Vigil demo[/]: a content recommender under simulated traffic, in [blue]{Markup.Escape(folder)}[/]");
        _console.Line();

        // 1. Data and model.
        var generator = new RecommendationDataGenerator(_settings.Seed);
        var examples = await _console.StepAsync(
            $"Generating {_settings.TrainingRows:N0} training rows (seed {_settings.Seed})",
            () => Task.Run(() => WriteTrainingData(generator.Generate(_settings.TrainingRows), folder), cancellationToken),
            rows => $"{rows.Count:N0} rows, {DemoConsole.Percent(rows.Count(r => r.Engaged) / (double)rows.Count)} engaged, written to data/training.csv");

        var modelPath = Path.Combine(folder, "models", "recommender-v1.zip");
        var training = await _console.StepAsync(
            "Training an ML.NET binary classifier",
            () => Task.Run(() => Train(examples, modelPath, _settings.Seed, cancellationToken), cancellationToken),
            result => result.IsSuccess
                ? $"model saved to models/recommender-v1.zip, offline AUC {result.Value!.Metrics.GetValueOrDefault("auc"):0.000}"
                : "training failed");
        if (!training.IsSuccess)
        {
            _console.Fail(training.Failure!.Message);
            return 1;
        }

        var metrics = training.Value!.Metrics;

        // 2. The server, on the accelerated clock, starting at midnight (UTC) of the real current day.
        var today = _real.GetUtcNow().UtcDateTime.Date;
        var clock = new AcceleratedTimeProvider(_real, _settings.Speed, new DateTimeOffset(today, TimeSpan.Zero));
        var options = new VigilServerOptions
        {
            Urls = [$"http://127.0.0.1:{_settings.Port}"],
            Store = "sqlite:" + Path.Combine(folder, "vigil.db"),
            ArtifactsDirectory = Path.Combine(folder, "artifacts"),
            TimeProvider = clock,
            // Look for releases due for analysis every simulated minute (each is analysed every analysis_interval of its plan).
            ControllerTick = TimeSpan.FromMinutes(1),
            LogLevel = _console.IsLive ? Microsoft.Extensions.Logging.LogLevel.Error : Microsoft.Extensions.Logging.LogLevel.Warning,
        };

        VigilApp app;
        try
        {
            app = await _console.StepAsync(
                "Starting Vigil on SQLite",
                () => VigilServer.StartAsync(options, cancellationToken),
                a => $"Vigil listens on {a.BaseAddress} (store .../{Path.GetFileName(folder)}/vigil.db; 1 simulated day ≈ {clock.ToReal(TimeSpan.FromDays(1)).TotalSeconds:0.#} s)");
        }
        catch (Exception ex) when (ex is VigilStartupException or StoreException)
        {
            _console.Fail($"Vigil did not start: {ex.Message.TrimEnd('.')}");
            return 1;
        }
        catch (IOException ex)
        {
            _console.Fail($"Vigil could not listen on port {_settings.Port}: {ex.Message.TrimEnd('.')}. Pass --port with a free port, or --port 0 to pick one.");
            return 1;
        }

        await using (app)
        {
            var server = app.BaseAddress;
            using var api = new VigilClient(server);
            using var traffic = new DemoTrafficClient(server);
            var context = new DemoContext
            {
                Server = server,
                Api = api,
                Traffic = traffic,
                Clock = clock,
                Console = _console,
                Settings = _settings,
                Folder = folder,
            };

            try
            {
                // 3. The service and its champion, through the HTTP API like any user would.
                await SetUpServiceAsync(api, modelPath, metrics, cancellationToken);

                // 4. The scenarios.
                var reports = new List<TrafficReport>();
                foreach (var scenario in _scenarios)
                {
                    _console.Line();
                    if (clock.Speed != _settings.Speed)
                    {
                        clock.ChangeSpeed(_settings.Speed);
                    }

                    _console.MarkupLine($"[bold]Scenario[/] [blue]{Markup.Escape(scenario.Name)}[/]: {Markup.Escape(scenario.Description)}");
                    reports.Add(await scenario.RunAsync(context, cancellationToken));
                }

                if (clock.Speed != _settings.Speed)
                {
                    clock.ChangeSpeed(_settings.Speed);
                }

                // 5. What happened: everything the users sent is written before Vigil is asked what it saw.
                using (var flush = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
                {
                    flush.CancelAfter(TimeSpan.FromSeconds(15));
                    try
                    {
                        await app.FlushAsync(flush.Token);
                    }
                    catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                    {
                        _console.Line("(Vigil was still writing predictions after 15 s; its counts below may be short)");
                    }
                }

                var status = await api.GetServiceStatusAsync(RecommendationDataGenerator.ServiceName, clock.Start, cancellationToken);
                var summary = new DemoSummary(
                    server.ToString(),
                    _settings.Seed,
                    _settings.Days,
                    _settings.Speed,
                    _settings.RequestsPerDay,
                    _settings.CanaryRequestsPerDay,
                    _settings.RolloutSpeed,
                    _settings.RolloutRequestsPerDay,
                    _settings.TrainingRows,
                    modelPath,
                    metrics,
                    reports,
                    status,
                    Math.Round(Stopwatch.GetElapsedTime(started).TotalSeconds, 2));
                await File.WriteAllTextAsync(Path.Combine(folder, DemoSummary.FileName), JsonSerializer.Serialize(summary, Indented), cancellationToken);

                ShowSummary(summary);
                ShowWhereToLook(server);
                if (!summary.Clean)
                {
                    _console.Fail($"the demo saw failed requests or feedback; first error: {summary.Scenarios.Select(s => s.FirstError).FirstOrDefault(e => e is not null)}");
                }

                foreach (var release in summary.Releases.Where(r => !r.AsExpected))
                {
                    _console.Fail($"release {release.Id} of scenario {release.Scenario} ended {release.Outcome}, not {release.Expected}");
                }

                // 6. Keep serving for people to look around, or exit for scripts.
                var exitCode = summary.Clean && summary.Releases.All(r => r.AsExpected) ? 0 : 1;
                if (_settings.ExitWhenDone)
                {
                    return exitCode;
                }

                _console.Line();
                _console.MarkupLine($"Vigil keeps serving at [blue]{server}[/] on the accelerated clock. Press [bold]Ctrl+C[/] to stop.");
                try
                {
                    await app.WaitForShutdownAsync(cancellationToken);
                }
                catch (OperationCanceledException)
                {
                    // Ctrl+C: the normal way out.
                }

                return exitCode;
            }
            catch (VigilApiException ex)
            {
                _console.Fail($"Vigil refused a demo call: {ex.Message}");
                return 1;
            }
            catch (VigilUnreachableException ex)
            {
                _console.Fail(ex.Message);
                return 1;
            }
        }
    }

    /// <summary>Creates the <c>recommender</c> service and registers the trained model as version 1, champion.</summary>
    private async Task SetUpServiceAsync(VigilClient api, string modelPath, IReadOnlyDictionary<string, double> metrics, CancellationToken cancellationToken)
    {
        await _console.StepAsync(
            "Creating the service through POST /v1/services",
            () => api.CreateServiceAsync(RecommendationDataGenerator.CreateServiceRequest(), cancellationToken),
            service => $"service '{service.Name}' with {service.Inputs.Count} inputs ({string.Join(", ", service.Inputs.Select(i => i.Name))})");

        var metadata = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["author"] = "vigil demo",
            ["training_rows"] = _settings.TrainingRows.ToString(CultureInfo.InvariantCulture),
            ["seed"] = _settings.Seed.ToString(CultureInfo.InvariantCulture),
        };
        await _console.StepAsync(
            "Registering the model through POST /v1/services/recommender/versions",
            () => api.RegisterVersionAsync(
                RecommendationDataGenerator.ServiceName,
                new RegisterVersionRequest(new BackendSpec(BackendKind.Mlnet, modelPath), metadata, metrics, AliasNames.Champion),
                cancellationToken),
            version => $"version {version.Number} ({version.Backend.Kind.ToString().ToLowerInvariant()}) is the {string.Join(", ", version.Aliases)}");
    }

    private static Result<MlNetTrainingResult> Train(IReadOnlyList<RecommendationExample> examples, string modelPath, int seed, CancellationToken cancellationToken)
    {
        var service = RecommendationDataGenerator.ServiceDefinition(DateTimeOffset.UnixEpoch);
        var rows = examples.Select(e => e.ToInputRow()).ToList();
        var labels = examples.Select(e => e.Engaged).ToList();
        return MlNetTrainer.Train(service, rows, labels, modelPath, new MlNetTrainingOptions { Seed = seed }, cancellationToken);
    }

    /// <summary>Writes the training rows to <c>data/training.csv</c> (for people to look at) and returns them.</summary>
    private static IReadOnlyList<RecommendationExample> WriteTrainingData(IReadOnlyList<RecommendationExample> examples, string folder)
    {
        var data = Path.Combine(folder, "data");
        Directory.CreateDirectory(data);
        var csv = new StringBuilder();
        csv.AppendLine(string.Join(',', RecommendationDataGenerator.Inputs.Select(i => i.Name)) + ",engaged");
        foreach (var e in examples)
        {
            csv.Append(CultureInfo.InvariantCulture, $"{e.User.TenureDays},{e.ItemAgeHours},{e.Price},{e.ItemCategory},{e.User.Device},{e.User.Country},")
                .Append(e.User.IsSubscriber ? "true" : "false").Append(',').Append(e.Engaged ? '1' : '0').AppendLine();
        }

        File.WriteAllText(Path.Combine(data, "training.csv"), csv.ToString());
        return examples;
    }

    /// <summary>Deletes and recreates <paramref name="folder"/> when it is empty or was made by the demo; refuses otherwise.</summary>
    private static bool TryRecreateFolder(string folder, out string problem)
    {
        problem = "";
        try
        {
            if (Directory.Exists(folder))
            {
                var empty = !Directory.EnumerateFileSystemEntries(folder).Any();
                if (!empty && !File.Exists(Path.Combine(folder, MarkerFileName)))
                {
                    problem = $"'{folder}' exists and was not made by 'vigil demo', so the demo will not delete it; remove it or pass another --dir";
                    return false;
                }

                Directory.Delete(folder, recursive: true);
            }

            Directory.CreateDirectory(folder);
            File.WriteAllText(Path.Combine(folder, MarkerFileName), "Made by 'vigil demo', which deletes and recreates this folder on each run.\n");
            return true;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            problem = $"could not recreate the demo folder '{folder}': {ex.Message} (is another 'vigil demo' still running from it?)";
            return false;
        }
    }

    private void ShowSummary(DemoSummary summary)
    {
        _console.Line();
        var table = new Table().Title("[bold]What the simulated users saw[/]").AddColumn("").AddColumn(new TableColumn("").RightAligned());
        table.HideHeaders();
        foreach (var report in summary.Scenarios)
        {
            var simulated = report.SimulatedEnd - report.SimulatedStart;
            table.AddRow("Scenario", Markup.Escape(report.Scenario));
            table.AddRow("Simulated time", $"{simulated.TotalDays:0.##} days in {report.RealDuration.TotalSeconds:0.0} s");
            table.AddRow("Requests", $"{report.Requests:N0}");
            table.AddRow("Errors", report.Errors == 0 ? "[green]0[/]" : $"[red]{report.Errors:N0}[/]");
            table.AddRow("Engagement rate (observed)", DemoConsole.Percent(report.EngagementRate));
            table.AddRow("Mean predicted probability", DemoConsole.Percent(report.MeanPredictedProbability));
            table.AddRow("Latency, mean (client)", $"{report.MeanLatencyMs:0.00} ms");
            table.AddRow("Latency, p99 (client)", $"{report.P99LatencyMs:0.00} ms");
            table.AddRow("Feedback sent", $"{report.FeedbackSent:N0} items ({report.FeedbackErrors:N0} failed)");
            table.AddRow("Outcomes stored", $"{report.OutcomesStored:N0} ({report.OutcomesDuplicate:N0} duplicates)");
        }

        table.AddRow("Offline AUC (held-out rows)", $"{summary.OfflineMetrics.GetValueOrDefault("auc"):0.000}");
        _console.Write(table);
        ShowReleases(summary.Releases);

        if (summary.ServiceStatus is not { } status)
        {
            return;
        }

        var server = new Table()
            .Title($"[bold]What Vigil recorded[/] (GET /v1/services/{Markup.Escape(status.Service)}/status)")
            .AddColumn("Version").AddColumn("Arm").AddColumn(new TableColumn("Requests").RightAligned())
            .AddColumn(new TableColumn("Errors").RightAligned()).AddColumn(new TableColumn("Mean latency").RightAligned());
        var outcomes = new Table()
            .Title("[bold]Outcomes Vigil joined to those predictions[/]")
            .AddColumn("Version").AddColumn("Arm").AddColumn("Outcome").AddColumn(new TableColumn("Count").RightAligned()).AddColumn(new TableColumn("Mean").RightAligned());
        foreach (var row in status.Traffic)
        {
            var version = row.Version.ToString(CultureInfo.InvariantCulture);
            server.AddRow(version, Markup.Escape(row.Arm), $"{row.Requests:N0}", $"{row.Errors:N0}", $"{row.MeanLatencyMs:0.00} ms");
            foreach (var outcome in row.Outcomes)
            {
                outcomes.AddRow(version, Markup.Escape(row.Arm), Markup.Escape(outcome.Name), $"{outcome.Count:N0}", outcome.Mean is { } mean ? $"{mean:0.000}" : "-");
            }
        }

        if (status.Traffic.Count == 0)
        {
            server.AddRow("-", "-", "0", "0", "-");
        }

        _console.Line();
        _console.Write(server);
        if (outcomes.Rows.Count > 0)
        {
            _console.Line();
            _console.Write(outcomes);
        }

        _console.Line($"Aliases: champion {status.Aliases.Champion?.ToString(CultureInfo.InvariantCulture) ?? "none"}, challenger {status.Aliases.Challenger?.ToString(CultureInfo.InvariantCulture) ?? "none"}. Summary written to {DemoSummary.FileName} in the demo folder.");
    }

    private void ShowReleases(IReadOnlyList<ReleaseReport> releases)
    {
        if (releases.Count == 0)
        {
            return;
        }

        var table = new Table()
            .Title("[bold]Releases[/] (GET /v1/releases)")
            .AddColumn("Release").AddColumn("Scenario").AddColumn("Challenger").AddColumn("Outcome")
            .AddColumn(new TableColumn("Duration").RightAligned()).AddColumn(new TableColumn("Time to detect").RightAligned());
        foreach (var release in releases)
        {
            var outcome = Markup.Escape(release.Outcome);
            table.AddRow(
                Markup.Escape(release.Id),
                Markup.Escape(release.Scenario),
                $"v{release.Challenger} (vs v{release.Champion?.ToString(CultureInfo.InvariantCulture) ?? "-"})",
                release.AsExpected ? $"[green]{outcome}[/]" : $"[red]{outcome}[/] (expected {Markup.Escape(release.Expected)})",
                $"{release.DurationDays:0.0} days",
                release.TimeToDetectHours is { } hours ? ReleaseScenarioSupport.Span(TimeSpan.FromHours(hours)) : "-");
        }

        _console.Line();
        _console.Write(table);
        foreach (var release in releases.Where(r => r.FiredTrigger is not null))
        {
            _console.Line($"{release.Id} fired: {release.FiredTrigger}");
        }

        foreach (var release in releases.Where(r => r.KilledRequests is not null))
        {
            _console.Line($"{release.Id} kill switch: {release.KilledCanaryRequests:N0} of {release.KilledRequests:N0} requests sent while it was off reached the challenger.");
        }
    }

    private void ShowWhereToLook(Uri server)
    {
        var root = server.ToString().TrimEnd('/');
        _console.Line();
        _console.MarkupLine("[bold]Look around[/]");
        foreach (var (path, what) in (ReadOnlySpan<(string, string)>)[
            ("/", "the dashboard"),
            ("/v1/status", "Vigil's status: store, recorder, every service"),
            ("/v1/services/recommender", "the service, its schema and aliases"),
            ("/v1/releases", "the releases: locked plans, every transition, the trigger numbers"),
            ("/metrics", "Prometheus metrics"),
            ("/openapi/v1.json", "the API description"),
        ])
        {
            _console.MarkupLine($"  [blue]{Markup.Escape(root + path)}[/]  {Markup.Escape(what)}");
        }

        _console.Line();
        _console.MarkupLine("[bold]Try the CLI[/] (in another terminal)");
        var commands = new List<string>();
        if (server.Port != 5000 || server.Host != "127.0.0.1")
        {
            commands.Add($"export VIGIL_SERVER={root}");
        }

        commands.AddRange(["vigil status recommender", "vigil models list recommender", "vigil audit"]);
        foreach (var command in commands)
        {
            _console.Line("  " + command);
        }
    }
}

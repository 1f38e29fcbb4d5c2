using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text.Json.Nodes;
using Spectre.Console;
using Vigil.Monitoring;
using Vigil.Monitoring.Layers;
using Vigil.Retraining;

namespace Vigil.Cli.Demo;

/// <summary>
/// The Level-2 story (docs/retraining.md): the world changes under the champion (premium items come into fashion, so price
/// stops hurting engagement and starts helping), its quality drops, and the loop closes by itself — a performance trigger,
/// a retraining by the built-in ML.NET trainer on the logged labelled requests, the evaluation against the champion on the
/// same holdout and segments, a canary started from the service's release template, and the promotion by the release
/// controller; then the maturity report.
/// </summary>
/// <remarks>
/// Monitors (issue 4) are not part of this build: the scenario measures the champion's AUC on the labelled traffic itself
/// and sends the performance trigger a monitor's <c>retrain</c> action would send (POST /v1/retrain, kind performance), and
/// says so on screen.
/// </remarks>
[SuppressMessage("Security", "CA5394:Do not use insecure randomness", Justification = "A seeded simulation, not security.")]
public sealed class RetrainingLoopScenario : IDemoScenario
{
    /// <summary>The clock's speed while the scenario plays: two simulated hours per real second.</summary>
    public const double Speed = 7_200;

    /// <summary>Requests sent after the change, before the trigger.</summary>
    public const int DriftRequests = 6_000;

    /// <summary>The trained-on window: only requests after the change.</summary>
    public static readonly TimeSpan Window = TimeSpan.FromHours(12);

    /// <summary>The longest the scenario waits for the promotion, in real time.</summary>
    public static readonly TimeSpan MaxWait = TimeSpan.FromSeconds(45);

    /// <summary>How much more a hundred dollars of price adds to the engagement logit after the change (it was −2.5).</summary>
    public const double PriceShiftPerHundred = 4.5;

    /// <inheritdoc />
    public string Name => DemoScenarios.Retraining;

    /// <inheritdoc />
    public string Description => "the world changes, the champion's quality drops, and the loop retrains, evaluates, canaries and promotes a new model by itself";

    /// <summary>The engagement probability after the change.</summary>
    public static double Drifted(RecommendationExample example)
    {
        ArgumentNullException.ThrowIfNull(example);
        var p = Math.Clamp(example.Probability, 1e-9, 1 - 1e-9);
        var logit = Math.Log(p / (1 - p)) + (PriceShiftPerHundred * example.Price / 100);
        return 1 / (1 + Math.Exp(-logit));
    }

    /// <summary>The performance monitor whose retrain action closes the loop.</summary>
    private const string AucMonitor = "auc-drop";

    /// <summary>The policy: the built-in trainer, the performance trigger, the default gate per country and device, and a canary template.</summary>
    public static JsonObject Policy() => new()
    {
        ["trainer"] = new JsonObject { ["kind"] = "mlnet", ["timeout"] = "7d" }, // simulated: about 80 real seconds at this speed
        ["performance"] = true,
        ["cooldown"] = "1h",
        ["max_per_day"] = 4,
        ["label"] = "label",
        ["training_window"] = "12h",
        ["gate"] = new JsonObject { ["segments"] = new JsonArray("country", "device"), ["min_segment_rows"] = 150 },
        ["release_template"] = new JsonObject
        {
            ["service"] = RecommendationDataGenerator.ServiceName,
            ["strategy"] = "canary",
            ["steps"] = new JsonArray(new JsonObject { ["weight"] = "25%", ["hold"] = "30m" }, new JsonObject { ["weight"] = "50%", ["hold"] = "30m" }),
            ["min_samples_per_step"] = 100,
            ["analysis_interval"] = "5m",
            ["outcome_window"] = "1m",
            ["triggers"] = new JsonArray(
                new JsonObject { ["metric"] = "error_rate", ["max"] = "2%" },
            // 1,000 ms, not a production-like 250 ms: the demo's in-process model shares two busy cores with the simulated
            // users and the trainer, and a starved thread pool is not the regression the trigger is there to catch.
            new JsonObject { ["metric"] = "latency_p99", ["max"] = "1000ms" }),
        },
    };

    /// <inheritdoc />
    public async Task<TrafficReport> RunAsync(DemoContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var console = context.Console;
        var clock = context.Clock;
        var service = RecommendationDataGenerator.ServiceName;
        var started = Stopwatch.GetTimestamp();
        var simulatedStart = clock.GetUtcNow();
        clock.ChangeSpeed(Speed);
        var traffic = new Traffic(context, unchecked(context.Seed + 600));

        var policy = await context.Api.PutRetrainingPolicyAsync(service, Policy(), cancellationToken);
        console.Line($"Retraining policy set (PUT /v1/services/{service}/retraining): performance trigger on, built-in ML.NET trainer, trains on the last {Window.TotalHours:0} h,");
        console.Line($"  gate: AUC not worse than the champion by more than {policy.Policy.EffectiveGate.MaxAucDrop} overall or {policy.Policy.EffectiveGate.MaxSegmentAucDrop} in any country or device, and better overall;");
        console.Line("  release template: canary 25% → 50% (30 simulated minutes each) with error-rate and latency triggers, no approval gate.");

        // Let the requests of earlier scenarios fall out of the window (the model should learn the world as it is now):
        // the clock runs at ten simulated days per second for a moment.
        clock.ChangeSpeed(864_000);
        await Task.Delay(clock.ToReal(Window * 1.1), cancellationToken);
        clock.ChangeSpeed(Speed);
        console.MarkupLine("[bold]The world changes[/]: premium items come into fashion — price stops hurting engagement and starts helping.");
        var before = await console.StepAsync(
            $"Simulated users send {DriftRequests:N0} requests to the champion and report whether they engaged",
            () => traffic.SendAsync(DriftRequests, cancellationToken),
            b => $"champion AUC on what users now do: {b.AucNow:0.000} (it was {b.AucBefore:0.000} on the old behaviour)");

        // The performance trigger is a monitor, set now that the window holds only what users do today: AUC on matured,
        // labelled traffic more than 0.04 below what the champion scored on the old behaviour, over two hours, with the
        // retrain action. Outcomes arrive within seconds here, so predictions mature after 3 minutes.
        var floor = Math.Round(before.AucBefore - 0.04, 3);
        await context.Api.PutMonitoringSettingsAsync(service, new MonitoringSettings(
            OutcomeWindowHours: 0.05,
            Monitors: [new MonitorDefinition(AucMonitor, MonitorLayer.Performance, "auc", floor, Duration.Hours(2), Operator: MonitorOperator.Below, Severity: AlertSeverity.Critical, Actions: [MonitorAction.Retrain])]), cancellationToken);
        console.Line($"Monitor {AucMonitor} set (PUT /v1/services/{service}/monitoring): AUC below {floor:0.000} over 2 h of matured, labelled traffic → retrain.");

        // Nobody pulls the trigger: the performance monitor set above sees AUC fall on matured, labelled traffic and its
        // retrain action queues the job (its cause carries the alert and detected_at).
        var trigger = Stopwatch.StartNew();
        RetrainJob? queued = null;
        while (queued is null && trigger.Elapsed < TimeSpan.FromSeconds(90))
        {
            queued = (await context.Api.ListJobsAsync(service, activeOnly: false, 20, cancellationToken)).Jobs
                .FirstOrDefault(j => j.Cause.Actor == "vigil:monitors" && j.Cause.Kind == "performance");
            if (queued is null)
            {
                await traffic.SendAsync(50, cancellationToken); // users keep coming while the monitor watches
            }
        }

        if (queued is null)
        {
            throw new InvalidOperationException($"the {AucMonitor} monitor did not trigger a retraining within 90 s; see GET /v1/alerts?service={service}");
        }

        var detectedAt = queued.Cause.Evidence?["detected_at"]?.GetValue<string>() is { } at ? DateTimeOffset.Parse(at, CultureInfo.InvariantCulture) : clock.GetUtcNow();
        console.Line($"Alert {AucMonitor} fired and its retrain action queued job {queued.Id}: {queued.Cause.Reason}");
        var jobId = queued.Id;

        // Keep the users coming while the loop runs; wait for the job, the evaluation and the release.
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var background = traffic.RunAsync(stop.Token);
        RetrainJob job;
        TimeSpan? toCanary = null;
        string? releaseId = null;
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            job = await context.Api.GetJobAsync(jobId, cancellationToken);
            if (!job.IsActive && job.Details is { } details && JsonNode.Parse(details) is JsonObject d)
            {
                releaseId = d["release"]?.GetValue<string>();
                toCanary = trigger.Elapsed;
                break;
            }

            if (!job.IsActive && job.Status != JobStatus.Succeeded)
            {
                break;
            }

            if (deadline.Elapsed > MaxWait)
            {
                break;
            }

            await Task.Delay(50, cancellationToken);
        }

        console.Line($"Job {job.Id}: {job.Status}" + (job.Version is { } v ? $", registered version {v}" : "") + (job.Error is { } e ? $" — {e}" : ""));
        foreach (var line in job.Log.Split('\n', StringSplitOptions.RemoveEmptyEntries).Skip(1).Take(6))
        {
            console.MarkupLine("  [grey]" + Markup.Escape(line) + "[/]");
        }

        if (job.Version is { } candidate)
        {
            var report = await context.Api.GetEvaluationAsync(service, candidate, cancellationToken);
            console.Line($"Evaluation of v{candidate} against champion v{report.Champion} on the same {report.HoldoutRows} held-out requests: {report.Decision}");
            foreach (var reason in report.Reasons)
            {
                console.Line("  " + reason);
            }
        }

        string status = "not started";
        if (releaseId is not null)
        {
            console.Line($"Release {releaseId} started by the loop: trigger to canary took {toCanary!.Value.TotalSeconds:0.0} s of real time.");
            using var releases = new DemoReleaseClient(context.Server);
            while (deadline.Elapsed < MaxWait)
            {
                var view = await releases.GetAsync(releaseId, cancellationToken);
                status = view.Status;
                if (!view.Active)
                {
                    break;
                }

                await Task.Delay(100, cancellationToken);
            }
        }

        await stop.CancelAsync();
        var (requests, errors, engaged) = await background;
        var aliases = await context.Api.GetAliasesAsync(service, cancellationToken);
        if (status == "promoted")
        {
            console.MarkupLine($"[green]✓[/] Promoted by the release controller: v{aliases.Champion} is the champion, {SinceDetection(clock, detectedAt)} after the drop was detected — no human action.");
        }
        else
        {
            console.MarkupLine($"[yellow]The loop did not reach promotion within {MaxWait.TotalSeconds:0} s (release: {status}).[/]");
        }

        var timeline = await context.Api.GetTimelineAsync(service, cancellationToken);
        console.Line($"vigil timeline {service}:");
        foreach (var entry in timeline.Entries.SkipWhile(x => x.At < detectedAt && x.Stage != "detection").Where(x => x.Stage is not "policy").Take(14))
        {
            console.MarkupLine($"  [grey]{entry.At:HH:mm:ss}[/] {entry.Stage,-10} {Markup.Escape(entry.Action)} — {Markup.Escape(Short(entry.Summary))}");
        }

        var maturity = await context.Api.GetMaturityAsync(service, cancellationToken);
        console.MarkupLine($"vigil maturity {service}: [bold]{Markup.Escape(maturity.Summary)}[/]");
        foreach (var check in maturity.Checks)
        {
            console.MarkupLine($"  {(check.Met ? "[green]✓[/]" : "[red]✗[/]")} {Markup.Escape(check.Question)} {Markup.Escape(check.Evidence)}");
        }

        clock.ChangeSpeed(context.Settings.Speed);
        return new TrafficReport(Name, simulatedStart, clock.GetUtcNow(), Stopwatch.GetElapsedTime(started), requests + DriftRequests, errors + before.Errors,
            engaged + before.Engaged, 0, 0, 0, requests + DriftRequests - errors - before.Errors, 0, 0, 0, 0, null);
    }

    private static string SinceDetection(AcceleratedTimeProvider clock, DateTimeOffset detectedAt) =>
        $"{(clock.GetUtcNow() - detectedAt).TotalHours:0.0} simulated hours";

    private static string Short(string text) => text.Length <= 110 ? text : text[..110] + "…";

    /// <summary>Users after the change: predictions, and feedback with the label drawn from the changed behaviour.</summary>
    private sealed class Traffic(DemoContext context, int seed)
    {
        private readonly Random _random = new(seed);
        private readonly RecommendationDataGenerator _generator = new(seed);
        private int _users;

        public async Task<(double AucBefore, double AucNow, long Errors, long Engaged)> SendAsync(int count, CancellationToken ct)
        {
            var scores = new List<double>();
            var now = new List<bool>();
            var old = new List<bool>();
            long errors = 0;
            long engaged = 0;
            foreach (var chunk in Enumerable.Range(0, count).Chunk(200))
            {
                var examples = chunk.Select(_ => Next()).ToList();
                var calls = await Task.WhenAll(examples.Select(e => context.Traffic.PredictAsync(RecommendationDataGenerator.ServiceName, e.Example, ct)));
                var feedback = new List<PendingFeedback>();
                for (var i = 0; i < calls.Length; i++)
                {
                    if (!calls[i].Succeeded)
                    {
                        errors++;
                        continue;
                    }

                    scores.Add(calls[i].Probability);
                    now.Add(examples[i].Engaged);
                    old.Add(examples[i].Example.Engaged);
                    engaged += examples[i].Engaged ? 1 : 0;
                    feedback.Add(new PendingFeedback(calls[i].RequestId, examples[i].Engaged, context.Clock.GetUtcNow()));
                }

                await context.Traffic.SendFeedbackAsync(feedback, ct);
            }

            return (BinaryMetrics.Auc(scores, old), BinaryMetrics.Auc(scores, now), errors, engaged);
        }

        public async Task<(long Requests, long Errors, long Engaged)> RunAsync(CancellationToken stop)
        {
            long requests = 0;
            long errors = 0;
            long engaged = 0;
            while (!stop.IsCancellationRequested)
            {
                try
                {
                    var result = await SendAsync(200, stop);
                    requests += 200;
                    errors += result.Errors;
                    engaged += result.Engaged;
                    await Task.Delay(20, stop);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
            }

            return (requests, errors, engaged);
        }

        private (RecommendationExample Example, bool Engaged) Next()
        {
            var user = _generator.NextUser(++_users % 5_000 + 1);
            var example = _generator.NextExample(user);
            return (example, _random.NextDouble() < Drifted(example));
        }
    }
}

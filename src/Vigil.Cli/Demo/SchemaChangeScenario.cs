using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Spectre.Console;
using Vigil.Monitoring;
using Vigil.Server.Monitoring;

namespace Vigil.Cli.Demo;

/// <summary>
/// The opening story of issue 4: on simulated day 3 an upstream feed starts sending <c>price</c> in cents instead of
/// dollars. The champion gets a baseline profiled from its training data (<c>PUT …/versions/{n}/baseline</c>), the feed
/// runs unchanged for a while (no alert), then switches to cents; the input layer's default monitors (input-drift:
/// PSI ≥ 0.25 over 15 minutes for 5 minutes) fire within the hour, and the scenario prints the alert as
/// <c>GET /v1/alerts</c> gives it, with the time to detect. Then the feed is fixed and the alert resolves.
/// </summary>
/// <remarks>
/// The feed draws each request like the training data (a new user per request), so that without the change its
/// distribution is the training distribution and only sampling noise separates them: 20 requests per simulated minute
/// make 300 per 15-minute window, where the PSI of unchanged data stays far below 0.25. Played at
/// <see cref="TrafficSpeed"/> (20 simulated minutes per real second, about 400 predictions per real second, sent in
/// batches), the story takes about 10 real seconds. The result is also written to <c>schema-change.json</c> in the demo folder.
/// </remarks>
[SuppressMessage("Security", "CA5394:Do not use insecure randomness", Justification = "A seeded simulation, not security.")]
public sealed class SchemaChangeScenario : IDemoScenario
{
    /// <summary>Requests the feed sends per simulated minute.</summary>
    public const int RequestsPerMinute = 20;

    /// <summary>Simulated seconds per real second while the feed runs (20 simulated minutes per real second).</summary>
    public const double TrafficSpeed = 1_200;

    /// <summary>Simulated seconds per real second while nothing is sent (waiting for day 3 when the scenario plays first).</summary>
    public const double IdleSpeed = 86_400;

    /// <summary>The simulated day (1-based, from the demo's start) on which the feed changes, unless the demo is already past it.</summary>
    public const int ChangeDay = 3;

    /// <summary>The file the outcome is written to, in the demo folder.</summary>
    public const string ResultFileName = "schema-change.json";

    /// <summary>Unchanged traffic before the change, with the baseline in place.</summary>
    public static readonly TimeSpan QuietBefore = TimeSpan.FromMinutes(90);

    /// <summary>The longest the scenario waits for the alert after the change.</summary>
    public static readonly TimeSpan MaxDetection = TimeSpan.FromHours(2);

    /// <summary>Fixed traffic after the alert, long enough for it to resolve (its 15-minute window holds dollars again, then 15 minutes of keep_firing_for); short enough that the last hour still shows the incident.</summary>
    public static readonly TimeSpan FixedAfter = TimeSpan.FromMinutes(35);

    // The feed sends a batch twice a simulated minute.
    private static readonly TimeSpan BatchEvery = TimeSpan.FromSeconds(30);

    /// <inheritdoc />
    public string Name => DemoScenarios.SchemaChange;

    /// <inheritdoc />
    public string Description => $"on simulated day {ChangeDay} an upstream feed starts sending price in cents instead of dollars; the input layer's default monitors catch it within the hour";

    /// <inheritdoc />
    public async Task<TrafficReport> RunAsync(DemoContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var console = context.Console;
        var clock = context.Clock;
        var service = RecommendationDataGenerator.ServiceName;
        var started = Stopwatch.GetTimestamp();
        var champion = (await context.Api.GetAliasesAsync(service, cancellationToken)).Champion
            ?? throw new InvalidOperationException("the recommender has no champion; the demo registers one before its scenarios");

        // 1. The champion's baseline, profiled from the very rows it was trained on (the runner's seed and row count).
        var training = new RecommendationDataGenerator(context.Seed).Generate(context.Settings.TrainingRows);
        var rows = new JsonArray([.. training.Select(e => (JsonNode)e.ToInputsJson())]);
        var baseline = await context.Api.PutBaselineAsync(service, champion, rows, cancellationToken);
        var priceBaseline = baseline.Features.FirstOrDefault(f => f.Name == RecommendationDataGenerator.Features.Price);
        console.Line($"Uploaded v{champion}'s baseline: {baseline.Rows:N0} training rows profiled per feature (PUT /v1/services/{service}/versions/{champion}/baseline); price median {Money(priceBaseline?.Median)}.");

        // 2. Wait (idle, fast) until shortly before day 3 when the demo is not there yet.
        var dayStart = clock.Start + TimeSpan.FromDays(ChangeDay - 1);
        if (clock.GetUtcNow() < dayStart - QuietBefore)
        {
            clock.ChangeSpeed(IdleSpeed);
            await BaselineTraffic.WaitUntilAsync(clock, dayStart - QuietBefore, cancellationToken);
        }

        clock.ChangeSpeed(TrafficSpeed);
        var now = clock.GetUtcNow();
        var changeAt = Max(dayStart, now + QuietBefore);
        var stats = new TrafficStats();
        var generator = new RecommendationDataGenerator(unchecked(context.Seed + 400));
        using var http = new HttpClient { BaseAddress = context.Server, Timeout = TimeSpan.FromSeconds(30) };
        var feed = new Feed(context, http, generator, stats);

        console.Line($"The feed sends {RequestsPerMinute} requests per simulated minute, drawn like the training data, in dollars until {Time(changeAt)} (simulated day {Day(clock, changeAt)}).");
        await feed.RunAsync(changeAt, cents: false, stopWhen: null, cancellationToken);
        var quietAlerts = (await context.Api.ListAlertsAsync(service, cancellationToken)).Alerts.Count(a => a.Status.State == AlertState.Firing && a.Version == champion);
        console.Line(quietAlerts == 0
            ? $"  {Time(changeAt)}: no alert on v{champion} in {QuietBefore.TotalMinutes:0} simulated minutes of unchanged traffic."
            : $"  {Time(changeAt)}: {quietAlerts} alert(s) already firing on v{champion} before the change.");

        // 3. The upstream change: price in cents.
        console.MarkupLine($"[bold]{Time(changeAt)}[/]: the upstream feed starts sending [bold]price in cents[/] instead of dollars (a schema change nobody announced).");
        AlertView? alert = null;
        var lastPoll = DateTimeOffset.MinValue;
        await feed.RunAsync(changeAt + MaxDetection, cents: true, async at =>
        {
            if (at - lastPoll < TimeSpan.FromMinutes(2))
            {
                return false;
            }

            lastPoll = at;
            alert = (await context.Api.ListAlertsAsync(service, cancellationToken)).Alerts.FirstOrDefault(a =>
                a.Version == champion && a.Layer == MonitorLayer.Input && a.Status.State == AlertState.Firing && a.Status.Subject == RecommendationDataGenerator.Features.Price);
            return alert is not null;
        }, cancellationToken);

        SchemaChangeResult result;
        if (alert is { Status: var status })
        {
            // The last whole minutes since the change (the schema alert may fire within two of them), not a span reaching back
            // into the dollars before it.
            var minutes = Math.Clamp((int)(clock.GetUtcNow() - changeAt).TotalMinutes - 1, 1, 5);
            var (median, psi) = await CurrentMedianAsync(context, champion, minutes, cancellationToken);
            var sinceChange = status.FiredAt!.Value - changeAt;
            console.MarkupLine($"[green]✓[/] [bold]input `price` shifted from the training baseline: median {Money(priceBaseline?.Median)} → {Money(median)}, PSI {(psi ?? double.NaN).ToString("0.0", CultureInfo.InvariantCulture)}[/]");
            console.Line($"  alert (GET /v1/alerts): {alert.Summary}");
            console.Line($"  {status.Monitor} fired at {Time(status.FiredAt.Value)}, {Span(sinceChange)} (simulated) after the feed changed; time to detect {Span(TimeSpan.FromSeconds(status.TimeToDetectSeconds ?? 0))} from the first bad window ({Time(status.FirstBadWindowStart!.Value)}).");
            result = new SchemaChangeResult(true, champion, changeAt, Day(clock, changeAt), status.Monitor, status.Subject, status.FiredAt, status.TimeToDetectSeconds, sinceChange.TotalSeconds,
                status.Value, priceBaseline?.Median, median, alert.Summary, quietAlerts, null);
        }
        else
        {
            console.MarkupLine($"[yellow]No input alert on price within {Span(MaxDetection)} of the change.[/]");
            result = new SchemaChangeResult(false, champion, changeAt, Day(clock, changeAt), null, null, null, null, null, null, priceBaseline?.Median, null, null, quietAlerts, null);
        }

        // 4. The feed is fixed; the alert resolves once its window holds dollars again.
        var fixedAt = clock.GetUtcNow();
        console.Line($"{Time(fixedAt)}: the feed is fixed (dollars again).");
        await feed.RunAsync(fixedAt + FixedAfter, cents: false, stopWhen: null, cancellationToken);
        var after = (await context.Api.ListAlertsAsync(service, cancellationToken)).Alerts.FirstOrDefault(a =>
            a.Version == champion && a.Status.Monitor == result.Monitor && a.Status.Subject == result.Feature);
        if (after is not null)
        {
            console.Line($"  {Time(clock.GetUtcNow())}: the alert is {after.Status.State.ToString().ToLowerInvariant()}{(after.Status.ResolvedAt is { } resolved ? $" (resolved at {Time(resolved)})" : "")}.");
        }

        result = result with { StateAfterFix = after?.Status.State.ToString().ToLowerInvariant() };
        await File.WriteAllTextAsync(Path.Combine(context.Folder, ResultFileName), JsonSerializer.Serialize(result, new JsonSerializerOptions(VigilJson.Options) { WriteIndented = true }), cancellationToken);
        console.MarkupLine($"  [grey]see it again: curl {Markup.Escape(new Uri(context.Server, "v1/alerts?service=" + service).ToString())}[/]");
        return stats.Report(Name, changeAt - QuietBefore, clock.GetUtcNow(), Stopwatch.GetElapsedTime(started));
    }

    /// <summary>The median price of the champion's last <paramref name="minutes"/> minutes and their PSI against the baseline (GET /v1/services/{s}/features/price/distribution, merged from the sketches).</summary>
    private static async Task<(double? Median, double? Psi)> CurrentMedianAsync(DemoContext context, int version, int minutes, CancellationToken cancellationToken)
    {
        using var http = new HttpClient { BaseAddress = context.Server };
        var view = await http.GetFromJsonAsync<JsonObject>(
            $"v1/services/{RecommendationDataGenerator.ServiceName}/features/{RecommendationDataGenerator.Features.Price}/distribution?version={version}&minutes={minutes}", cancellationToken);
        var median = view?["current"]?["quantiles"]?.AsArray().FirstOrDefault(q => q?["q"]?.GetValue<double>() == 0.5)?["value"]?.GetValue<double>();
        return (median, view?["drift"]?["psi"]?.GetValue<double>());
    }

    private static DateTimeOffset Max(DateTimeOffset a, DateTimeOffset b) => a > b ? a : b;

    private static int Day(AcceleratedTimeProvider clock, DateTimeOffset at) => (int)((at - clock.Start).TotalDays) + 1;

    private static string Time(DateTimeOffset at) => at.ToString("MMM d HH:mm", CultureInfo.InvariantCulture);

    private static string Money(double? value) => value is { } v ? v.ToString("#,0.00", CultureInfo.InvariantCulture) : "n/a";

    private static string Span(TimeSpan span) => span.TotalHours >= 1 ? $"{span.TotalHours:0.#} h" : $"{Math.Max(0, span.TotalMinutes):0} min";

    /// <summary>The upstream feed: batches of requests drawn like the training data, on the simulated clock.</summary>
    private sealed class Feed(DemoContext context, HttpClient http, RecommendationDataGenerator generator, TrafficStats stats)
    {
        private int _users;

        /// <summary>Sends a batch every 30 simulated seconds until <paramref name="until"/> or until <paramref name="stopWhen"/> says so.</summary>
        public async Task RunAsync(DateTimeOffset until, bool cents, Func<DateTimeOffset, Task<bool>>? stopWhen, CancellationToken cancellationToken)
        {
            var clock = context.Clock;
            var next = clock.GetUtcNow();
            while (next < until)
            {
                await BaselineTraffic.WaitUntilAsync(clock, next, cancellationToken);
                await SendAsync(cents, cancellationToken);
                if (stopWhen is not null && await stopWhen(clock.GetUtcNow()))
                {
                    return;
                }

                next += BatchEvery;
            }
        }

        private async Task SendAsync(bool cents, CancellationToken cancellationToken)
        {
            var count = (int)(RequestsPerMinute * BatchEvery.TotalMinutes);
            var examples = Enumerable.Range(0, count).Select(_ => generator.NextExample(generator.NextUser(++_users))).ToList();
            var instances = new JsonArray();
            foreach (var example in examples)
            {
                var inputs = example.ToInputsJson();
                if (cents)
                {
                    inputs[RecommendationDataGenerator.Features.Price] = Math.Round(example.Price * 100);
                }

                instances.Add(new JsonObject { ["key"] = example.User.Key, ["attributes"] = example.ToAttributesJson(), ["inputs"] = inputs });
            }

            var started = Stopwatch.GetTimestamp();
            try
            {
                using var response = await http.PostAsJsonAsync($"v1/services/{RecommendationDataGenerator.ServiceName}/predict", new JsonObject { ["instances"] = instances }, VigilJson.Options, cancellationToken);
                var latency = Stopwatch.GetElapsedTime(started).TotalMilliseconds / count;
                if (!response.IsSuccessStatusCode)
                {
                    var text = await response.Content.ReadAsStringAsync(cancellationToken);
                    examples.ForEach(_ => stats.Failure($"predict answered {(int)response.StatusCode}: {text}"));
                    return;
                }

                var answer = await response.Content.ReadFromJsonAsync<JsonObject>(cancellationToken);
                var predictions = answer?["predictions"]?.AsArray() ?? [];
                for (var i = 0; i < examples.Count; i++)
                {
                    if (i < predictions.Count && predictions[i]?["outputs"]?["probability"] is JsonValue value && value.TryGetValue<double>(out var probability))
                    {
                        stats.Success(probability, latency, examples[i].Engaged);
                    }
                    else
                    {
                        stats.Failure("predict answered without outputs.probability");
                    }
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or JsonException || (ex is TaskCanceledException && !cancellationToken.IsCancellationRequested))
            {
                examples.ForEach(_ => stats.Failure($"predict failed: {ex.Message}"));
            }
        }
    }
}

/// <summary>What the schema-change scenario saw, written to <c>schema-change.json</c> in the demo folder.</summary>
/// <param name="Detected">Whether an input alert on price fired after the change.</param>
/// <param name="Version">The champion the feed ran against.</param>
/// <param name="ChangedAt">When the feed switched to cents (simulated).</param>
/// <param name="ChangeDay">The simulated day of the demo (1-based) on which it switched.</param>
/// <param name="Monitor">The monitor that fired.</param>
/// <param name="Feature">The feature it named.</param>
/// <param name="FiredAt">When it fired.</param>
/// <param name="TimeToDetectSeconds">From the first bad window's start to firing, as the alert records it.</param>
/// <param name="SecondsSinceChange">From the change to firing.</param>
/// <param name="Value">The monitor's value when it fired (PSI for input-drift).</param>
/// <param name="BaselineMedian">The baseline's median price.</param>
/// <param name="CurrentMedian">The median price of the last 5 minutes when the alert was seen.</param>
/// <param name="Summary">The alert's summary as <c>GET /v1/alerts</c> gives it.</param>
/// <param name="AlertsBeforeChange">Alerts firing on the champion just before the change (0 expected).</param>
/// <param name="StateAfterFix">The alert's state after the feed was fixed.</param>
public sealed record SchemaChangeResult(
    bool Detected,
    int Version,
    DateTimeOffset ChangedAt,
    int ChangeDay,
    string? Monitor,
    string? Feature,
    DateTimeOffset? FiredAt,
    double? TimeToDetectSeconds,
    double? SecondsSinceChange,
    double? Value,
    double? BaselineMedian,
    double? CurrentMedian,
    string? Summary,
    int AlertsBeforeChange,
    string? StateAfterFix);

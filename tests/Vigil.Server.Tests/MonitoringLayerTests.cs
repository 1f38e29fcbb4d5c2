using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Vigil.Registry;
using Vigil.Server.Api;
using Vigil.Server.Monitoring;
using Vigil.Server.Recording;

namespace Vigil.Server.Tests;

/// <summary>
/// The monitoring layers over real HTTP on a fake clock: the input layer's schema validation counted by feature and
/// kind in the windows, the per-service input policy (record / reject), and business metrics in and out.
/// </summary>
public sealed class MonitoringLayerTests : IAsyncLifetime
{
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 11, 1, 0, 0, 0, TimeSpan.Zero));
    private RemoteModel _model = null!;
    private VigilTestServer _server = null!;

    public async ValueTask InitializeAsync()
    {
        _model = await RemoteModel.StartAsync();
        _server = await VigilTestServer.StartAsync(configure: o =>
        {
            o.TimeProvider = _clock;
            o.ControllerTick = TimeSpan.FromDays(365); // the test ticks by hand
        });
        var created = await _server.PostAsync("/v1/services", new CreateServiceRequest(
            "feed",
            [new("price", FeatureType.Number, Min: 0, Max: 1000), new("country", FeatureType.Category, Categories: ["DE", "FR", "US"])],
            new OutputSpec(OutputKind.Probability),
            "test"));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        await _server.RegisterRemoteAsync(_model, "feed", "champion");
    }

    public async ValueTask DisposeAsync()
    {
        await _server.DisposeAsync();
        await _model.DisposeAsync();
    }

    private async Task CloseMinuteAsync()
    {
        await _server.App.Services.GetRequiredService<PredictionRecorder>().FlushAsync(TestContext.Current.CancellationToken);
        _clock.Advance(TimeSpan.FromMinutes(1));
        await _server.App.Services.GetRequiredService<MonitorEvaluator>().TickAsync(TestContext.Current.CancellationToken);
    }

    private Task<HttpResponseMessage> PutSettingsAsync(string json) =>
        _server.Client.PutAsync("/v1/services/feed/monitoring", new StringContent(json, System.Text.Encoding.UTF8, "application/json"), TestContext.Current.CancellationToken);

    [Fact]
    public async Task ServiceWindowMonitors_ReplaceTheDefaultSet_AndClearingThemBringsTheDefaultsBack()
    {
        var set = await PutSettingsAsync("""
            {"monitors": [{"name": "busy", "layer": "output", "metric": "request_count", "threshold": 3, "window": "1m", "severity": "info"}]}
            """);
        Assert.Equal(HttpStatusCode.OK, set.StatusCode);

        async Task<List<JsonNode>> OutOfRangeMinuteAsync()
        {
            var response = await _server.PostJsonAsync("/v1/services/feed/predict", """
                {"instances": [{"inputs": {"price": 5000, "country": "DE"}}, {"inputs": {"price": 6000, "country": "DE"}},
                               {"inputs": {"price": 7000, "country": "FR"}}, {"inputs": {"price": 8000, "country": "FR"}}]}
                """);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            await CloseMinuteAsync();
            return [.. (await _server.GetAsync<JsonObject>("/v1/alerts?service=feed"))["alerts"]!.AsArray().Select(a => a!)];
        }

        // The service's own set runs instead of the defaults: its monitor fires, the default schema monitor does not.
        var own = await OutOfRangeMinuteAsync();
        Assert.Contains(own, a => a["status"]!["monitor"]!.GetValue<string>() == "busy" && a["status"]!["state"]!.GetValue<string>() == "firing");
        Assert.DoesNotContain(own, a => a["status"]!["monitor"]!.GetValue<string>() == "schema-violations");

        // Monitors cleared: the defaults are back from the next evaluation, and the out-of-range prices are caught.
        Assert.Equal(HttpStatusCode.OK, (await PutSettingsAsync("""{"monitors": null}""")).StatusCode);
        var defaults = await OutOfRangeMinuteAsync();
        Assert.Contains(defaults, a => a["status"]!["monitor"]!.GetValue<string>() == "schema-violations" && a["status"]!["subject"]!.GetValue<string>() == "price");
    }

    [Fact]
    public async Task RecordPolicy_OutOfRangeUnseenCategoryAndUnknown_AreServedAndCountedByFeatureAndKind()
    {
        var response = await _server.PostJsonAsync("/v1/services/feed/predict", """
            {"instances": [
              {"inputs": {"price": 5000, "country": "XX", "colour": "red"}},
              {"inputs": {"price": 12.5, "country": "DE"}},
              {"inputs": {"price": -3, "country": "DE"}}
            ]}
            """);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        await CloseMinuteAsync();

        var layers = await _server.GetAsync<JsonObject>("/v1/services/feed/layers");
        var window = layers["history"]!.AsArray()[^1]!;
        Assert.Equal(3, window["requests"]!.GetValue<long>());
        var kinds = window["violations_by_kind"]!;
        Assert.Equal(2, kinds["price"]!["out_of_range"]!.GetValue<long>());
        Assert.Equal(1, kinds["country"]!["unseen_category"]!.GetValue<long>());
        Assert.Equal(1, kinds["colour"]!["unknown"]!.GetValue<long>());
        Assert.Equal(2, window["features"]!["price"]!["violations"]!.GetValue<long>());
    }

    [Fact]
    public async Task RecordPolicy_ValueTheModelCannotTake_IsStillRefused()
    {
        var response = await _server.PostJsonAsync("/v1/services/feed/predict", """{"inputs": {"price": "cheap", "country": "DE"}}""");

        var problem = await VigilTestServer.ProblemAsync(response, 422);
        Assert.Contains("'price' must be a number", VigilTestServer.Errors(problem), StringComparison.Ordinal);
    }

    [Fact]
    public async Task RejectPolicy_AnyViolation_Gets422ListingEveryViolation_CleanRequestsServed()
    {
        var defaults = await _server.GetAsync<JsonObject>("/v1/services/feed/monitoring");
        Assert.Equal("record", defaults["settings"]!["input_policy"]!.GetValue<string>());
        Assert.Equal(0, defaults["revision"]!.GetValue<long>());

        var set = await PutSettingsAsync("""{"input_policy": "reject"}""");
        Assert.Equal(HttpStatusCode.OK, set.StatusCode);
        var stored = await _server.GetAsync<JsonObject>("/v1/services/feed/monitoring");
        Assert.Equal("reject", stored["settings"]!["input_policy"]!.GetValue<string>());
        Assert.Equal(1, stored["revision"]!.GetValue<long>());
        var calls = _model.Calls;

        var response = await _server.PostJsonAsync("/v1/services/feed/predict", """
            {"instances": [
              {"inputs": {"price": 12.5, "country": "DE"}},
              {"inputs": {"price": 5000, "country": "XX", "colour": "red"}}
            ]}
            """);

        var problem = await VigilTestServer.ProblemAsync(response, 422);
        var errors = problem["errors"]!.AsArray().Select(e => e!.GetValue<string>()).ToList();
        Assert.Equal(3, errors.Count);
        Assert.Contains(errors, e => e.StartsWith("instances[1]: 'price' is 5000, outside [0, 1000]", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("instances[1]: 'country' is 'XX'", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("instances[1]: 'colour' is not a feature", StringComparison.Ordinal));
        Assert.Equal(calls, _model.Calls);

        var clean = await _server.PostJsonAsync("/v1/services/feed/predict", """{"inputs": {"price": 12.5, "country": "DE"}}""");
        Assert.Equal(HttpStatusCode.OK, clean.StatusCode);

        var audit = await _server.Client.GetStringAsync("/v1/audit?service=feed", TestContext.Current.CancellationToken);
        Assert.Contains("monitoring.settings-set", audit, StringComparison.Ordinal);
    }

    [Fact]
    public async Task MonitoringSettings_Invalid_ListsEveryProblemAndKeepsTheOldOnes()
    {
        var response = await PutSettingsAsync("""{"input_policy": "reject", "segments": ["bad name", "a", "b", "c", "d"], "outcome_window_hours": -1}""");

        var problem = await VigilTestServer.ProblemAsync(response, 422);
        var errors = VigilTestServer.Errors(problem);
        Assert.Contains("at most 4 attributes", errors, StringComparison.Ordinal);
        Assert.Contains("'bad name' is not an attribute name", errors, StringComparison.Ordinal);
        Assert.Contains("outcome_window_hours", errors, StringComparison.Ordinal);
        var unknownPolicy = await PutSettingsAsync("""{"input_policy": "drop"}""");
        await VigilTestServer.ProblemAsync(unknownPolicy, 400);
        var missing = await _server.Client.PutAsync("/v1/services/nope/monitoring", JsonContent.Create(new { input_policy = "reject" }), TestContext.Current.CancellationToken);
        await VigilTestServer.ProblemAsync(missing, 404);
        var stored = await _server.GetAsync<JsonObject>("/v1/services/feed/monitoring");
        Assert.Equal("record", stored["settings"]!["input_policy"]!.GetValue<string>());
    }

    [Fact]
    public async Task BusinessMetrics_BatchStoredAndQueried_ByNameServiceAndTime()
    {
        var response = await _server.PostJsonAsync("/v1/business-metrics", """
            {"points": [
              {"name": "retention_d7", "value": 0.41, "timestamp": "2026-10-30T00:00:00Z", "service": "feed", "version": 1, "arm": "champion", "segment": "DE"},
              {"name": "retention_d7", "value": 0.38, "timestamp": "2026-10-31T00:00:00Z", "service": "feed"},
              {"name": "nps", "value": 31, "timestamp": "2026-10-31T00:00:00Z"}
            ]}
            """);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(3, (await _server.ReadAsync<JsonObject>(response))["stored"]!.GetValue<int>());

        var retention = await _server.GetAsync<JsonObject>("/v1/business-metrics?name=retention_d7&service=feed");
        var points = retention["points"]!.AsArray();
        Assert.Equal(2, points.Count);
        Assert.Equal(0.41, points[0]!["value"]!.GetValue<double>());
        Assert.Equal("DE", points[0]!["segment"]!.GetValue<string>());
        Assert.Equal(1, points[0]!["version"]!.GetValue<int>());
        var late = await _server.GetAsync<JsonObject>("/v1/business-metrics?from=2026-10-31T00:00:00Z");
        Assert.Equal(2, late["points"]!.AsArray().Count);
        var bad = await _server.Client.GetAsync("/v1/business-metrics?from=yesterday", TestContext.Current.CancellationToken);
        await VigilTestServer.ProblemAsync(bad, 400);
    }

    [Fact]
    public async Task BusinessMetrics_BadBatch_ListsEveryProblemAndStoresNothing()
    {
        var response = await _server.PostJsonAsync("/v1/business-metrics", """
            {"points": [
              {"name": "retention_d7", "value": 0.41, "timestamp": "2026-10-30T00:00:00Z"},
              {"name": "retention_d7", "value": 0.41},
              {"name": "retention_d7", "value": 0.41, "timestamp": "2026-11-02T00:00:00Z"},
              {"name": "retention_d7", "value": "NaN", "timestamp": "2026-10-30T00:00:00Z"},
              {"name": "bad name", "value": 1, "timestamp": "2026-10-30T00:00:00Z"}
            ]}
            """);

        var problem = await VigilTestServer.ProblemAsync(response, 422);
        var errors = VigilTestServer.Errors(problem);
        Assert.Contains("points[1]: 'timestamp' is missing", errors, StringComparison.Ordinal);
        Assert.Contains("points[2]: 'timestamp' 2026-11-02T00:00:00Z is in the future", errors, StringComparison.Ordinal);
        Assert.Contains("points[3]: 'value' must be a finite number", errors, StringComparison.Ordinal);
        Assert.Contains("points[4]: 'name'", errors, StringComparison.Ordinal);
        Assert.Contains("nothing was stored", problem["detail"]!.GetValue<string>(), StringComparison.Ordinal);

        var unknown = await _server.PostJsonAsync("/v1/business-metrics", """
            {"points": [
              {"name": "retention_d7", "value": 0.41, "timestamp": "2026-10-30T00:00:00Z", "service": "feed"},
              {"name": "retention_d7", "value": 0.41, "timestamp": "2026-10-30T00:00:00Z", "service": "nope"}
            ]}
            """);
        var notFound = await VigilTestServer.ProblemAsync(unknown, 404);
        Assert.Contains("'nope'", notFound["detail"]!.GetValue<string>(), StringComparison.Ordinal);

        var all = await _server.GetAsync<JsonObject>("/v1/business-metrics");
        Assert.Empty(all["points"]!.AsArray());
    }

    [Fact]
    public async Task Performance_BeforeLabelsAnEstimate_AfterMaturedLabelsMeasuredPerArmAndSegment()
    {
        Assert.Equal(HttpStatusCode.OK, (await PutSettingsAsync("""{"outcome_window_hours": 1, "segments": ["country"]}""")).StatusCode);
        // The remote model answers probability = price / 100: prices 10, 30, 70, 90 give 0.1, 0.3, 0.7, 0.9.
        double[] prices = [10, 30, 70, 90, 10, 30, 70, 90];
        string[] countries = ["DE", "DE", "DE", "DE", "FR", "FR", "FR", "FR"];
        bool[] labels = [false, true, true, true, false, false, false, true];
        var ids = new List<string>();
        for (var i = 0; i < prices.Length; i++)
        {
            var answer = await _server.ReadAsync<PredictResponse>(await _server.PostJsonAsync(
                "/v1/services/feed/predict",
                $$$"""{"attributes": {"country": "{{{countries[i]}}}"}, "inputs": {"price": {{{prices[i]}}}, "country": "{{{countries[i]}}}"}}"""));
            ids.Add(answer.RequestId);
        }

        await _server.App.Services.GetRequiredService<PredictionRecorder>().FlushAsync(TestContext.Current.CancellationToken);
        var before = await _server.GetAsync<JsonObject>("/v1/services/feed/performance");
        var estimate = before["groups"]!.AsArray().Single()!["metrics"]!.AsArray().Single(m => m!["name"]!.GetValue<string>() == "accuracy")!;
        Assert.True(estimate["estimate"]!.GetValue<bool>());
        Assert.Equal(0.8, estimate["value"]!.GetValue<double>(), 9); // mean of max(p, 1 − p) over 0.9, 0.7, 0.7, 0.9 …

        var items = string.Join(",", ids.Select((id, i) => $$$"""{"request_id": "{{{id}}}", "outcomes": {"label": {{{(labels[i] ? "true" : "false")}}}, "accepted": {{{(i % 2 == 0 ? "true" : "false")}}}}}"""));
        Assert.Equal(HttpStatusCode.OK, (await _server.PostJsonAsync("/v1/feedback", $"[{items}]")).StatusCode);

        // Labels that arrived are not counted until the predictions are older than the outcome window.
        var young = await _server.GetAsync<JsonObject>("/v1/services/feed/performance");
        Assert.Equal(0, young["groups"]!.AsArray().Single()!["labelled"]!.GetValue<long>());

        _clock.Advance(TimeSpan.FromHours(2));
        var after = await _server.GetAsync<JsonObject>("/v1/services/feed/performance");
        var group = after["groups"]!.AsArray().Single()!;
        Assert.Equal(8, group["labelled"]!.GetValue<long>());
        Assert.Equal(8, group["matured"]!.GetValue<long>());
        var metrics = group["metrics"]!.AsArray().ToDictionary(m => m!["name"]!.GetValue<string>(), m => m!);
        // predicted (p ≥ 0.5) F F T T | F F T T against labels F T T T | F F F T: 6 of 8 right.
        Assert.False(metrics["accuracy"]["estimate"]!.GetValue<bool>());
        Assert.Equal(0.75, metrics["accuracy"]["value"]!.GetValue<double>(), 12);
        Assert.Equal(0.75, metrics["precision"]["value"]!.GetValue<double>(), 12); // 3 of 4 predicted positives
        Assert.Equal(0.75, metrics["recall"]["value"]!.GetValue<double>(), 12); // 3 of 4 positives
        Assert.Equal(0.5, metrics["accepted"]["value"]!.GetValue<double>(), 12);
        Assert.InRange(metrics["accepted"]["low"]!.GetValue<double>(), 0.2, 0.25); // Wilson(4, 8) = [0.2152, 0.7848]
        Assert.Equal(0.0, metrics["error_rate"]["value"]!.GetValue<double>(), 12);
        Assert.True(metrics.ContainsKey("auc") && metrics.ContainsKey("log_loss"));

        var bySegment = await _server.GetAsync<JsonObject>("/v1/services/feed/performance?segment=country");
        var segments = bySegment["groups"]!.AsArray().ToDictionary(g => g!["segment"]!.GetValue<string>(), g => g!);
        Assert.Equal(["DE", "FR"], segments.Keys.Order());
        double Accuracy(JsonNode g) => g["metrics"]!.AsArray().Single(m => m!["name"]!.GetValue<string>() == "accuracy")!["value"]!.GetValue<double>();
        Assert.Equal(0.75, Accuracy(segments["DE"]), 12); // F F T T vs F T T T: 3 of 4
        Assert.Equal(0.75, Accuracy(segments["FR"]), 12); // F F T T vs F F F T: 3 of 4

        var bad = await _server.Client.GetAsync("/v1/services/feed/performance?segment=a.b&from=2026-12-01", TestContext.Current.CancellationToken);
        var problem = await VigilTestServer.ProblemAsync(bad, 400);
        Assert.Contains("from must be before to", VigilTestServer.Errors(problem), StringComparison.Ordinal);
        Assert.Contains("segment", VigilTestServer.Errors(problem), StringComparison.Ordinal);
    }

    [Fact]
    public async Task BusinessMonitor_RetentionBelowThresholdOverAWeek_FiresAndTheLayersViewShowsIt()
    {
        var set = await PutSettingsAsync("""
            {"monitors": [
              {"name": "retention-low", "layer": "business", "metric": "business_mean", "feature": "retention_d7", "threshold": 0.3,
               "window": "7d", "operator": "below", "severity": "critical"}
            ]}
            """);
        Assert.Equal(HttpStatusCode.OK, set.StatusCode);
        var evaluator = _server.App.Services.GetRequiredService<Vigil.Server.Monitoring.Layers.LayerMonitorEvaluator>();
        evaluator.Interval = TimeSpan.Zero;

        await evaluator.TickAsync(TestContext.Current.CancellationToken);
        var empty = await _server.GetAsync<JsonObject>("/v1/services/feed/layers");
        Assert.Equal("no-data", empty["business"]!["state"]!.GetValue<string>());
        Assert.Equal("no-data", empty["performance"]!["state"]!.GetValue<string>());

        Assert.Equal(HttpStatusCode.OK, (await _server.PostJsonAsync("/v1/business-metrics", """
            {"points": [
              {"name": "retention_d7", "value": 0.42, "timestamp": "2026-10-28T00:00:00Z", "service": "feed"},
              {"name": "retention_d7", "value": 0.40, "timestamp": "2026-10-29T00:00:00Z", "service": "feed"}
            ]}
            """)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await _server.PostJsonAsync("/v1/services/feed/predict", """{"inputs": {"price": 20, "country": "DE"}}""")).StatusCode);
        await _server.App.Services.GetRequiredService<PredictionRecorder>().FlushAsync(TestContext.Current.CancellationToken);
        await evaluator.TickAsync(TestContext.Current.CancellationToken);
        var healthy = await _server.GetAsync<JsonObject>("/v1/services/feed/layers");
        Assert.Equal("ok", healthy["business"]!["state"]!.GetValue<string>());
        Assert.Equal("ok", healthy["performance"]!["state"]!.GetValue<string>());

        // Retention falls: the week's mean drops below 0.3.
        Assert.Equal(HttpStatusCode.OK, (await _server.PostJsonAsync("/v1/business-metrics", """
            {"points": [
              {"name": "retention_d7", "value": 0.10, "timestamp": "2026-10-30T00:00:00Z", "service": "feed"},
              {"name": "retention_d7", "value": 0.08, "timestamp": "2026-10-31T00:00:00Z", "service": "feed"},
              {"name": "retention_d7", "value": 0.05, "timestamp": "2026-10-31T12:00:00Z", "service": "other-tag-ignored-not"}
            ]}
            """)).StatusCode == HttpStatusCode.NotFound ? HttpStatusCode.OK : HttpStatusCode.InternalServerError);
        Assert.Equal(HttpStatusCode.OK, (await _server.PostJsonAsync("/v1/business-metrics", """
            {"points": [
              {"name": "retention_d7", "value": 0.10, "timestamp": "2026-10-30T00:00:00Z", "service": "feed"},
              {"name": "retention_d7", "value": 0.08, "timestamp": "2026-10-31T00:00:00Z", "service": "feed"}
            ]}
            """)).StatusCode);
        await evaluator.TickAsync(TestContext.Current.CancellationToken);

        var layers = await _server.GetAsync<JsonObject>("/v1/services/feed/layers");
        Assert.Equal("firing", layers["business"]!["state"]!.GetValue<string>());
        var alert = layers["business"]!["alerts"]!.AsArray().Single()!;
        Assert.Equal("retention-low", alert["status"]!["monitor"]!.GetValue<string>());
        Assert.Equal(0.25, alert["status"]!["value"]!.GetValue<double>(), 9); // (0.42 + 0.40 + 0.10 + 0.08) / 4
        Assert.Contains("retention_d7", alert["summary"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task LayerMonitors_Invalid_ListEveryProblem()
    {
        var response = await PutSettingsAsync("""
            {"monitors": [
              {"name": "a", "layer": "input", "metric": "psi", "threshold": 0.2, "window": "15m"},
              {"name": "b", "layer": "business", "metric": "business_mean", "threshold": 1, "window": "7d"},
              {"name": "c", "layer": "performance", "metric": "acuracy", "threshold": 0.9, "window": "1d"},
              {"name": "c", "layer": "performance", "metric": "accuracy", "threshold": 0.9, "window": "1d", "comparison": "change-vs-baseline", "segment": "DE"}
            ]}
            """);

        var errors = VigilTestServer.Errors(await VigilTestServer.ProblemAsync(response, 422));
        Assert.DoesNotContain("monitor 'a'", errors, StringComparison.Ordinal); // an input monitor is a valid per-service window monitor
        Assert.Contains("monitor 'b': metric 'business_mean' needs a feature", errors, StringComparison.Ordinal);
        Assert.Contains("metric 'acuracy' is unknown", errors, StringComparison.Ordinal);
        Assert.Contains("change-vs-baseline is not available", errors, StringComparison.Ordinal);
        Assert.Contains("segment 'DE': write attribute=value", errors, StringComparison.Ordinal);
        Assert.Contains("monitor name 'c' is used 2 times", errors, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ConfidenceShift_AgainstTheVersionsFirstHour_FiresAndHistoryShowsTheOutputs()
    {
        var random = new Random(3);
        async Task MinuteAsync()
        {
            var instances = Enumerable.Range(0, 20).Select(_ =>
                string.Create(System.Globalization.CultureInfo.InvariantCulture, $$$"""{"inputs": {"price": {{{5 + (random.NextDouble() * 10):0.00}}}, "country": "DE"}}"""));
            Assert.Equal(HttpStatusCode.OK, (await _server.PostJsonAsync("/v1/services/feed/predict", "{\"instances\": [" + string.Join(",", instances) + "]}")).StatusCode);
            await CloseMinuteAsync();
        }

        for (var m = 0; m < 75; m++)
        {
            await MinuteAsync();
        }

        var calm = await _server.GetAsync<AlertList>("/v1/alerts?service=feed");
        Assert.DoesNotContain(calm.Alerts, a => a.Status.Monitor == "confidence-shift");
        var window = (await _server.GetAsync<JsonObject>("/v1/services/feed/layers"))["history"]!.AsArray()[^1]!;
        var confidence = window["outputs"]!["@confidence"]!;
        Assert.Equal(20, confidence["count"]!.GetValue<long>());
        Assert.InRange(confidence["mean"]!.GetValue<double>(), 0.85, 0.95); // p = price / 100 in [0.05, 0.15]
        Assert.True(confidence["psi"]!.GetValue<double>() >= 0); // one minute of 20 answers is noisy; the monitor reads 30 minutes
        Assert.InRange(window["outputs"]!["@score"]!["p50"]!.GetValue<double>(), 0.05, 0.15);

        // The model turns unsure: every answer is 0.5.
        _model.Score = 0.5;
        AlertView? fired = null;
        for (var m = 0; m < 60 && fired is null; m++)
        {
            await MinuteAsync();
            fired = (await _server.GetAsync<AlertList>("/v1/alerts?service=feed")).Alerts
                .FirstOrDefault(a => a.Status.Monitor == "confidence-shift" && a.Status.State == Vigil.Monitoring.AlertState.Firing);
        }

        Assert.NotNull(fired);
        Assert.Equal("@confidence", fired.Status.Subject);
        Assert.Equal(Vigil.Monitoring.MonitorLayer.Output, fired.Layer);
        var layers = await _server.GetAsync<JsonObject>("/v1/services/feed/layers");
        Assert.Equal("firing", layers["output"]!["state"]!.GetValue<string>());
    }

    [Fact]
    public async Task OutputFold_TextAnswers_LengthAndRefusalsByTheServicesPatterns()
    {
        Assert.Equal(HttpStatusCode.OK, (await PutSettingsAsync("""{"refusal_patterns": ["cannot assist"]}""")).StatusCode);
        var outputs = _server.App.Services.GetRequiredService<Vigil.Server.Monitoring.Layers.OutputLayer>();
        var window = new Vigil.Monitoring.WindowProfiles(_clock.GetUtcNow(), TimeSpan.FromMinutes(1));
        string[] answers = ["Here is your itinerary.", "Sorry, I CANNOT ASSIST with that.", "I can't help with that."];
        foreach (var answer in answers)
        {
            var record = new Vigil.Predictions.PredictionRecord("r", _clock.GetUtcNow(), "feed", 1, "champion", null, "{}", "{}",
                new JsonObject { ["text"] = answer, ["label"] = "travel", ["scores"] = new JsonObject { ["travel"] = 0.7, ["other"] = 0.3 } }.ToJsonString(), 5, null);
            outputs.Fold(window, record);
        }

        Assert.Equal(answers.Average(a => a.Length), window.Profiles["@length"].Moments.Mean, 9);
        Assert.Equal(1.0 / 3, window.Profiles["@refusal"].Moments.Mean, 9); // the default patterns no longer apply once the service sets its own
        Assert.Equal(0.7, window.Profiles["@confidence"].Moments.Mean, 9);
        Assert.Equal(3, window.Profiles["@class"].FrequentItems!.GetLowerBound("travel"));
    }

    [Fact]
    public async Task SegmentDrift_PriceShiftInDeOnly_FiresForCountryDeAlone()
    {
        Assert.Equal(HttpStatusCode.OK, (await PutSettingsAsync("""{"segments": ["country"]}""")).StatusCode);
        var random = new Random(11);
        string[] countries = ["DE", "FR", "US"];
        double Price() => 100 + (random.NextDouble() * 200);
        var rows = string.Join(",", Enumerable.Range(0, 3000).Select(i =>
            string.Create(System.Globalization.CultureInfo.InvariantCulture, $$$"""{"price": {{{Price():0.00}}}, "country": "{{{countries[i % 3]}}}"}""")));
        var baseline = await _server.Client.PutAsync(
            "/v1/services/feed/versions/1/baseline", new StringContent("{\"rows\": [" + rows + "]}", System.Text.Encoding.UTF8, "application/json"), TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, baseline.StatusCode);
        var evaluator = _server.App.Services.GetRequiredService<Vigil.Server.Monitoring.Layers.LayerMonitorEvaluator>();

        async Task MinuteAsync(bool shiftDe)
        {
            var instances = Enumerable.Range(0, 60).Select(i =>
            {
                var country = countries[i % 3];
                // In DE the feed starts sending a price 40 % lower: still inside the schema's range, and a third of traffic.
                var price = country == "DE" && shiftDe ? Price() * 0.6 : Price();
                return string.Create(System.Globalization.CultureInfo.InvariantCulture, $$$"""{"attributes": {"country": "{{{country}}}"}, "inputs": {"price": {{{price:0.00}}}, "country": "{{{country}}}"}}""");
            });
            Assert.Equal(HttpStatusCode.OK, (await _server.PostJsonAsync("/v1/services/feed/predict", "{\"instances\": [" + string.Join(",", instances) + "]}")).StatusCode);
            await CloseMinuteAsync();
            await evaluator.TickAsync(TestContext.Current.CancellationToken);
        }

        for (var m = 0; m < 45; m++) // 30 minutes make each segment's reference, 15 more are compared with it
        {
            await MinuteAsync(shiftDe: false);
        }

        var quiet = await _server.GetAsync<JsonObject>("/v1/services/feed/layers");
        Assert.DoesNotContain(quiet["input"]!["alerts"]!.AsArray(), a => a!["status"]!["monitor"]!.GetValue<string>() == "segment-drift");

        for (var m = 0; m < 30; m++)
        {
            await MinuteAsync(shiftDe: true);
        }

        var layers = await _server.GetAsync<JsonObject>("/v1/services/feed/layers");
        var segmentAlerts = layers["input"]!["alerts"]!.AsArray()
            .Where(a => a!["status"]!["monitor"]!.GetValue<string>() == "segment-drift")
            .Select(a => (Subject: a!["status"]!["subject"]!.GetValue<string>(), State: a["status"]!["state"]!.GetValue<string>()))
            .ToList();
        Assert.Contains(("price [country=DE]", "firing"), segmentAlerts);
        Assert.DoesNotContain(segmentAlerts, a => a.Subject.Contains("country=FR", StringComparison.Ordinal) || a.Subject.Contains("country=US", StringComparison.Ordinal));
    }
}

using System.Globalization;
using System.Net;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Vigil.Registry;
using Vigil.Retraining;
using Vigil.Server.Api;
using Vigil.Server.Retraining;

namespace Vigil.Server.Tests;

/// <summary>A Vigil server on a fake clock with the service <c>shop</c>, its coarse champion served by <see cref="ScoringModel"/>, and labelled traffic.</summary>
public sealed class RetrainingHarness : IAsyncDisposable
{
    private int _sent;

    private RetrainingHarness(VigilTestServer server, ScoringModel models, FakeTimeProvider clock)
    {
        Server = server;
        Models = models;
        Clock = clock;
    }

    public VigilTestServer Server { get; }

    public ScoringModel Models { get; }

    public FakeTimeProvider Clock { get; }

    public RetrainingController Controller => Server.App.Services.GetRequiredService<RetrainingController>();

    public static CancellationToken Ct => TestContext.Current.CancellationToken;

    public static async Task<RetrainingHarness> StartAsync(string? store = null, FakeTimeProvider? clock = null)
    {
        clock ??= new FakeTimeProvider(new DateTimeOffset(2026, 11, 2, 8, 0, 0, TimeSpan.Zero));
        var models = await ScoringModel.StartAsync();
        var server = await VigilTestServer.StartAsync(store, o =>
        {
            o.TimeProvider = clock;
            o.ControllerTick = TimeSpan.FromDays(30); // the test ticks by hand
        });
        server.App.Services.GetRequiredService<RetrainingOptions>().ArtifactsDirectory = Path.Combine(server.Directory, "artifacts");
        return new RetrainingHarness(server, models, clock);
    }

    /// <summary>Creates <c>shop</c> with the coarse constructed model as champion (version 1).</summary>
    public async Task CreateShopAsync()
    {
        await Server.ReadAsync<ServiceView>(await Server.PostAsync("/v1/services", new CreateServiceRequest("shop", VigilTestServer.Inputs, new OutputSpec(OutputKind.Probability))));
        await RegisterAsync("coarse", "champion");
    }

    public async Task<VersionView> RegisterAsync(string model, string? alias = null, Dictionary<string, string>? metadata = null) =>
        await Server.ReadAsync<VersionView>(await Server.PostAsync("/v1/services/shop/versions",
            new RegisterVersionRequest(new BackendSpec(BackendKind.Http, Models.For(model).ToString(), HttpProtocol.Json, TimeoutMs: 5000), metadata, null, alias)));

    public async Task PutPolicyAsync(string json)
    {
        var response = await Server.Client.PutAsync("/v1/services/shop/retraining", new StringContent(json, Encoding.UTF8, "application/json"), Ct);
        var text = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(response.IsSuccessStatusCode, text);
    }

    /// <summary>Sends <paramref name="count"/> predictions (FR 15%, DE 45%, US 40%) and their labels, drawn from <see cref="ScoringModel.Truth"/>.</summary>
    public async Task<List<PredictResponse>> SendLabelledAsync(int count, int seed = 1, bool label = true)
    {
        var random = new Random(seed + _sent);
        var answers = new List<PredictResponse>();
        var labels = new List<bool>();
        for (var i = 0; i < count; i += 200)
        {
            var instances = new List<string>();
            for (var n = i; n < Math.Min(count, i + 200); n++)
            {
                var price = Math.Round(random.NextDouble() * 1000, 2);
                var u = random.NextDouble();
                var country = u < 0.15 ? "FR" : u < 0.6 ? "DE" : "US";
                labels.Add(random.NextDouble() < ScoringModel.Truth(price));
                instances.Add(string.Create(CultureInfo.InvariantCulture,
                    $$$"""{"key": "user-{{{_sent + n}}}", "attributes": {"country": "{{{country}}}"}, "inputs": {"price": {{{price}}}, "country": "{{{country}}}", "tenure": {{{n % 50}}}, "subscriber": {{{(n % 3 == 0 ? "true" : "false")}}}}}"""));
            }

            var response = await Server.PostJsonAsync("/v1/services/shop/predict", "{\"instances\": [" + string.Join(",", instances) + "]}");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            answers.AddRange((await Server.ReadAsync<BatchPredictResponse>(response)).Predictions);
        }

        _sent += count;
        await Server.App.FlushAsync(Ct);
        if (label)
        {
            var items = answers.Select((a, i) => $$$"""{"request_id": "{{{a.RequestId}}}", "outcomes": {"label": {{{(labels[i] ? "true" : "false")}}}}}""");
            foreach (var chunk in items.Chunk(500))
            {
                var feedback = await Server.PostJsonAsync("/v1/feedback", "{\"items\": [" + string.Join(",", chunk) + "]}");
                Assert.True(feedback.IsSuccessStatusCode, await feedback.Content.ReadAsStringAsync(Ct));
            }
        }

        return answers;
    }

    public async Task<TriggerView> RetrainAsync(string reason, string kind = "manual", HttpStatusCode expected = HttpStatusCode.Accepted)
    {
        var response = await Server.PostJsonAsync("/v1/retrain", $$"""{"service": "shop", "reason": "{{reason}}", "kind": "{{kind}}"}""");
        var text = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(expected == response.StatusCode, $"{(int)response.StatusCode}: {text}");
        return System.Text.Json.JsonSerializer.Deserialize<TriggerView>(text, VigilJson.Options)!;
    }

    public async Task<RetrainJob> JobAsync(string id) => await Server.GetAsync<RetrainJob>($"/v1/jobs/{id}");

    /// <summary>Ticks the retraining controller and waits for the jobs and evaluations it started.</summary>
    public async Task TickAsync()
    {
        await Server.App.FlushAsync(Ct);
        await Controller.TickAsync(Ct);
        await Controller.DrainAsync();
    }

    /// <summary>Polls (real time) until <paramref name="condition"/> holds for the job, at most 30 s.</summary>
    public async Task<RetrainJob> WaitForJobAsync(string id, Func<RetrainJob, bool> condition)
    {
        for (var i = 0; i < 300; i++)
        {
            var job = await JobAsync(id);
            if (condition(job))
            {
                return job;
            }

            await Task.Delay(100, Ct);
        }

        var last = await JobAsync(id);
        Assert.Fail($"job {id} never reached the expected state; it is {last.Status}: {last.Error}\n{last.Log}");
        return last;
    }

    public async ValueTask DisposeAsync()
    {
        await Server.DisposeAsync();
        await Models.DisposeAsync();
    }
}

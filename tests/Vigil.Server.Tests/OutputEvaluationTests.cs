using System.Globalization;
using Vigil.Registry;
using Vigil.Retraining;
using Vigil.Server.Api;

namespace Vigil.Server.Tests;

/// <summary>
/// The evaluation harness on class and score outputs (docs/retraining.md, "Evaluation of class and score outputs"):
/// real model servers answer the same labelled holdout; a better model passes, one worse in a single segment is refused.
/// </summary>
public sealed class OutputEvaluationTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task ScoreOutput_BetterPasses_OnRmse_WorseInOneSegmentIsRefused()
    {
        await using var models = await ScoringModel.StartAsync();
        await using var server = await VigilTestServer.StartAsync();
        await CreateAsync(server, models, "demand", OutputKind.Score, null, "score-");

        // The label is the true rate itself (a regression target), with noise.
        await SendAsync(server, "demand", (price, random) => (ScoringModel.Truth(price) + ((random.NextDouble() - 0.5) * 0.1)).ToString("0.####", CultureInfo.InvariantCulture));

        var better = await EvaluateAsync(server, "demand", 2);
        var blind = await EvaluateAsync(server, "demand", 3);

        Assert.Equal(EvaluationReport.Passed, better.Decision);
        Assert.Contains(better.Reasons, r => r.StartsWith("primary metric rmse", StringComparison.Ordinal));
        Assert.True(better.Overall!.Candidate.Rmse < better.Overall.Champion.Rmse);
        Assert.True(better.Overall.Candidate.Spearman > better.Overall.Champion.Spearman);
        Assert.Equal(-1, better.Overall.Candidate.Auc);
        Assert.Equal(EvaluationReport.Failed, blind.Decision);
        Assert.False(blind.Segments.Single(s => s.Name == "country=FR").Passed);
        Assert.True(blind.Segments.Where(s => s.Name != "country=FR").All(s => s.Passed));
    }

    [Fact]
    public async Task ClassOutput_BetterPasses_OnMacroF1_WorseInOneSegmentIsRefused()
    {
        await using var models = await ScoringModel.StartAsync();
        await using var server = await VigilTestServer.StartAsync();
        await CreateAsync(server, models, "buyer", OutputKind.Class, ["no", "yes"], "class-", champion: "shifted");

        // The label is the class index into ["no", "yes"].
        await SendAsync(server, "buyer", (price, random) => random.NextDouble() < ScoringModel.Truth(price) ? "1" : "0");

        var better = await EvaluateAsync(server, "buyer", 2);
        var blind = await EvaluateAsync(server, "buyer", 3);

        Assert.Equal(EvaluationReport.Passed, better.Decision);
        Assert.Contains(better.Reasons, r => r.StartsWith("primary metric macro_f1", StringComparison.Ordinal));
        Assert.True(better.Overall!.Candidate.MacroF1 > better.Overall.Champion.MacroF1);
        Assert.InRange(better.Overall.Candidate.Accuracy, 0.5, 1);
        Assert.Equal(EvaluationReport.Failed, blind.Decision);
        Assert.False(blind.Segments.Single(s => s.Name == "country=FR").Passed);
    }

    private static async Task CreateAsync(VigilTestServer server, ScoringModel models, string name, OutputKind kind, IReadOnlyList<string>? classes, string prefix, string champion = "coarse")
    {
        await server.ReadAsync<ServiceView>(await server.PostAsync("/v1/services", new CreateServiceRequest(name, VigilTestServer.Inputs, new OutputSpec(kind, Classes: classes))));
        foreach (var (model, alias) in new[] { (champion, "champion"), ("better", null), ("blind-in-fr", null) })
        {
            await server.ReadAsync<VersionView>(await server.PostAsync($"/v1/services/{name}/versions",
                new RegisterVersionRequest(new BackendSpec(BackendKind.Http, models.For(prefix + model).ToString(), HttpProtocol.Json, TimeoutMs: 5000), null, null, alias)));
        }
    }

    /// <summary>2,000 labelled requests (FR 15%, DE 45%, US 40%): about 400 fall in the holdout, 60 of them French.</summary>
    private static async Task SendAsync(VigilTestServer server, string service, Func<double, Random, string> label)
    {
        var random = new Random(7);
        for (var batch = 0; batch < 10; batch++)
        {
            var instances = new List<string>();
            var labels = new List<string>();
            for (var n = 0; n < 200; n++)
            {
                var price = Math.Round(random.NextDouble() * 1000, 2);
                var u = random.NextDouble();
                var country = u < 0.15 ? "FR" : u < 0.6 ? "DE" : "US";
                labels.Add(label(price, random));
                instances.Add(string.Create(CultureInfo.InvariantCulture,
                    $$$"""{"attributes": {"country": "{{{country}}}"}, "inputs": {"price": {{{price}}}, "country": "{{{country}}}"}}"""));
            }

            var answers = await server.ReadAsync<BatchPredictResponse>(await server.PostJsonAsync($"/v1/services/{service}/predict", "{\"instances\": [" + string.Join(",", instances) + "]}"));
            await server.App.FlushAsync(Ct);
            var items = answers.Predictions.Select((a, i) => $$$"""{"request_id": "{{{a.RequestId}}}", "outcomes": {"label": {{{labels[i]}}}}}""");
            var feedback = await server.PostJsonAsync("/v1/feedback", "{\"items\": [" + string.Join(",", items) + "]}");
            Assert.True(feedback.IsSuccessStatusCode, await feedback.Content.ReadAsStringAsync(Ct));
        }
    }

    private static async Task<EvaluationReport> EvaluateAsync(VigilTestServer server, string service, int version) =>
        await server.ReadAsync<EvaluationReport>(await server.PostJsonAsync($"/v1/services/{service}/versions/{version}/evaluation", "{}"));
}

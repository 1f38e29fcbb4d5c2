using System.Net;
using Vigil.Retraining;
using Vigil.Server.Api;

namespace Vigil.Server.Tests;

/// <summary>The evaluation gate on constructed candidates, replayed through their real backends on the logged holdout.</summary>
public sealed class RetrainingEvaluationTests : IAsyncLifetime
{
    private RetrainingHarness _h = null!;

    public async ValueTask InitializeAsync()
    {
        _h = await RetrainingHarness.StartAsync();
        await _h.CreateShopAsync();
        await _h.PutPolicyAsync("""{"trainer": {"kind": "mlnet"}, "gate": {"segments": ["country"], "min_segment_rows": 20}}""");
        await _h.SendLabelledAsync(2500);
    }

    public async ValueTask DisposeAsync() => await _h.DisposeAsync();

    [Fact]
    public async Task Gate_BetterCandidatePasses_CandidateWorseInOneSegmentOnlyIsRefused_AndStaysRegistered()
    {
        var better = await _h.RegisterAsync("better");
        var blind = await _h.RegisterAsync("blind-in-fr");

        var passed = await _h.Server.ReadAsync<EvaluationReport>(await _h.Server.PostJsonAsync($"/v1/services/shop/versions/{better.Number}/evaluation", "{}"));
        var refused = await _h.Server.ReadAsync<EvaluationReport>(await _h.Server.PostJsonAsync($"/v1/services/shop/versions/{blind.Number}/evaluation", "{}"));

        Assert.Equal(EvaluationReport.Passed, passed.Decision);
        Assert.Equal(1, passed.Champion);
        Assert.True(passed.HoldoutRows is > 350 and < 650, $"{passed.HoldoutRows} holdout rows of 2,500 at 20%");
        Assert.True(passed.Overall!.Candidate.Auc > passed.Overall.Champion.Auc);
        Assert.All(passed.Segments, s => Assert.True(s.Passed, s.Name));
        Assert.Equal(["country=DE", "country=FR", "country=US"], passed.Segments.Select(s => s.Name));
        Assert.All(passed.Segments.Append(passed.Overall), s => Assert.InRange(s.Candidate.Auc, s.Candidate.AucLow, s.Candidate.AucHigh));

        // Refused for France alone: overall it is still within the allowed drop and better than the champion.
        Assert.Equal(EvaluationReport.Failed, refused.Decision);
        Assert.True(refused.Overall!.Passed, string.Join("; ", refused.Reasons));
        Assert.Equal(["country=FR"], refused.Segments.Where(s => !s.Passed).Select(s => s.Name));
        Assert.Contains(refused.Reasons, r => r.StartsWith("segment country=FR", StringComparison.Ordinal));
        Assert.Equal(passed.HoldoutRows, refused.HoldoutRows); // the same holdout

        // Stored, shown, audited; the refused candidate stays registered and nothing was released.
        var shown = await _h.Server.GetAsync<EvaluationReport>($"/v1/services/shop/versions/{blind.Number}/evaluation");
        Assert.Equal(refused.Reasons, shown.Reasons);
        var audit = await _h.Server.GetAsync<AuditList>("/v1/audit?service=shop&action=version.evaluated");
        Assert.Equal(2, audit.Events.Count);
        Assert.Contains(audit.Events, e => e.Target == $"shop/{blind.Number}" && e.After!.Contains("country=FR", StringComparison.Ordinal) && e.Reason!.Contains("failed", StringComparison.Ordinal));
        Assert.Equal(3, (await _h.Server.GetAsync<VersionList>("/v1/services/shop/versions")).Versions.Count);
        Assert.Equal(1, (await _h.Server.GetAsync<AliasesView>("/v1/services/shop/aliases")).Champion);

        // Evaluating again is a conflict: the report is immutable.
        await VigilTestServer.ProblemAsync(await _h.Server.PostJsonAsync($"/v1/services/shop/versions/{blind.Number}/evaluation", "{}"), 409);
    }

    [Fact]
    public async Task GoldenSet_IsScoredByBothModels_AndACandidateWorseOnItIsRefused_EvenWithNoSegmentGated()
    {
        var random = new Random(5);
        var lines = new List<string> { "price,country,tenure,subscriber,label" };
        for (var i = 0; i < 300; i++)
        {
            var price = Math.Round(random.NextDouble() * 1000, 1).ToString(System.Globalization.CultureInfo.InvariantCulture);
            lines.Add($"{price},FR,{i % 40},{(i % 2 == 0 ? "true" : "")},{(random.NextDouble() < ScoringModel.Truth(double.Parse(price, System.Globalization.CultureInfo.InvariantCulture)) ? 1 : 0)}");
        }

        var golden = Path.Combine(_h.Server.Directory, "golden-fr.csv");
        await File.WriteAllLinesAsync(golden, lines, RetrainingHarness.Ct);
        await _h.PutPolicyAsync(System.Text.Json.JsonSerializer.Serialize(new { trainer = new { kind = "mlnet" }, gate = new { segments = Array.Empty<string>(), golden_set = golden } }));
        var better = await _h.RegisterAsync("better");
        var blind = await _h.RegisterAsync("blind-in-fr");

        var passed = await _h.Server.ReadAsync<EvaluationReport>(await _h.Server.PostJsonAsync($"/v1/services/shop/versions/{better.Number}/evaluation", "{}"));
        var refused = await _h.Server.ReadAsync<EvaluationReport>(await _h.Server.PostJsonAsync($"/v1/services/shop/versions/{blind.Number}/evaluation", "{}"));

        Assert.Equal(EvaluationReport.Passed, passed.Decision);
        Assert.Equal(300, passed.Golden!.Rows);
        Assert.Empty(refused.Segments);
        Assert.Equal(EvaluationReport.Failed, refused.Decision);
        Assert.False(refused.Golden!.Passed);
        Assert.Equal(0.5, refused.Golden.Candidate.Auc, 6);
        Assert.Contains(refused.Reasons, r => r.StartsWith("golden set (300 rows)", StringComparison.Ordinal) && r.Contains("worse than", StringComparison.Ordinal));
    }

    [Fact]
    public async Task NewVersion_RegisteredByHand_IsEvaluatedOnTheNextTick()
    {
        var better = await _h.RegisterAsync("better");
        await VigilTestServer.ProblemAsync(await _h.Server.Client.GetAsync($"/v1/services/shop/versions/{better.Number}/evaluation", RetrainingHarness.Ct), 404);

        await _h.TickAsync();

        var report = await _h.Server.GetAsync<EvaluationReport>($"/v1/services/shop/versions/{better.Number}/evaluation");
        Assert.Equal(EvaluationReport.Passed, report.Decision);
    }

    [Fact]
    public async Task Export_WritesTheLabelledRows_AsCsvAndParquet_AndTheHoldoutIsDisjointFromTraining()
    {
        var csv = await _h.Server.Client.GetAsync("/v1/services/shop/training-data?format=csv&part=train", RetrainingHarness.Ct);
        Assert.Equal(HttpStatusCode.OK, csv.StatusCode);
        var lines = (await csv.Content.ReadAsStringAsync(RetrainingHarness.Ct)).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("request_id,at,version,arm,price,country,tenure,subscriber,attributes,label", lines[0]);
        var holdout = await _h.Server.Client.GetAsync("/v1/services/shop/training-data?format=csv&part=holdout", RetrainingHarness.Ct);
        var holdoutLines = (await holdout.Content.ReadAsStringAsync(RetrainingHarness.Ct)).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2500, lines.Length - 1 + holdoutLines.Length - 1);
        var trainIds = lines.Skip(1).Select(l => l.Split(',')[0]).ToHashSet();
        Assert.DoesNotContain(holdoutLines.Skip(1), l => trainIds.Contains(l.Split(',')[0]));

        var parquet = await _h.Server.Client.GetAsync("/v1/services/shop/training-data?format=parquet", RetrainingHarness.Ct);
        Assert.Equal(HttpStatusCode.OK, parquet.StatusCode);
        var bytes = await parquet.Content.ReadAsByteArrayAsync(RetrainingHarness.Ct);
        Assert.Equal("PAR1"u8.ToArray(), bytes[..4]);
        Assert.Equal("2500", parquet.Headers.GetValues("X-Vigil-Rows").Single());

        var none = await _h.Server.Client.GetAsync("/v1/services/shop/training-data?since=2030-01-01", RetrainingHarness.Ct);
        var problem = await VigilTestServer.ProblemAsync(none, 422);
        Assert.Contains("no labelled data", problem["detail"]!.GetValue<string>(), StringComparison.Ordinal);
    }
}

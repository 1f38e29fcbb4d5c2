using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Vigil.Registry;
using Vigil.Routing.Flags;
using Vigil.Server.Api;
using Vigil.Testing;

namespace Vigil.Server.Tests;

/// <summary>
/// <c>/v1/flags</c> and the service flag through real HTTP. Runs against every store: see <see cref="SqliteFlagTests"/> and
/// <see cref="PostgresFlagTests"/>.
/// </summary>
public abstract class FlagTests : ShopServerTests
{
    private const string Predict = "/v1/services/shop/predict";
    private const string DeRequest = """{"key": "u1", "attributes": {"country": "DE"}, "inputs": {"price": 20, "country": "DE"}}""";
    private const string FrRequest = """{"key": "u2", "attributes": {"country": "FR"}, "inputs": {"price": 20, "country": "FR"}}""";

    [Fact]
    public async Task CreateService_CreatesItsServiceFlagOnAndAudited()
    {
        var flag = await Server.GetAsync<FlagView>("/v1/flags/shop-enabled");
        Assert.True(flag.Enabled);
        Assert.Equal("shop", flag.Service);
        Assert.Equal(1, flag.Revision);

        var audit = await Server.GetAsync<AuditList>("/v1/audit?action=flag.created");
        Assert.Contains(audit.Events, e => e.Target.EndsWith("flags/shop-enabled", StringComparison.Ordinal) && e.Service == "shop");
    }

    [Fact]
    public async Task CreateListShowUpdate_RoundTripsWithRevisions()
    {
        var created = await Server.ReadAsync<FlagView>(await Server.PostJsonAsync("/v1/flags", """
            {"key": "new-ranker", "enabled": true, "service": "shop", "description": "DACH first",
             "rules": [{"conditions": [{"attribute": "country", "operator": "in", "values": ["DE", "AT"]}]}],
             "percentage": 12.5}
            """));
        Assert.Equal(1, created.Revision);
        Assert.Equal(12.5, created.Percentage);

        var all = await Server.GetAsync<FlagList>("/v1/flags");
        Assert.Equal(["new-ranker", "shop-enabled"], all.Flags.Select(f => f.Key).Order(StringComparer.Ordinal));
        var ofShop = await Server.GetAsync<FlagList>("/v1/flags?service=shop");
        Assert.Equal(2, ofShop.Flags.Count);

        var shown = await Server.GetAsync<FlagView>("/v1/flags/new-ranker");
        Assert.Equal("in", shown.Rules![0].Conditions![0].Operator);
        Assert.Equal(["DE", "AT"], shown.Rules[0].Conditions![0].Values!);

        // What GET returns can be edited and sent back as it is.
        var edited = shown with { Percentage = 25, Description = "wider" };
        var updated = await Server.ReadAsync<FlagView>(await Server.Client.PutAsJsonAsync("/v1/flags/new-ranker", edited, VigilJson.Options, TestContext.Current.CancellationToken));
        Assert.Equal(2, updated.Revision);
        Assert.Equal(25, updated.Percentage);
        Assert.Equal("shop", updated.Service);

        var audit = await Server.GetAsync<AuditList>("/v1/audit?action=flag.updated");
        var change = Assert.Single(audit.Events);
        Assert.Contains("12.5", change.Before);
        Assert.Contains("25", change.After);
    }

    [Fact]
    public async Task Update_StaleRevision_Returns409AndChangesNothing()
    {
        await Server.ReadAsync<FlagView>(await Server.PostJsonAsync("/v1/flags", """{"key": "beta", "enabled": true}"""));
        await Server.ReadAsync<FlagView>(await PutAsync("beta", """{"key": "beta", "enabled": true, "percentage": 10, "revision": 1}"""));

        var stale = await PutAsync("beta", """{"key": "beta", "enabled": false, "revision": 1}""");
        var problem = await VigilTestServer.ProblemAsync(stale, 409);
        Assert.Contains("revision 2", problem["detail"]!.GetValue<string>());

        var flag = await Server.GetAsync<FlagView>("/v1/flags/beta");
        Assert.True(flag.Enabled);
        Assert.Equal(2, flag.Revision);
    }

    [Fact]
    public async Task Update_WithoutRevisionOrWithAnotherKey_Returns422ListingBoth()
    {
        var problem = await VigilTestServer.ProblemAsync(await PutAsync("shop-enabled", """{"key": "other", "enabled": false}"""), 422);
        var errors = VigilTestServer.Errors(problem);
        Assert.Contains("revision: required", errors);
        Assert.Contains("a flag's key cannot change", errors);
    }

    [Fact]
    public async Task Create_Duplicate_Returns409()
    {
        var problem = await VigilTestServer.ProblemAsync(await Server.PostJsonAsync("/v1/flags", """{"key": "shop-enabled", "enabled": false}"""), 409);
        Assert.Contains("already exists", problem["detail"]!.GetValue<string>());
    }

    [Fact]
    public async Task Create_Invalid_Returns422WithEveryError()
    {
        var response = await Server.PostJsonAsync("/v1/flags", """
            {"key": "Bad_Key", "enabled": true, "service": "nope", "percentage": 150,
             "rules": [{"conditions": [{"attribute": "country", "operator": "lt", "value": "DE"}]}, {}]}
            """);
        var problem = await VigilTestServer.ProblemAsync(response, 422);
        var errors = problem["errors"]!.AsArray().Select(e => e!.GetValue<string>()).ToList();

        Assert.Contains(errors, e => e.Contains("there is no service 'nope'"));
        Assert.Contains(errors, e => e.Contains("'Bad_Key'") || e.Contains("a key is"));
        Assert.Contains(errors, e => e.Contains("unknown operator 'lt'"));
        Assert.Contains(errors, e => e.Contains("percentage"));
        Assert.Contains(errors, e => e.Contains("rules[1]"));
        Assert.True(errors.Count >= 5, string.Join("\n", errors));
        Assert.Equal(HttpStatusCode.NotFound, (await Server.Client.GetAsync("/v1/flags/Bad_Key", TestContext.Current.CancellationToken)).StatusCode);
    }

    [Fact]
    public async Task Create_NotJsonOrWrongShape_Returns415Or400()
    {
        await VigilTestServer.ProblemAsync(await Server.Client.PostAsync("/v1/flags", new StringContent("key: x"), TestContext.Current.CancellationToken), 415);
        await VigilTestServer.ProblemAsync(await Server.PostJsonAsync("/v1/flags", """{"key": "x", "enabled": true, "colour": "red"}"""), 400);
        await VigilTestServer.ProblemAsync(await Server.PostJsonAsync("/v1/flags", """{"key": "x"}"""), 400);
    }

    [Fact]
    public async Task OnOff_AreAuditedWithTheReason_AndRepeatingChangesNothing()
    {
        var off = await Server.ReadAsync<FlagView>(await Server.PostJsonAsync("/v1/flags/shop-enabled/off", """{"reason": "incident 42"}"""));
        Assert.False(off.Enabled);
        Assert.Equal(2, off.Revision);
        var again = await Server.ReadAsync<FlagView>(await Server.PostJsonAsync("/v1/flags/shop-enabled/off", "{}"));
        Assert.Equal(2, again.Revision);

        var on = await Server.ReadAsync<FlagView>(await Server.Client.PostAsync("/v1/flags/shop-enabled/on", null, TestContext.Current.CancellationToken));
        Assert.True(on.Enabled);
        Assert.Equal(3, on.Revision);

        var disabled = Assert.Single((await Server.GetAsync<AuditList>("/v1/audit?action=flag.disabled")).Events);
        Assert.Equal("incident 42", disabled.Reason);
        Assert.Equal("shop", disabled.Service);
        Assert.Contains("\"enabled\":true", disabled.Before);
        Assert.Contains("\"enabled\":false", disabled.After);
        Assert.Single((await Server.GetAsync<AuditList>("/v1/audit?action=flag.enabled")).Events);

        await VigilTestServer.ProblemAsync(await Server.PostJsonAsync("/v1/flags/nope/on", "{}"), 404);
    }

    [Fact]
    public async Task ServiceFlagOff_NoFallback_Returns503WithTheReason_AndNeverCallsTheModel()
    {
        await Server.ReadAsync<PredictResponse>(await Server.PostJsonAsync(Predict, DeRequest));
        await Server.ReadAsync<FlagView>(await Server.PostJsonAsync("/v1/flags/shop-enabled/off", """{"reason": "bad model"}"""));
        var calls = Remote.Calls;

        var problem = await VigilTestServer.ProblemAsync(await Server.PostJsonAsync(Predict, DeRequest), 503);
        var detail = problem["detail"]!.GetValue<string>();
        Assert.Contains("service 'shop' is switched off by flag 'shop-enabled' (reason DISABLED", detail);
        Assert.Contains("turn it on with 'vigil flags on shop-enabled'", detail);
        await VigilTestServer.ProblemAsync(await Server.PostJsonAsync(Predict, """{"instances": [{"price": 1, "country": "DE"}, {"price": 2, "country": "FR"}]}"""), 503);
        Assert.Equal(calls, Remote.Calls);

        await Server.ReadAsync<FlagView>(await Server.PostJsonAsync("/v1/flags/shop-enabled/on", "{}"));
        var served = await Server.ReadAsync<PredictResponse>(await Server.PostJsonAsync(Predict, DeRequest));
        Assert.Equal("champion", served.Arm);
        Assert.Equal(calls + 1, Remote.Calls);
    }

    [Fact]
    public async Task ServiceFlagOff_WithFallback_AnswersTheFallbackOutput_RecordedAndCounted()
    {
        var fallback = new JsonObject { ["probability"] = 0.0, ["label"] = false };
        var created = await Server.PostAsync("/v1/services", new CreateServiceRequest("quiet", VigilTestServer.Inputs, new OutputSpec(OutputKind.Probability, Fallback: fallback), "with a fallback"));
        var service = await Server.ReadAsync<ServiceView>(created);
        Assert.NotNull(service.Output.Fallback);
        await Server.RegisterRemoteAsync(Remote, "quiet", "champion");
        await Server.ReadAsync<FlagView>(await Server.PostJsonAsync("/v1/flags/quiet-enabled/off", "{}"));
        var calls = Remote.Calls;

        var answer = await Server.ReadAsync<PredictResponse>(await Server.PostJsonAsync("/v1/services/quiet/predict", DeRequest));
        Assert.Equal("fallback", answer.Arm);
        Assert.Equal(0, answer.Version);
        Assert.Equal(0.0, answer.Outputs["probability"]!.GetValue<double>());
        Assert.False(answer.Outputs["label"]!.GetValue<bool>());
        Assert.Equal(calls, Remote.Calls);

        await Server.App.FlushAsync(TestContext.Current.CancellationToken);
        var recorded = await Server.GetAsync<PredictionView>($"/v1/predictions/{answer.RequestId}");
        Assert.Equal("fallback", recorded.Prediction.Arm);
        Assert.Equal(0, recorded.Prediction.Version);
        var metrics = await Server.Client.GetStringAsync("/metrics", TestContext.Current.CancellationToken);
        Assert.Contains(metrics.Split('\n'), line => line.StartsWith("vigil_gateway_requests_total{", StringComparison.Ordinal)
            && line.Contains("vigil_result=\"fallback\"", StringComparison.Ordinal) && line.Contains("vigil_service=\"quiet\"", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ServiceFlagTargetingCountryDe_ServesOnlyDe()
    {
        var current = await Server.GetAsync<FlagView>("/v1/flags/shop-enabled");
        await Server.ReadAsync<FlagView>(await PutAsync("shop-enabled", $$"""
            {"key": "shop-enabled", "enabled": true, "revision": {{current.Revision}},
             "rules": [{"conditions": [{"attribute": "country", "operator": "equals", "value": "DE"}]}]}
            """));
        await Server.ReadAsync<PredictResponse>(await Server.PostJsonAsync(Predict, DeRequest));
        var calls = Remote.Calls;

        var de = await Server.ReadAsync<PredictResponse>(await Server.PostJsonAsync(Predict, DeRequest));
        Assert.Equal("champion", de.Arm);
        var fr = await VigilTestServer.ProblemAsync(await Server.PostJsonAsync(Predict, FrRequest), 503);
        Assert.Contains("reason DEFAULT", fr["detail"]!.GetValue<string>());
        await VigilTestServer.ProblemAsync(await Server.PostJsonAsync(Predict, """{"inputs": {"price": 20, "country": "DE"}}"""), 503);
        Assert.Equal(calls + 1, Remote.Calls);
    }

    [Fact]
    public async Task Predict_InvalidAttributes_Returns422WithEveryAttributeError()
    {
        var response = await Server.PostJsonAsync(Predict, """{"attributes": {"nested": {"a": 1}, "list": [1]}, "inputs": {"price": 20, "country": "DE"}}""");
        var errors = VigilTestServer.Errors(await VigilTestServer.ProblemAsync(response, 422));
        Assert.Contains("attribute 'nested' must be a string, number or boolean", errors);
        Assert.Contains("attribute 'list' must be a string, number or boolean", errors);
    }

    [Fact]
    public async Task Evaluate_GivesEveryReason()
    {
        await Server.ReadAsync<FlagView>(await Server.PostJsonAsync("/v1/flags", """
            {"key": "targeted", "enabled": true,
             "rules": [{"conditions": [{"attribute": "country", "operator": "in", "values": ["DE"]}]},
                       {"conditions": [{"attribute": "app_version", "operator": ">=", "value": 42}]}]}
            """));
        await Server.ReadAsync<FlagView>(await Server.PostJsonAsync("/v1/flags", """{"key": "half", "enabled": true, "percentage": 50}"""));
        await Server.ReadAsync<FlagView>(await Server.PostJsonAsync("/v1/flags", """{"key": "dark", "enabled": false}"""));

        var fixedOn = await EvaluateAsync("shop-enabled", """{}""");
        Assert.Equal((true, EvaluationReason.Static, "on"), (fixedOn.Value, fixedOn.Reason, fixedOn.Variant));

        var match = await EvaluateAsync("targeted", """{"key": "u1", "attributes": {"country": "DE"}}""");
        Assert.Equal((true, EvaluationReason.TargetingMatch, 0), (match.Value, match.Reason, match.RuleIndex));
        var second = await EvaluateAsync("targeted", """{"attributes": {"country": "FR", "app_version": 43}}""");
        Assert.Equal((EvaluationReason.TargetingMatch, 1), (second.Reason, second.RuleIndex));
        var none = await EvaluateAsync("targeted", """{"attributes": {"country": "FR"}}""");
        Assert.Equal((false, EvaluationReason.Default, "off"), (none.Value, none.Reason, none.Variant));
        var mismatch = await EvaluateAsync("targeted", """{"attributes": {"app_version": "4.2.1"}}""");
        Assert.Equal((EvaluationReason.Error, FlagErrorCode.TypeMismatch, "app_version"), (mismatch.Reason, mismatch.ErrorCode, mismatch.Attribute));

        var split = await EvaluateAsync("half", """{"key": "user-7"}""");
        Assert.Equal(EvaluationReason.Split, split.Reason);
        Assert.Equal(Vigil.Routing.Flags.Bucketing.IsIn("half", "user-7", 500_000), split.Value);
        var noKey = await EvaluateAsync("half", """{}""");
        Assert.Equal((EvaluationReason.Error, FlagErrorCode.TargetingKeyMissing), (noKey.Reason, noKey.ErrorCode));
        Assert.Null(split.ErrorCode);

        var disabled = await EvaluateAsync("dark", """{"key": "u1"}""");
        Assert.Equal((false, EvaluationReason.Disabled), (disabled.Value, disabled.Reason));

        // The wire names are OpenFeature's.
        var raw = await (await Server.PostJsonAsync("/v1/flags/targeted/evaluate", """{"attributes": {"app_version": "x"}}""")).Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.Contains("\"reason\":\"ERROR\"", raw);
        Assert.Contains("\"error_code\":\"TYPE_MISMATCH\"", raw);

        await VigilTestServer.ProblemAsync(await Server.PostJsonAsync("/v1/flags/nope/evaluate", "{}"), 404);
        var bad = await VigilTestServer.ProblemAsync(await Server.PostJsonAsync("/v1/flags/half/evaluate", """{"key": "", "attributes": {"a": [1]}}"""), 422);
        Assert.Contains("key: must be", VigilTestServer.Errors(bad));
        Assert.Contains("attribute 'a'", VigilTestServer.Errors(bad));
    }

    private async Task<HttpResponseMessage> PutAsync(string key, string json) =>
        await Server.Client.PutAsync($"/v1/flags/{key}", new StringContent(json, System.Text.Encoding.UTF8, "application/json"), TestContext.Current.CancellationToken);

    private async Task<FlagEvaluationView> EvaluateAsync(string flag, string body) =>
        await Server.ReadAsync<FlagEvaluationView>(await Server.PostJsonAsync($"/v1/flags/{flag}/evaluate", body));
}

public sealed class SqliteFlagTests : FlagTests
{
    protected override Task<string?> CreateStoreAsync() => Task.FromResult<string?>(null);
}

public sealed class PostgresFlagTests(PostgresFixture postgres) : FlagTests
{
    protected override async Task<string?> CreateStoreAsync() => await postgres.CreateDatabaseAsync("flags", TestContext.Current.CancellationToken);
}

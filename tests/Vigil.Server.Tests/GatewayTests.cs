using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Vigil.Persistence;
using Vigil.Server.Api;
using Vigil.Testing;

namespace Vigil.Server.Tests;

/// <summary>Runs against every store: see <see cref="SqliteGatewayTests"/> and <see cref="PostgresGatewayTests"/>.</summary>
public abstract class GatewayTests : ShopServerTests
{
    [Fact]
    public async Task Predict_ValidRequest_AnswersWithChampionOutputsAndRequestId()
    {
        var response = await Server.PostJsonAsync("/v1/services/shop/predict",
            """{"key": "user-42", "attributes": {"country": "DE"}, "inputs": {"price": 25, "country": "DE", "tenure": 3, "subscriber": true}}""");
        var answer = await Server.ReadAsync<PredictResponse>(response);

        Assert.Equal("shop", answer.Service);
        Assert.Equal(1, answer.Version);
        Assert.Equal("champion", answer.Arm);
        Assert.Equal(32, answer.RequestId.Length);
        Assert.Equal(0.25, answer.Outputs["probability"]!.GetValue<double>(), 10);
    }

    [Fact]
    public async Task Predict_Batch_AnswersEveryInstanceInOrder()
    {
        var response = await Server.PostJsonAsync("/v1/services/shop/predict",
            """{"instances": [{"inputs": {"price": 10, "country": "FR"}}, {"price": 90, "country": "US"}]}""");
        var answer = await Server.ReadAsync<BatchPredictResponse>(response);

        Assert.Equal(2, answer.Predictions.Count);
        Assert.Equal(0.1, answer.Predictions[0].Outputs["probability"]!.GetValue<double>(), 10);
        Assert.Equal(0.9, answer.Predictions[1].Outputs["probability"]!.GetValue<double>(), 10);
        Assert.NotEqual(answer.Predictions[0].RequestId, answer.Predictions[1].RequestId);
    }

    [Fact]
    public async Task Predict_MalformedJson_Returns400WithLine()
    {
        var response = await Server.PostJsonAsync("/v1/services/shop/predict", """{"inputs": {"price": 1,, }""");
        var problem = await VigilTestServer.ProblemAsync(response, 400);
        Assert.Contains("not valid JSON", problem["detail"]!.GetValue<string>());
    }

    [Fact]
    public void Recorder_LingersByStore_ShortInProcessOnSqlite_LongerOnPostgres()
    {
        var kind = Server.App.Services.GetRequiredService<IVigilStore>().Kind;
        var recorder = Server.App.Services.GetRequiredService<Vigil.Server.Recording.PredictionRecorder>();

        // SQLite writes beside the request threads: short bursts. PostgreSQL pays a round trip and a staging table per
        // batch: a trickle of requests should not become hundreds of transactions a second.
        Assert.Equal(kind == "postgres" ? TimeSpan.FromMilliseconds(20) : TimeSpan.FromMilliseconds(2), recorder.Linger);
    }

    [Theory]
    [InlineData("""{"inputs": {"price": 25, "country": "DE"}} {"inputs": {}}""")]
    [InlineData("""{"inputs": {"price": 25, "country": "DE"}} trailing""")]
    [InlineData("")]
    [InlineData("   ")]
    public async Task Predict_EmptyBodyOrMoreThanOneValue_Returns400AndRecordsNothing(string body)
    {
        var recorder = Server.App.Services.GetRequiredService<Vigil.Server.Recording.PredictionRecorder>();
        await Server.App.FlushAsync(TestContext.Current.CancellationToken);
        var before = recorder.Snapshot().Written;

        var response = await Server.PostJsonAsync("/v1/services/shop/predict", body);

        var problem = await VigilTestServer.ProblemAsync(response, 400);
        Assert.False(string.IsNullOrWhiteSpace(problem["detail"]?.GetValue<string>()));
        await Server.App.FlushAsync(TestContext.Current.CancellationToken);
        Assert.Equal(before, recorder.Snapshot().Written);
    }

    [Fact]
    public async Task Predict_WrongTypesAndMissingFeature_Returns422ListingEveryViolation()
    {
        // Load the backend first (its load check calls the remote once), then count.
        Assert.Equal(HttpStatusCode.OK, (await Server.PostJsonAsync("/v1/services/shop/predict", """{"inputs": {"price": 1, "country": "DE"}}""")).StatusCode);
        var callsBefore = Remote.Calls;
        var response = await Server.PostJsonAsync("/v1/services/shop/predict",
            """{"inputs": {"price": "12.40", "tenure": 2.5, "subscriber": "yes"}}""");
        var problem = await VigilTestServer.ProblemAsync(response, 422);
        var errors = problem["errors"]!.AsArray().Select(e => e!.GetValue<string>()).ToList();

        Assert.Contains(errors, e => e.Contains("'price' must be a number, got a string"));
        Assert.Contains(errors, e => e.Contains("'tenure' must be an integer"));
        Assert.Contains(errors, e => e.Contains("'subscriber' must be true or false"));
        Assert.Contains(errors, e => e.Contains("'country' is required"));
        Assert.Equal(callsBefore, Remote.Calls);
    }

    [Fact]
    public async Task Predict_NumberTooLargeForDouble_Returns422NotFinite()
    {
        var response = await Server.PostJsonAsync("/v1/services/shop/predict", """{"inputs": {"price": 1e999, "country": "DE"}}""");
        var problem = await VigilTestServer.ProblemAsync(response, 422);
        Assert.Contains("not a finite number", VigilTestServer.Errors(problem));
    }

    [Fact]
    public async Task Predict_NullForNonNullableFeature_Returns422()
    {
        var response = await Server.PostJsonAsync("/v1/services/shop/predict", """{"inputs": {"price": null, "country": "DE"}}""");
        var problem = await VigilTestServer.ProblemAsync(response, 422);
        Assert.Contains("'price' is null", VigilTestServer.Errors(problem));
    }

    [Fact]
    public async Task Predict_UnknownFeatureOrUnseenCategory_IsServedAndCounted()
    {
        var response = await Server.PostJsonAsync("/v1/services/shop/predict", """{"inputs": {"price": 5000, "country": "XX", "colour": "red"}}""");
        var answer = await Server.ReadAsync<PredictResponse>(response);
        Assert.Equal(1, answer.Version);

        var metrics = await Server.Client.GetStringAsync("/metrics", TestContext.Current.CancellationToken);
        Assert.Contains("vigil_schema_violations_total{", metrics);
        Assert.Contains("vigil_violation=\"unseen_category\"", metrics);
        Assert.Contains("vigil_feature=\"(unknown)\"", metrics);
        Assert.DoesNotContain("colour", metrics);
    }

    [Fact]
    public async Task Predict_FiftyMegabyteBody_Returns413()
    {
        var big = new StringBuilder("{\"inputs\": {\"price\": 1, \"country\": \"DE\", \"pad\": \"");
        big.Append('x', 50 * 1024 * 1024);
        big.Append("\"}}");

        // As curl does for large bodies: announce the length and wait for 100-continue, so Vigil can refuse before the upload.
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/services/shop/predict") { Content = new StringContent(big.ToString(), Encoding.UTF8, "application/json") };
        request.Headers.ExpectContinue = true;
        var response = await Server.Client.SendAsync(request, TestContext.Current.CancellationToken);
        var problem = await VigilTestServer.ProblemAsync(response, 413);
        Assert.Contains("4,194,304 bytes", problem["detail"]!.GetValue<string>());

        // Nothing was lost: the service still answers.
        var after = await Server.PostJsonAsync("/v1/services/shop/predict", """{"inputs": {"price": 10, "country": "DE"}}""");
        Assert.Equal(HttpStatusCode.OK, after.StatusCode);
    }

    [Fact]
    public async Task Predict_UnknownService_Returns404()
    {
        var response = await Server.PostJsonAsync("/v1/services/nope/predict", """{"inputs": {}}""");
        var problem = await VigilTestServer.ProblemAsync(response, 404);
        Assert.Contains("no service 'nope'", problem["detail"]!.GetValue<string>());
    }

    [Fact]
    public async Task Predict_WithoutJsonContentType_Returns415()
    {
        var response = await Server.Client.PostAsync("/v1/services/shop/predict", new StringContent("price=1", Encoding.UTF8, "text/plain"), TestContext.Current.CancellationToken);
        await VigilTestServer.ProblemAsync(response, 415);
    }

    [Fact]
    public async Task Predict_BodyIsNotAnObject_Returns400()
    {
        var response = await Server.PostJsonAsync("/v1/services/shop/predict", "[1, 2, 3]");
        await VigilTestServer.ProblemAsync(response, 400);
    }

    [Fact]
    public async Task Predict_RemoteModelFails_Returns503AndRecordsTheError()
    {
        var ok = await Server.PostJsonAsync("/v1/services/shop/predict", """{"inputs": {"price": 10, "country": "DE"}}""");
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        Remote.Failing = true;
        var response = await Server.PostJsonAsync("/v1/services/shop/predict", """{"inputs": {"price": 10, "country": "DE"}}""");
        var problem = await VigilTestServer.ProblemAsync(response, 503);
        Assert.Contains("backend", problem["detail"]!.GetValue<string>());

        await Server.App.FlushAsync(TestContext.Current.CancellationToken);
        var status = await Server.GetAsync<ServiceStatusView>("/v1/services/shop/status");
        var traffic = Assert.Single(status.Traffic);
        Assert.Equal(2, traffic.Requests);
        Assert.Equal(1, traffic.Errors);
    }

    [Fact]
    public async Task OpenInference_Infer_AnswersV2TensorsAndRecords()
    {
        var response = await Server.PostJsonAsync("/v2/models/shop/infer", """
            {"id": "r1", "inputs": [
              {"name": "price", "shape": [2, 1], "datatype": "FP64", "data": [20, 40]},
              {"name": "country", "shape": [2, 1], "datatype": "BYTES", "data": ["DE", "US"]}]}
            """);
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken))!;
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("shop", body["model_name"]!.GetValue<string>());
        Assert.Equal("r1", body["id"]!.GetValue<string>());
        var output = body["outputs"]!.AsArray().Single(o => o!["name"]!.GetValue<string>() == "probability")!;
        Assert.Equal([0.2, 0.4], output["data"]!.AsArray().Select(d => d!.GetValue<double>()));

        var metadata = JsonNode.Parse(await Server.Client.GetStringAsync("/v2/models/shop", TestContext.Current.CancellationToken))!;
        Assert.Equal(4, metadata["inputs"]!.AsArray().Count);
        var ready = await Server.Client.GetAsync("/v2/health/ready", TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
    }

    [Fact]
    public async Task OpenInference_RaggedTensors_Returns400()
    {
        var response = await Server.PostJsonAsync("/v2/models/shop/infer", """
            {"inputs": [{"name": "price", "shape": [2], "datatype": "FP64", "data": [20, 40]},
                        {"name": "country", "shape": [1], "datatype": "BYTES", "data": ["DE"]}]}
            """);
        await VigilTestServer.ProblemAsync(response, 400);
    }

    [Fact]
    public async Task Recorder_EveryPredictionIsStoredWithInputsAndOutputs()
    {
        var response = await Server.PostJsonAsync("/v1/services/shop/predict", """{"key": "u1", "attributes": {"country": "FR"}, "inputs": {"price": 30, "country": "FR"}}""");
        var answer = await Server.ReadAsync<PredictResponse>(response);
        await Server.App.FlushAsync(TestContext.Current.CancellationToken);

        var view = await Server.GetAsync<PredictionView>($"/v1/predictions/{answer.RequestId}");
        Assert.Equal("u1", view.Prediction.Key);
        Assert.Equal("champion", view.Prediction.Arm);
        Assert.Contains("\"price\": 30", view.Prediction.Inputs.Replace("\"price\":30", "\"price\": 30", StringComparison.Ordinal));
        Assert.Contains("probability", view.Prediction.Outputs);
        Assert.Contains("FR", view.Prediction.Attributes);
    }
}

public sealed class SqliteGatewayTests : GatewayTests
{
    protected override Task<string?> CreateStoreAsync() => Task.FromResult<string?>(null);
}

public sealed class PostgresGatewayTests(PostgresFixture postgres) : GatewayTests
{
    protected override async Task<string?> CreateStoreAsync() => await postgres.CreateDatabaseAsync("gw", TestContext.Current.CancellationToken);
}

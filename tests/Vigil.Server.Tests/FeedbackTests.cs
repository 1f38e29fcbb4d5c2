using Vigil.Server.Api;

using Vigil.Testing;

namespace Vigil.Server.Tests;

/// <summary>Runs against every store: see <see cref="SqliteFeedbackTests"/> and <see cref="PostgresFeedbackTests"/>.</summary>
public abstract class FeedbackTests : ShopServerTests
{
    [Fact]
    public async Task Feedback_IsJoinedToItsPrediction_AndCountedPerVersionAndArm()
    {
        var ids = new List<string>();
        for (var i = 0; i < 4; i++)
        {
            var answer = await Server.ReadAsync<PredictResponse>(await Server.PostJsonAsync("/v1/services/shop/predict", """{"inputs": {"price": 10, "country": "DE"}}"""));
            ids.Add(answer.RequestId);
        }

        var batch = string.Join(",", ids.Select((id, i) => $$$"""{"request_id": "{{{id}}}", "outcomes": {"task_completed": {{{(i < 3 ? "true" : "false")}}}, "label": 1}}"""));
        var stored = await Server.ReadAsync<FeedbackResponse>(await Server.PostJsonAsync("/v1/feedback", $"[{batch}]"));
        Assert.Equal(8, stored.Stored);
        Assert.Empty(stored.UnknownRequestIds);

        var status = await Server.GetAsync<ServiceStatusView>("/v1/services/shop/status");
        var traffic = Assert.Single(status.Traffic);
        Assert.Equal(4, traffic.Requests);
        var completed = traffic.Outcomes.Single(o => o.Name == "task_completed");
        Assert.Equal(4, completed.Count);
        Assert.Equal(0.75, completed.Mean!.Value, 10);
    }

    [Fact]
    public async Task Feedback_SentTwice_IsIdempotentAndKeepsTheFirstValue()
    {
        var answer = await Server.ReadAsync<PredictResponse>(await Server.PostJsonAsync("/v1/services/shop/predict", """{"inputs": {"price": 10, "country": "DE"}}"""));
        var first = await Server.ReadAsync<FeedbackResponse>(await Server.PostJsonAsync("/v1/feedback", $$$"""{"request_id": "{{{answer.RequestId}}}", "outcomes": {"accepted": true}}"""));
        var second = await Server.ReadAsync<FeedbackResponse>(await Server.PostJsonAsync("/v1/feedback", $$$"""{"request_id": "{{{answer.RequestId}}}", "outcomes": {"accepted": false}}"""));

        Assert.Equal((1, 0), (first.Stored, first.Duplicates));
        Assert.Equal((0, 1), (second.Stored, second.Duplicates));
        var view = await Server.GetAsync<PredictionView>($"/v1/predictions/{answer.RequestId}");
        Assert.Equal("true", Assert.Single(view.Outcomes).Value);
    }

    [Fact]
    public async Task Feedback_ForUnknownRequest_IsKeptAsOrphanAndCounted()
    {
        var response = await Server.ReadAsync<FeedbackResponse>(await Server.PostJsonAsync("/v1/feedback", """{"request_id": "never-seen", "outcomes": {"label": 0}}"""));
        Assert.Equal(1, response.Stored);
        Assert.Equal(["never-seen"], response.UnknownRequestIds);

        var status = await Server.GetAsync<StatusView>("/v1/status");
        Assert.Equal(1, status.OrphanOutcomes);
    }

    [Fact]
    public async Task Feedback_Invalid_ListsEveryProblemAndStoresNothing()
    {
        var response = await Server.PostJsonAsync("/v1/feedback", """
            {"items": [{"request_id": "a", "outcomes": {"ok": true}}, {"outcomes": {"x": 1}}, {"request_id": "b", "outcomes": {"y": [1]}}, {"request_id": "c", "outcomes": {}}]}
            """);
        var problem = await VigilTestServer.ProblemAsync(response, 422);
        var errors = VigilTestServer.Errors(problem);
        Assert.Contains("items[1]: 'request_id' is missing", errors);
        Assert.Contains("items[2]: outcome 'y' must be", errors);
        Assert.Contains("items[3]: 'outcomes' is empty", errors);

        var status = await Server.GetAsync<StatusView>("/v1/status");
        Assert.Equal(0, status.OrphanOutcomes);
    }
}

public sealed class SqliteFeedbackTests : FeedbackTests
{
    protected override Task<string?> CreateStoreAsync() => Task.FromResult<string?>(null);
}

public sealed class PostgresFeedbackTests(PostgresFixture postgres) : FeedbackTests
{
    protected override async Task<string?> CreateStoreAsync() => await postgres.CreateDatabaseAsync("fb", TestContext.Current.CancellationToken);
}

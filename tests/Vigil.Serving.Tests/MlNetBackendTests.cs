using System.Text.Json.Nodes;
using Vigil.Registry;

namespace Vigil.Serving.Tests;

public sealed class MlNetBackendTests(ModelFixture model)
{
    private BackendSpec Spec => new(BackendKind.Mlnet, model.MlNetPath);

    [Fact]
    public async Task Predict_Batch_GivesProbabilityLabelAndScorePerRow()
    {
        await using var backend = await Backends.LoadOkAsync(Spec);
        Assert.Equal(BackendKind.Mlnet, backend.Kind);
        var (rows, _) = SyntheticData.Generate(100, 99);

        var results = await backend.PredictAsync(rows, TestContext.Current.CancellationToken);

        Assert.Equal(100, results.Count);
        foreach (var result in results)
        {
            var p = result["probability"]!.GetValue<double>();
            Assert.InRange(p, 0, 1);
            Assert.Equal(p >= 0.5, result["label"]!.GetValue<bool>());
            Assert.True(double.IsFinite(result["score"]!.GetValue<double>()));
        }
    }

    [Fact]
    public async Task Predict_SameRowsTwice_GivesTheSameAnswers()
    {
        await using var backend = await Backends.LoadOkAsync(Spec);
        var (rows, _) = SyntheticData.Generate(50, 98);
        var first = await backend.PredictAsync(rows, TestContext.Current.CancellationToken);
        var single = new List<JsonObject>();
        foreach (var row in rows)
        {
            single.AddRange(await backend.PredictAsync([row], TestContext.Current.CancellationToken));
        }

        Assert.Equal(Json(first), Json(single));
    }

    [Fact]
    public async Task Predict_FollowsTheRule_EnterpriseActiveOldIsLikelierThanBasicInactiveYoung()
    {
        await using var backend = await Backends.LoadOkAsync(Spec);
        var results = await backend.PredictAsync(
            [SyntheticData.Row(65, 50_000, "enterprise", true, 9), SyntheticData.Row(20, 50_000, "basic", false, 1)],
            TestContext.Current.CancellationToken);
        Assert.True(results[0]["probability"]!.GetValue<double>() > 0.8);
        Assert.True(results[1]["probability"]!.GetValue<double>() < 0.2);
    }

    [Fact]
    public async Task Predict_NullAgeAndUnseenPlan_StillAnswers()
    {
        await using var backend = await Backends.LoadOkAsync(Spec);
        var results = await backend.PredictAsync([SyntheticData.Row(null, 50_000, "unheard-of", true, 5)], TestContext.Current.CancellationToken);
        Assert.InRange(results[0]["probability"]!.GetValue<double>(), 0, 1);
    }

    [Fact]
    public async Task Predict_EightParallelTasks_GiveTheSameAnswersAsSequential()
    {
        await using var backend = await Backends.LoadOkAsync(Spec);
        await ThreadSafety.AssertParallelEqualsSequentialAsync(backend);
    }

    [Fact]
    public async Task Load_MissingFile_FailsInvalidNamingIt()
    {
        var path = Path.Combine(model.Directory, "missing.zip");
        var result = await Backends.LoadAsync(new BackendSpec(BackendKind.Mlnet, path));
        Assert.Equal(FailureKind.Invalid, result.Failure?.Kind);
        Assert.Contains($"model file '{path}' does not load as an ML.NET model", result.Failure!.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Load_CorruptFile_FailsInvalid()
    {
        var path = Path.Combine(model.Directory, "corrupt.zip");
        await File.WriteAllTextAsync(path, "this is not a model", TestContext.Current.CancellationToken);
        var result = await Backends.LoadAsync(new BackendSpec(BackendKind.Mlnet, path));
        Assert.Equal(FailureKind.Invalid, result.Failure?.Kind);
        Assert.Contains("does not load as an ML.NET model", result.Failure!.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Load_SchemaWithoutAModelInput_FailsNamingIt()
    {
        var service = Backends.WithInputs([.. SyntheticData.Service.Inputs.Where(f => f.Name != "plan")]);
        var result = await Backends.LoadAsync(Spec, service);
        Assert.Equal(FailureKind.Invalid, result.Failure?.Kind);
        Assert.Contains("'plan'", result.Failure!.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Load_FeatureOfAnotherType_FailsNamingIt()
    {
        var service = Backends.WithInputs([.. SyntheticData.Service.Inputs.Select(f => f.Name == "income" ? f with { Type = FeatureType.String } : f)]);
        var result = await Backends.LoadAsync(Spec, service);
        Assert.Equal(FailureKind.Invalid, result.Failure?.Kind);
        Assert.Contains("model input 'income'", result.Failure!.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Load_ClassifierForAScoreService_ServesItsScore()
    {
        var service = SyntheticData.Service with { Output = new OutputSpec(OutputKind.Score) };
        await using var backend = await Backends.LoadOkAsync(Spec, service);
        var result = (await backend.PredictAsync([SyntheticData.Row(40, 1, "pro", true, 3)], TestContext.Current.CancellationToken))[0];
        Assert.Equal(["score"], result.Select(p => p.Key));
    }

    private static string Json(IEnumerable<JsonObject> objects) => new JsonArray([.. objects.Select(o => o.DeepClone())]).ToJsonString();
}

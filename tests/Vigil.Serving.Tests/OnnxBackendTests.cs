using Vigil.Registry;

namespace Vigil.Serving.Tests;

public sealed class OnnxBackendTests(ModelFixture model)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private BackendSpec Spec => new(BackendKind.Onnx, model.OnnxPath);

    [Fact]
    public async Task Predict_ExportedModel_MatchesMlNetWithinATolerance()
    {
        Assert.True(model.Export.IsSuccess, model.Export.Failure?.Message);
        await using var onnx = await Backends.LoadOkAsync(Spec);
        await using var mlnet = await Backends.LoadOkAsync(new BackendSpec(BackendKind.Mlnet, model.MlNetPath));
        var (rows, _) = SyntheticData.Generate(300, 4242);
        rows.Add(SyntheticData.Row(null, 1_000, "unheard-of", false, 0));
        rows.Add(SyntheticData.Row(50, 90_000, null, true, 10));

        var fromOnnx = await onnx.PredictAsync(rows, Ct);
        var fromMlNet = await mlnet.PredictAsync(rows, Ct);

        Assert.Equal(rows.Count, fromOnnx.Count);
        Assert.True(rows.Any(r => r.Values[0].IsNull), "the rows include null ages");
        for (var i = 0; i < rows.Count; i++)
        {
            var p = fromOnnx[i]["probability"]!.GetValue<double>();
            Assert.InRange(p, 0, 1);
            Assert.Equal(fromMlNet[i]["probability"]!.GetValue<double>(), p, 1e-5);
            Assert.Equal(fromMlNet[i]["score"]!.GetValue<double>(), fromOnnx[i]["score"]!.GetValue<double>(), 1e-4);
            Assert.Equal(fromMlNet[i]["label"]!.GetValue<bool>(), fromOnnx[i]["label"]!.GetValue<bool>());
        }
    }

    [Fact]
    public async Task Predict_BatchAndSingleRows_GiveTheSameAnswers()
    {
        await using var backend = await Backends.LoadOkAsync(Spec);
        Assert.Equal(BackendKind.Onnx, backend.Kind);
        var (rows, _) = SyntheticData.Generate(40, 77);
        var batch = await backend.PredictAsync(rows, Ct);
        var singles = new List<System.Text.Json.Nodes.JsonObject>();
        foreach (var row in rows)
        {
            singles.AddRange(await backend.PredictAsync([row], Ct));
        }

        Assert.Equal(batch.ToJson(), singles.ToJson());
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
        var path = Path.Combine(model.Directory, "missing.onnx");
        var result = await Backends.LoadAsync(new BackendSpec(BackendKind.Onnx, path));
        Assert.Equal(FailureKind.Invalid, result.Failure?.Kind);
        Assert.StartsWith($"model file '{path}' does not load as ONNX: ", result.Failure!.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Load_CorruptFile_FailsInvalidWithTheReason()
    {
        var path = Path.Combine(model.Directory, "corrupt.onnx");
        var bytes = await File.ReadAllBytesAsync(model.OnnxPath, Ct);
        await File.WriteAllBytesAsync(path, bytes.AsSpan(0, bytes.Length / 3).ToArray(), Ct);
        var result = await Backends.LoadAsync(new BackendSpec(BackendKind.Onnx, path));
        Assert.Equal(FailureKind.Invalid, result.Failure?.Kind);
        Assert.StartsWith($"model file '{path}' does not load as ONNX: ", result.Failure!.Message, StringComparison.Ordinal);
        Assert.True(result.Failure.Message.Length > $"model file '{path}' does not load as ONNX: ".Length + 5, "the reason is given");
    }

    [Fact]
    public async Task Load_TextFile_FailsInvalid()
    {
        var path = Path.Combine(model.Directory, "text.onnx");
        await File.WriteAllTextAsync(path, "hello, I am not a model", Ct);
        var result = await Backends.LoadAsync(new BackendSpec(BackendKind.Onnx, path));
        Assert.Equal(FailureKind.Invalid, result.Failure?.Kind);
        Assert.Contains("does not load as ONNX", result.Failure!.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Load_SchemaWithoutAModelInput_FailsNamingIt()
    {
        var service = Backends.WithInputs([.. SyntheticData.Service.Inputs.Where(f => f.Name is not "visits" and not "active")]);
        var result = await Backends.LoadAsync(Spec, service);
        Assert.Equal(FailureKind.Invalid, result.Failure?.Kind);
        Assert.Contains("model input 'visits'", result.Failure!.Message, StringComparison.Ordinal);
        Assert.Contains("model input 'active'", result.Failure.Message, StringComparison.Ordinal);
        Assert.Equal(2, result.Failure.Errors.Count);
    }

    [Fact]
    public async Task Load_FeatureOfAnotherType_FailsNamingIt()
    {
        var service = Backends.WithInputs([.. SyntheticData.Service.Inputs.Select(f => f.Name == "plan" ? f with { Type = FeatureType.Number, Categories = null } : f)]);
        var result = await Backends.LoadAsync(Spec, service);
        Assert.Equal(FailureKind.Invalid, result.Failure?.Kind);
        Assert.Contains("model input 'plan' is string [N, 1] but feature 'plan' is number", result.Failure!.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Load_ExtraFeatureTheModelDoesNotRead_IsIgnored()
    {
        var service = Backends.WithInputs([.. SyntheticData.Service.Inputs, new FeatureSpec("country", FeatureType.Category, Nullable: true)]);
        await using var backend = await Backends.LoadOkAsync(Spec, service);
        var row = new InputRow([.. SyntheticData.Row(30, 10_000, "pro", true, 2).Values, FeatureValue.FromText("fr")]);
        var result = await backend.PredictAsync([row], Ct);
        Assert.InRange(result[0]["probability"]!.GetValue<double>(), 0, 1);
    }
}

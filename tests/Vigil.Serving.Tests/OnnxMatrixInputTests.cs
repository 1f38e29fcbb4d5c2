using Vigil.Registry;

namespace Vigil.Serving.Tests;

public sealed class OnnxMatrixInputTests(ModelFixture model)
{
    private static readonly ServiceDefinition Service = new(
        "scorer",
        "one feature matrix",
        [
            new FeatureSpec("a", FeatureType.Number),
            new FeatureSpec("country", FeatureType.Category),
            new FeatureSpec("b", FeatureType.Integer),
            new FeatureSpec("c", FeatureType.Boolean),
        ],
        new OutputSpec(OutputKind.Score),
        DateTimeOffset.UnixEpoch);

    [Fact]
    public async Task Predict_SingleMatrixInput_GetsTheNumericFeaturesInSchemaOrder()
    {
        var path = Path.Combine(model.Directory, "matmul.onnx");
        TinyOnnxModel.WriteMatMul(path, "X", [1f, 10f, 100f]);
        await using var backend = await Backends.LoadOkAsync(new BackendSpec(BackendKind.Onnx, path), Service);

        var results = await backend.PredictAsync(
            [
                new InputRow([FeatureValue.FromNumber(2), FeatureValue.FromText("fr"), FeatureValue.FromNumber(3), FeatureValue.FromBoolean(true)]),
                new InputRow([FeatureValue.FromNumber(0.5), FeatureValue.FromText("de"), FeatureValue.FromNumber(1), FeatureValue.FromBoolean(false)]),
            ],
            TestContext.Current.CancellationToken);

        Assert.Equal("""{"score":132}""", results[0].ToJsonString());
        Assert.Equal("""{"score":10.5}""", results[1].ToJsonString());
    }

    [Fact]
    public async Task Load_MatrixWiderThanTheNumericFeatures_FailsSayingWhy()
    {
        var path = Path.Combine(model.Directory, "matmul4.onnx");
        TinyOnnxModel.WriteMatMul(path, "X", [1f, 2f, 3f, 4f]);
        var result = await Backends.LoadAsync(new BackendSpec(BackendKind.Onnx, path), Service);
        Assert.Equal(FailureKind.Invalid, result.Failure?.Kind);
        Assert.Contains("model input 'X' is float [N, 4] but service 'scorer' has 3 number, integer and boolean features", result.Failure!.Message, StringComparison.Ordinal);
    }
}

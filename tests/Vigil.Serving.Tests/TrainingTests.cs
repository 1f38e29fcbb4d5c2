using Vigil.Registry;
using Vigil.Serving.Training;

namespace Vigil.Serving.Tests;

public sealed class TrainingTests(ModelFixture model)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public void Train_SyntheticRule_BeatsChanceClearlyOnHeldOutRows()
    {
        var metrics = model.Training.Metrics;
        Assert.True(metrics["auc"] > 0.8, $"auc {metrics["auc"]}");
        Assert.True(metrics["accuracy"] > 0.75, $"accuracy {metrics["accuracy"]}");
        Assert.InRange(metrics["log_loss"], 0, 0.69);
        Assert.InRange(metrics["f1"], 0.5, 1);
        Assert.Equal(2_000, metrics["train_rows"] + metrics["test_rows"]);
        Assert.True(File.Exists(model.MlNetPath));
    }

    [Fact]
    public void Train_SameSeedTwice_GivesTheSameMetrics()
    {
        var (rows, labels) = SyntheticData.Generate(600, 11);
        var first = MlNetTrainer.Train(SyntheticData.Service, rows, labels, Path.Combine(model.Directory, "a.zip"), new MlNetTrainingOptions { Seed = 3 }, Ct).Unwrap();
        var second = MlNetTrainer.Train(SyntheticData.Service, rows, labels, Path.Combine(model.Directory, "b.zip"), new MlNetTrainingOptions { Seed = 3 }, Ct).Unwrap();
        Assert.Equal(first.Metrics, second.Metrics);
    }

    [Fact]
    public void Train_SdcaLogisticRegression_AlsoLearnsTheRule()
    {
        var (rows, labels) = SyntheticData.Generate(1_000, 5);
        var result = MlNetTrainer.Train(
            SyntheticData.Service, rows, labels, Path.Combine(model.Directory, "sdca.zip"), new MlNetTrainingOptions { Algorithm = MlNetAlgorithm.SdcaLogisticRegression }, Ct);
        Assert.True(result.IsSuccess, result.Failure?.Message);
        Assert.True(result.Value!.Metrics["auc"] > 0.8, $"auc {result.Value.Metrics["auc"]}");
    }

    [Fact]
    public void Train_OneClassAndTooFewRows_FailsWithEveryReason()
    {
        var (rows, _) = SyntheticData.Generate(10, 1);
        var labels = rows.Select(_ => true).ToList();
        var result = MlNetTrainer.Train(SyntheticData.Service, rows, labels, Path.Combine(model.Directory, "none.zip"), cancellationToken: Ct);
        Assert.Equal(FailureKind.Invalid, result.Failure?.Kind);
        Assert.Contains(result.Failure!.Errors, e => e.Contains("at least 20", StringComparison.Ordinal));
        Assert.Contains(result.Failure.Errors, e => e.Contains("both classes", StringComparison.Ordinal));
    }

    [Fact]
    public void Train_FeatureNamedLabel_FailsNamingIt()
    {
        var service = Backends.WithInputs(new FeatureSpec("Label", FeatureType.Number));
        var rows = Enumerable.Range(0, 40).Select(i => new InputRow([FeatureValue.FromNumber(i)])).ToList();
        var result = MlNetTrainer.Train(service, rows, rows.Select((_, i) => i % 2 == 0).ToList(), Path.Combine(model.Directory, "label.zip"), cancellationToken: Ct);
        Assert.Contains("'Label'", result.Failure?.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Export_TrainedFastTree_WritesAnOnnxFile()
    {
        Assert.True(model.Export.IsSuccess, model.Export.Failure?.Message);
        Assert.True(new FileInfo(model.OnnxPath).Length > 1_000);
    }

    [Fact]
    public void Export_MissingModel_FailsNamingTheFile()
    {
        var result = OnnxExporter.Export(SyntheticData.Service, Path.Combine(model.Directory, "nope.zip"), Path.Combine(model.Directory, "nope.onnx"));
        Assert.Equal(FailureKind.Invalid, result.Failure?.Kind);
        Assert.Contains("nope.zip", result.Failure!.Message, StringComparison.Ordinal);
    }
}

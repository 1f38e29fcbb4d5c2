using Vigil.Serving.Training;

[assembly: AssemblyFixture(typeof(Vigil.Serving.Tests.ModelFixture))]

namespace Vigil.Serving.Tests;

/// <summary>Trains the synthetic model once for the whole test run and exports it to ONNX, in a temporary folder.</summary>
public sealed class ModelFixture : IDisposable
{
    public const int Seed = 7;

    public ModelFixture()
    {
        Directory = Path.Combine(Path.GetTempPath(), "vigil-serving-tests-" + Guid.NewGuid().ToString("N"));
        System.IO.Directory.CreateDirectory(Directory);
        var (rows, labels) = SyntheticData.Generate(2_000, Seed);
        MlNetPath = Path.Combine(Directory, "churn.zip");
        Training = MlNetTrainer.Train(SyntheticData.Service, rows, labels, MlNetPath, new MlNetTrainingOptions { Seed = Seed }).Unwrap();
        OnnxPath = Path.Combine(Directory, "churn.onnx");
        Export = OnnxExporter.Export(SyntheticData.Service, MlNetPath, OnnxPath);
    }

    public string Directory { get; }

    public string MlNetPath { get; }

    public string OnnxPath { get; }

    public MlNetTrainingResult Training { get; }

    /// <summary>The result of the ONNX export (a failure says why the converter could not run).</summary>
    public Result<string> Export { get; }

    public void Dispose() => System.IO.Directory.Delete(Directory, recursive: true);
}

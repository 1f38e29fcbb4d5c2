namespace Vigil.Serving.Training;

/// <summary>What <see cref="MlNetTrainer.Train"/> produced.</summary>
/// <param name="ModelPath">The saved ML.NET model (.zip).</param>
/// <param name="Metrics">
/// Offline metrics on the held-out rows: <c>auc</c>, <c>accuracy</c>, <c>log_loss</c>, <c>f1</c>, <c>precision</c>,
/// <c>recall</c>, and the row counts <c>train_rows</c> and <c>test_rows</c>.
/// </param>
public sealed record MlNetTrainingResult(string ModelPath, Dictionary<string, double> Metrics);

using System.Text.Json.Nodes;
using Vigil.Registry;

namespace Vigil.Serving;

/// <summary>
/// A loaded model version that answers predictions. Implementations are thread-safe: one instance serves every
/// concurrent request of its version. Disposing it while calls are in flight lets those calls finish first.
/// </summary>
public interface IModelBackend : IAsyncDisposable
{
    /// <summary>Which backend runs the model.</summary>
    BackendKind Kind { get; }

    /// <summary>
    /// Predicts a batch. Rows are in the order of the service's <see cref="ServiceDefinition.Inputs"/>
    /// (<c>InputRow.Values[i]</c> is feature <c>Inputs[i]</c>). Returns one JSON object per row, in row order, shaped by the
    /// service's <see cref="OutputSpec"/>: <c>{"probability", "label", "score"}</c> for a probability,
    /// <c>{"label", "scores"}</c> for a class, <c>{"score"}</c> for a score, otherwise the model's outputs by name.
    /// </summary>
    /// <exception cref="BackendException">The model could not answer (a remote that is down or slow, a runtime error).</exception>
    ValueTask<IReadOnlyList<JsonObject>> PredictAsync(IReadOnlyList<InputRow> rows, CancellationToken cancellationToken);
}

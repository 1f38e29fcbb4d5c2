using System.Text.Json.Nodes;

namespace Vigil.Registry;

/// <summary>What a service's model returns.</summary>
public enum OutputKind
{
    /// <summary>A probability of the positive class (binary classifier); outputs <c>probability</c> and <c>label</c>.</summary>
    Probability,
    /// <summary>A class label, optionally with per-class scores.</summary>
    Class,
    /// <summary>A real-valued score (regression, ranking score of one item).</summary>
    Score,
    /// <summary>An ordered list of items.</summary>
    Ranking,
    /// <summary>Generated text.</summary>
    Text,
}

/// <summary>The output description of a service.</summary>
/// <param name="Kind">The kind of output.</param>
/// <param name="Description">Free text for people.</param>
/// <param name="Classes">The class labels of a <see cref="OutputKind.Class"/> output, when known.</param>
/// <param name="Fallback">
/// The fixed output the service answers, without calling the model, while its service flag is off for a request (arm
/// <c>fallback</c>, version 0; docs/flags.md, "The service flag"). Null: such requests get 503 with the reason.
/// </param>
public sealed record OutputSpec(OutputKind Kind, string? Description = null, IReadOnlyList<string>? Classes = null, JsonObject? Fallback = null);

using System.Collections.Frozen;

namespace Vigil.Routing.Flags;

/// <summary>
/// The flags and segments of one service, compiled: what a routing snapshot holds so the request path can evaluate any
/// flag by key without locks or allocation. Immutable; a change builds a new set.
/// </summary>
public sealed class FlagSet
{
    private readonly FrozenDictionary<string, FlagEvaluator> _evaluators;

    private FlagSet(IReadOnlyList<FlagDefinition> flags, IReadOnlyList<Segment> segments, FrozenDictionary<string, FlagEvaluator> evaluators)
    {
        Flags = flags;
        Segments = segments;
        _evaluators = evaluators;
    }

    /// <summary>No flags.</summary>
    public static FlagSet Empty { get; } = new([], [], FrozenDictionary<string, FlagEvaluator>.Empty);

    /// <summary>The flags as declared.</summary>
    public IReadOnlyList<FlagDefinition> Flags { get; }

    /// <summary>The segments as declared.</summary>
    public IReadOnlyList<Segment> Segments { get; }

    /// <summary>Validates the flags and segments together (every error at once, see <see cref="FlagValidator.ValidateSet"/>) and compiles them.</summary>
    public static Result<FlagSet> Create(IReadOnlyList<FlagDefinition> flags, IReadOnlyList<Segment> segments)
    {
        ArgumentNullException.ThrowIfNull(flags);
        ArgumentNullException.ThrowIfNull(segments);
        var errors = FlagValidator.ValidateSet(flags, segments);
        if (errors.Count > 0)
        {
            return Failure.Invalid($"the flags are not valid: {errors[0]}", errors);
        }

        var bySegmentKey = segments.ToDictionary(s => s.Key, StringComparer.Ordinal);
        var evaluators = flags.ToFrozenDictionary(f => f.Key, f => FlagEvaluator.CompileValid(f, bySegmentKey), StringComparer.Ordinal);
        return Result<FlagSet>.Ok(new FlagSet([.. flags], [.. segments], evaluators));
    }

    /// <summary>The compiled flag called <paramref name="flagKey"/>, or null.</summary>
    public FlagEvaluator? Find(string flagKey) => _evaluators.GetValueOrDefault(flagKey);

    /// <summary>Evaluates the flag called <paramref name="flagKey"/>; a missing flag is false with <c>ERROR</c> / <c>FLAG_NOT_FOUND</c>.</summary>
    public FlagEvaluation Evaluate(string flagKey, string? key, RequestAttributes? attributes) =>
        _evaluators.TryGetValue(flagKey, out var evaluator)
            ? evaluator.Evaluate(key, attributes)
            : new FlagEvaluation(false, EvaluationReason.Error, FlagErrorCode.FlagNotFound);
}

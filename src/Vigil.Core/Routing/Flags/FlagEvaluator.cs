namespace Vigil.Routing.Flags;

/// <summary>
/// A <see cref="FlagDefinition"/> compiled for the request path: segments inlined into the rules, operands parsed, the
/// percentage in parts per million. Immutable and thread-safe; build it once per routing snapshot. <see cref="Evaluate"/>
/// allocates nothing.
/// </summary>
public sealed class FlagEvaluator
{
    private readonly string _key;
    private readonly bool _enabled;
    private readonly bool _default;
    private readonly CompiledRule[] _rules;
    private readonly int _weightPpm;

    private FlagEvaluator(FlagDefinition definition, CompiledRule[] rules, int weightPpm)
    {
        Definition = definition;
        _key = definition.Key;
        _enabled = definition.Enabled;
        _default = definition.Default;
        _rules = rules;
        _weightPpm = weightPpm;
    }

    /// <summary>The flag as declared.</summary>
    public FlagDefinition Definition { get; }

    /// <summary>The flag's key (the bucketing salt).</summary>
    public string Key => _key;

    /// <summary>The sticky percentage in parts per million, or -1 when the flag has none.</summary>
    public int WeightPpm => _weightPpm;

    /// <summary>
    /// Validates <paramref name="flag"/> (every error at once, see <see cref="FlagValidator"/>) and compiles it. Rules
    /// referencing segments take their conditions from <paramref name="segments"/>.
    /// </summary>
    public static Result<FlagEvaluator> Compile(FlagDefinition flag, IReadOnlyDictionary<string, Segment>? segments = null)
    {
        ArgumentNullException.ThrowIfNull(flag);
        var errors = new List<string>(FlagValidator.Validate(flag, segments ?? new Dictionary<string, Segment>(StringComparer.Ordinal)));
        if (segments is not null)
        {
            // The segments this flag uses are compiled into it, so they must be valid too.
            var used = (flag.Rules ?? []).SelectMany(r => r?.Segments ?? []).Distinct(StringComparer.Ordinal);
            foreach (var key in used)
            {
                if (key is not null && segments.TryGetValue(key, out var segment))
                {
                    errors.AddRange(FlagValidator.Validate(segment));
                }
            }
        }

        if (errors.Count > 0)
        {
            return Failure.Invalid($"flag '{flag.Key}' is not valid: {errors[0]}", errors);
        }

        return Result<FlagEvaluator>.Ok(CompileValid(flag, segments));
    }

    /// <summary>Compiles a flag already accepted by <see cref="FlagValidator"/> with the same segments.</summary>
    internal static FlagEvaluator CompileValid(FlagDefinition flag, IReadOnlyDictionary<string, Segment>? segments)
    {
        var rules = flag.Rules ?? [];
        var compiled = new CompiledRule[rules.Count];
        for (var i = 0; i < rules.Count; i++)
        {
            // A rule's own conditions first, then each referenced segment's, in order: they are ANDed, and the order
            // decides only which type mismatch is reported when several could be.
            var conditions = new List<CompiledCondition>();
            foreach (var condition in rules[i].Conditions ?? [])
            {
                conditions.Add(new CompiledCondition(condition));
            }

            foreach (var segmentKey in rules[i].Segments ?? [])
            {
                foreach (var condition in segments![segmentKey].Conditions)
                {
                    conditions.Add(new CompiledCondition(condition));
                }
            }

            compiled[i] = new CompiledRule([.. conditions], rules[i].Value);
        }

        var weight = -1;
        if (flag.Percentage is { } percent && !Bucketing.TryPercentToPpm(percent, out weight))
        {
            throw new ArgumentException($"percentage {percent} is not valid", nameof(flag));
        }

        return new FlagEvaluator(flag, compiled, weight);
    }

    /// <summary>
    /// Evaluates the flag for a request with the sticky <paramref name="key"/> (user or session id; null or empty when the
    /// request has none) and <paramref name="attributes"/>. In order: off → false (<c>DISABLED</c>); the first matching
    /// rule → its value (<c>TARGETING_MATCH</c>); the percentage → true inside, false outside (<c>SPLIT</c>); rules but no
    /// percentage → the default (<c>DEFAULT</c>); neither rules nor percentage → true (<c>STATIC</c>). A numeric operator
    /// on a non-numeric attribute, or a percentage strictly between 0 and 100% with no key, ends the evaluation with the
    /// default (<c>ERROR</c>).
    /// </summary>
    public FlagEvaluation Evaluate(string? key, RequestAttributes? attributes)
    {
        if (!_enabled)
        {
            return new FlagEvaluation(false, EvaluationReason.Disabled);
        }

        attributes ??= RequestAttributes.Empty;
        var rules = _rules;
        for (var r = 0; r < rules.Length; r++)
        {
            var conditions = rules[r].Conditions;
            var matched = true;
            for (var c = 0; c < conditions.Length; c++)
            {
                var outcome = conditions[c].Test(attributes);
                if (outcome == ConditionOutcome.True)
                {
                    continue;
                }

                if (outcome == ConditionOutcome.TypeMismatch)
                {
                    return new FlagEvaluation(_default, EvaluationReason.Error, FlagErrorCode.TypeMismatch, r, conditions[c].Attribute);
                }

                matched = false;
                break;
            }

            if (matched)
            {
                return new FlagEvaluation(rules[r].Value, EvaluationReason.TargetingMatch, RuleIndex: r);
            }
        }

        if (_weightPpm >= 0)
        {
            if (_weightPpm == 0 || _weightPpm >= Bucketing.Scale)
            {
                return new FlagEvaluation(_weightPpm > 0, EvaluationReason.Split);
            }

            if (string.IsNullOrEmpty(key))
            {
                return new FlagEvaluation(_default, EvaluationReason.Error, FlagErrorCode.TargetingKeyMissing);
            }

            return new FlagEvaluation(Bucketing.Bucket(_key, key) < _weightPpm, EvaluationReason.Split);
        }

        return rules.Length == 0
            ? new FlagEvaluation(true, EvaluationReason.Static)
            : new FlagEvaluation(_default, EvaluationReason.Default);
    }

    private readonly record struct CompiledRule(CompiledCondition[] Conditions, bool Value);
}

using System.Collections.Frozen;

namespace Vigil.Routing.Flags;

/// <summary>The outcome of one condition for one request.</summary>
internal enum ConditionOutcome
{
    False,
    True,
    /// <summary>A numeric operator met an attribute that is not a finite number.</summary>
    TypeMismatch,
}

/// <summary>A validated <see cref="Condition"/> with its operand parsed once: a number, or a set for long <c>in</c> lists.</summary>
internal sealed class CompiledCondition
{
    /// <summary>Up to this many values an <c>in</c> list is scanned; longer lists are hashed.</summary>
    private const int ScanLimit = 8;

    private readonly ConditionOperator _op;
    private readonly string _text;
    private readonly double _number;
    private readonly string[] _list;
    private readonly FrozenSet<string>? _set;

    /// <summary>Compiles a condition that <see cref="FlagValidator"/> accepted.</summary>
    public CompiledCondition(Condition condition)
    {
        if (!ConditionOperators.TryParse(condition.Operator, out _op))
        {
            throw new ArgumentException($"unknown operator '{condition.Operator}'", nameof(condition));
        }

        Attribute = condition.Attribute;
        _text = condition.Value ?? string.Empty;
        _number = ConditionOperators.IsNumeric(_op) && AttributeValue.TryReadNumber(condition.Value, out var number) ? number : double.NaN;
        _list = condition.Values is { } values ? [.. values] : [];
        _set = _list.Length > ScanLimit ? _list.ToFrozenSet(StringComparer.Ordinal) : null;
    }

    public string Attribute { get; }

    public ConditionOutcome Test(RequestAttributes attributes)
    {
        // A missing attribute fails every operator, not_in included: rules target only what a request says about itself.
        if (!attributes.TryGet(Attribute, out var value))
        {
            return ConditionOutcome.False;
        }

        var result = _op switch
        {
            ConditionOperator.In => InList(value.Text),
            ConditionOperator.NotIn => !InList(value.Text),
            ConditionOperator.EqualTo => string.Equals(value.Text, _text, StringComparison.Ordinal),
            ConditionOperator.StartsWith => value.Text.StartsWith(_text, StringComparison.Ordinal),
            ConditionOperator.Contains => value.Text.Contains(_text, StringComparison.Ordinal),
            _ when !value.IsNumber => (bool?)null,
            ConditionOperator.LessThan => value.Number < _number,
            ConditionOperator.LessThanOrEqual => value.Number <= _number,
            ConditionOperator.GreaterThan => value.Number > _number,
            ConditionOperator.GreaterThanOrEqual => value.Number >= _number,
            _ => null,
        };
        return result switch
        {
            true => ConditionOutcome.True,
            false => ConditionOutcome.False,
            null => ConditionOutcome.TypeMismatch,
        };
    }

    private bool InList(string text)
    {
        if (_set is not null)
        {
            return _set.Contains(text);
        }

        foreach (var item in _list)
        {
            if (string.Equals(item, text, StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }
}

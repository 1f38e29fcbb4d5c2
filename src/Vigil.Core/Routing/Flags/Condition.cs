using System.Text.Json.Serialization;

namespace Vigil.Routing.Flags;

/// <summary>
/// A test of one request attribute, e.g. <c>{"attribute": "country", "operator": "in", "values": ["DE", "AT"]}</c> or
/// <c>{"attribute": "app_version", "operator": "&gt;=", "value": 42}</c>. The operator is kept as written so that
/// <see cref="FlagValidator"/> can report an unknown one among all other errors; see <see cref="ConditionOperators"/>.
/// </summary>
/// <param name="Attribute">The request attribute's name (case-sensitive).</param>
/// <param name="Operator">One of <c>in</c>, <c>not_in</c>, <c>equals</c>, <c>&lt;</c>, <c>&lt;=</c>, <c>&gt;</c>, <c>&gt;=</c>, <c>starts_with</c>, <c>contains</c>.</param>
/// <param name="Values">The operand list of <c>in</c> and <c>not_in</c> (JSON strings, numbers or booleans, kept as text).</param>
/// <param name="Value">The operand of every other operator (a JSON string, number or boolean, kept as text).</param>
public sealed record Condition(
    string Attribute,
    string Operator,
    [property: JsonConverter(typeof(ScalarTextListConverter))] IReadOnlyList<string>? Values = null,
    [property: JsonConverter(typeof(ScalarTextConverter))] string? Value = null);

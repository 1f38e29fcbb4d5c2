using System.Globalization;
using System.Text.Json.Nodes;

namespace Vigil.Serving.Outputs;

/// <summary>An output held as a flat array of <c>rows × width</c> values (row-major), as tensors come out of a runtime.</summary>
/// <typeparam name="T">float, double, long, int, bool or string.</typeparam>
internal sealed class ArrayOutputColumn<T> : OutputColumn
{
    private readonly T[] _values;
    private readonly int _width;

    public ArrayOutputColumn(string name, T[] values, int width)
        : base(name)
    {
        if (width <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(width), width, "an output has at least one value per row");
        }

        _values = values;
        _width = width;
    }

    public override int WidthOf(int row) => _width;

    public override double GetNumber(int row, int index) => _values[(row * _width) + index] switch
    {
        float f => f,
        double d => d,
        long l => l,
        int i => i,
        bool b => b ? 1 : 0,
        _ => double.NaN,
    };

    public override string? GetText(int row, int index) => _values[(row * _width) + index] switch
    {
        string s => s,
        float f => ((double)f).ToString("R", CultureInfo.InvariantCulture),
        double d => d.ToString("R", CultureInfo.InvariantCulture),
        bool b => b ? "true" : "false",
        IFormattable x => x.ToString(null, CultureInfo.InvariantCulture),
        _ => null,
    };

    public override bool? GetBoolean(int row, int index)
    {
        switch (_values[(row * _width) + index])
        {
            case bool b:
                return b;
            case string s:
                return bool.TryParse(s, out var parsed) ? parsed : null;
            default:
                var number = GetNumber(row, index);
                return double.IsNaN(number) ? null : number != 0;
        }
    }

    public override JsonNode? GetNode(int row, int index) => _values[(row * _width) + index] switch
    {
        float f => Number(f),
        double d => Number(d),
        long l => JsonValue.Create(l),
        int i => JsonValue.Create(i),
        bool b => JsonValue.Create(b),
        string s => JsonValue.Create(s),
        _ => null,
    };
}

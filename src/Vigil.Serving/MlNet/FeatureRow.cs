using Microsoft.ML;
using Microsoft.ML.Data;
using Vigil.Registry;

namespace Vigil.Serving.MlNet;

/// <summary>
/// A single mutable ML.NET row over the current <see cref="InputRow"/>: the input of a row-to-row mapper, the way ML.NET's own
/// PredictionEngine feeds one object at a time. <see cref="Set"/> moves it to the next input and advances
/// <see cref="Position"/>, which is what tells the mapper's cached getters that the values changed. Not thread-safe.
/// </summary>
internal sealed class FeatureRow : DataViewRow
{
    private readonly Delegate[] _getters;
    private InputRow _current = new([]);
    private long _position = -1;

    public FeatureRow(IReadOnlyList<FeatureColumn> columns)
    {
        Schema = FeatureColumn.BuildSchema(columns);
        _getters = columns.Select(c => c.CreateGetter(() => _current)).ToArray();
    }

    public override long Position => _position;

    public override long Batch => 0;

    public override DataViewSchema Schema { get; }

    /// <summary>Makes <paramref name="row"/> the current values.</summary>
    public void Set(InputRow row)
    {
        _current = row;
        _position++;
    }

    public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column) =>
        _getters[column.Index] as ValueGetter<TValue>
        ?? throw new InvalidOperationException($"column '{column.Name}' is of type {column.Type}, not {typeof(TValue).Name}");

    public override ValueGetter<DataViewRowId> GetIdGetter() =>
        (ref DataViewRowId value) => value = new DataViewRowId((ulong)_position, 0);

    public override bool IsColumnActive(DataViewSchema.Column column) => true;
}

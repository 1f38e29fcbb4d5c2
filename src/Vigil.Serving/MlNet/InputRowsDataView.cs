using Microsoft.ML;
using Microsoft.ML.Data;
using Vigil.Registry;

namespace Vigil.Serving.MlNet;

/// <summary>
/// An in-memory ML.NET data view over a list of <see cref="InputRow"/>s, one column per feature (see
/// <see cref="FeatureColumn"/>) and, when labels are given, a Boolean <c>Label</c> column. Used to train and to export.
/// </summary>
internal sealed class InputRowsDataView : IDataView
{
    /// <summary>The name of the label column.</summary>
    public const string LabelColumn = "Label";

    private readonly IReadOnlyList<FeatureColumn> _columns;
    private readonly IReadOnlyList<InputRow> _rows;
    private readonly IReadOnlyList<bool>? _labels;

    public InputRowsDataView(IReadOnlyList<FeatureColumn> columns, IReadOnlyList<InputRow> rows, IReadOnlyList<bool>? labels)
    {
        if (labels is not null && labels.Count != rows.Count)
        {
            throw new ArgumentException($"{rows.Count} rows but {labels.Count} labels", nameof(labels));
        }

        _columns = columns;
        _rows = rows;
        _labels = labels;
        Schema = labels is null
            ? FeatureColumn.BuildSchema(columns)
            : FeatureColumn.BuildSchema(columns, (LabelColumn, BooleanDataViewType.Instance));
    }

    public bool CanShuffle => false;

    public DataViewSchema Schema { get; }

    public long? GetRowCount() => _rows.Count;

    public DataViewRowCursor GetRowCursor(IEnumerable<DataViewSchema.Column> columnsNeeded, Random? rand = null) => new Cursor(this);

    public DataViewRowCursor[] GetRowCursorSet(IEnumerable<DataViewSchema.Column> columnsNeeded, int n, Random? rand = null) => [new Cursor(this)];

    private sealed class Cursor : DataViewRowCursor
    {
        private readonly InputRowsDataView _view;
        private readonly Delegate[] _getters;
        private long _position = -1;

        public Cursor(InputRowsDataView view)
        {
            _view = view;
            var getters = view._columns.Select(c => c.CreateGetter(() => _view._rows[(int)_position])).ToList();
            if (view._labels is { } labels)
            {
                getters.Add(new ValueGetter<bool>((ref bool value) => value = labels[(int)_position]));
            }

            _getters = [.. getters];
        }

        public override long Position => _position;

        public override long Batch => 0;

        public override DataViewSchema Schema => _view.Schema;

        public override bool MoveNext()
        {
            if (_position + 1 >= _view._rows.Count)
            {
                _position = _view._rows.Count;
                return false;
            }

            _position++;
            return true;
        }

        public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column) =>
            _getters[column.Index] as ValueGetter<TValue>
            ?? throw new InvalidOperationException($"column '{column.Name}' is of type {column.Type}, not {typeof(TValue).Name}");

        public override ValueGetter<DataViewRowId> GetIdGetter() =>
            (ref DataViewRowId value) => value = new DataViewRowId((ulong)_position, 0);

        public override bool IsColumnActive(DataViewSchema.Column column) => true;
    }
}

using Microsoft.ML;
using Microsoft.ML.Data;
using Vigil.Serving.Outputs;

namespace Vigil.Serving.MlNet;

/// <summary>
/// Reads one output column of an ML.NET row into an array for a batch: scalars of Single, Double, Boolean, text and keys
/// (as their text value when the key has one), and vectors of Single or Double of known size.
/// </summary>
internal abstract class OutputReader
{
    /// <summary>True when Vigil can read a column of type <paramref name="type"/>.</summary>
    public static bool CanRead(DataViewType type) =>
        type == NumberDataViewType.Single || type == NumberDataViewType.Double || type == BooleanDataViewType.Instance
        || type is TextDataViewType || type is KeyDataViewType
        || (type is VectorDataViewType { IsKnownSize: true } vector
            && (vector.ItemType == NumberDataViewType.Single || vector.ItemType == NumberDataViewType.Double));

    /// <summary>A reader of <paramref name="column"/> bound to <paramref name="row"/>.</summary>
    public static OutputReader Create(DataViewRow row, DataViewSchema.Column column)
    {
        var type = column.Type;
        if (type == NumberDataViewType.Single)
        {
            return new Scalar<float, float>(column.Name, row.GetGetter<float>(column), v => v);
        }

        if (type == NumberDataViewType.Double)
        {
            return new Scalar<double, double>(column.Name, row.GetGetter<double>(column), v => v);
        }

        if (type == BooleanDataViewType.Instance)
        {
            return new Scalar<bool, bool>(column.Name, row.GetGetter<bool>(column), v => v);
        }

        if (type is TextDataViewType)
        {
            return new Scalar<ReadOnlyMemory<char>, string>(column.Name, row.GetGetter<ReadOnlyMemory<char>>(column), v => v.ToString());
        }

        if (type is KeyDataViewType && type.RawType == typeof(uint))
        {
            var names = default(VBuffer<ReadOnlyMemory<char>>);
            if (column.Annotations.Schema.GetColumnOrNull("KeyValues") is { Type: VectorDataViewType { ItemType: TextDataViewType } })
            {
                column.GetKeyValues(ref names);
                var values = names.DenseValues().Select(v => v.ToString()).ToArray();
                return new Scalar<uint, string>(column.Name, row.GetGetter<uint>(column), k => k >= 1 && k <= values.Length ? values[k - 1] : string.Empty);
            }

            // Keys count from 1 (0 is missing); report the 0-based index of the class.
            return new Scalar<uint, long>(column.Name, row.GetGetter<uint>(column), k => (long)k - 1);
        }

        if (type is VectorDataViewType { IsKnownSize: true } vector)
        {
            if (vector.ItemType == NumberDataViewType.Single)
            {
                return new Vector<float>(column.Name, row.GetGetter<VBuffer<float>>(column), vector.Size);
            }

            if (vector.ItemType == NumberDataViewType.Double)
            {
                return new Vector<double>(column.Name, row.GetGetter<VBuffer<double>>(column), vector.Size);
            }
        }

        throw new NotSupportedException($"output column '{column.Name}' has type {type}, which Vigil cannot read");
    }

    /// <summary>Reads the current row of the ML.NET row into slot <paramref name="index"/> of a batch of <paramref name="rows"/>.</summary>
    public abstract void Read(int index, int rows);

    /// <summary>The column read so far; the next <see cref="Read"/> with index 0 starts a new batch.</summary>
    public abstract OutputColumn Finish();

    private sealed class Scalar<TRaw, TValue>(string name, ValueGetter<TRaw> getter, Func<TRaw, TValue> convert) : OutputReader
    {
        private TValue[] _values = [];
        private TRaw _raw = default!;

        public override void Read(int index, int rows)
        {
            if (index == 0)
            {
                _values = new TValue[rows];
            }

            getter(ref _raw);
            _values[index] = convert(_raw);
        }

        public override OutputColumn Finish() => new ArrayOutputColumn<TValue>(name, _values, 1);
    }

    private sealed class Vector<T>(string name, ValueGetter<VBuffer<T>> getter, int size) : OutputReader
    {
        private T[] _values = [];
        private VBuffer<T> _buffer;

        public override void Read(int index, int rows)
        {
            if (index == 0)
            {
                _values = new T[rows * size];
            }

            getter(ref _buffer);
            _buffer.CopyTo(_values.AsSpan(index * size, size));
        }

        public override OutputColumn Finish() => new ArrayOutputColumn<T>(name, _values, size);
    }
}

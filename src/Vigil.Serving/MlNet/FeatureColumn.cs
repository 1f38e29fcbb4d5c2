using Microsoft.ML;
using Microsoft.ML.Data;
using Vigil.Registry;

namespace Vigil.Serving.MlNet;

/// <summary>
/// One feature of a service exposed as an ML.NET column: its index in <see cref="InputRow.Values"/>, its column type and
/// the conversion from a <see cref="FeatureValue"/>. Number and Integer features are <c>Single</c> (or <c>Double</c> when a
/// model asks for it), Boolean features <c>Boolean</c> (or <c>Single</c> 1/0), String and Category features text.
/// A null is NaN for numbers, false for booleans and the empty string for text.
/// </summary>
internal sealed record FeatureColumn(string Name, int FeatureIndex, DataViewType Type)
{
    /// <summary>The default column type of a feature, as <see cref="Training.MlNetTrainer"/> trains with.</summary>
    public static DataViewType DefaultType(FeatureType type) => type switch
    {
        FeatureType.Number or FeatureType.Integer => NumberDataViewType.Single,
        FeatureType.Boolean => BooleanDataViewType.Instance,
        _ => TextDataViewType.Instance,
    };

    /// <summary>The columns of every feature of <paramref name="service"/> with their default types.</summary>
    public static FeatureColumn[] Defaults(ServiceDefinition service) =>
        service.Inputs.Select((f, i) => new FeatureColumn(f.Name, i, DefaultType(f.Type))).ToArray();

    /// <summary>True when a <paramref name="feature"/> can feed a model column of type <paramref name="type"/>.</summary>
    public static bool IsCompatible(FeatureSpec feature, DataViewType type)
    {
        if (type == NumberDataViewType.Single || type == NumberDataViewType.Double)
        {
            return feature.IsNumeric || feature.Type == FeatureType.Boolean;
        }

        if (type == BooleanDataViewType.Instance)
        {
            return feature.Type == FeatureType.Boolean;
        }

        return type is TextDataViewType && feature.Type is FeatureType.String or FeatureType.Category;
    }

    /// <summary>Adds these columns, in order, to a schema.</summary>
    public static DataViewSchema BuildSchema(IEnumerable<FeatureColumn> columns, params (string Name, DataViewType Type)[] extra)
    {
        var builder = new DataViewSchema.Builder();
        foreach (var column in columns)
        {
            builder.AddColumn(column.Name, column.Type);
        }

        foreach (var (name, type) in extra)
        {
            builder.AddColumn(name, type);
        }

        return builder.ToSchema();
    }

    /// <summary>A getter that reads this feature from the row <paramref name="current"/> returns at the time of the call.</summary>
    public Delegate CreateGetter(Func<InputRow> current)
    {
        var index = FeatureIndex;
        if (Type == NumberDataViewType.Single)
        {
            return new ValueGetter<float>((ref float value) => value = current().Values[index].AsSingle());
        }

        if (Type == NumberDataViewType.Double)
        {
            return new ValueGetter<double>((ref double value) => value = current().Values[index] is { IsNull: false } v ? v.Number : double.NaN);
        }

        if (Type == BooleanDataViewType.Instance)
        {
            return new ValueGetter<bool>((ref bool value) => value = current().Values[index] is { Kind: FeatureValueKind.Boolean } v && v.Number != 0);
        }

        return new ValueGetter<ReadOnlyMemory<char>>((ref ReadOnlyMemory<char> value) =>
            value = current().Values[index] is { Kind: FeatureValueKind.Text, Text: { } text } ? text.AsMemory() : ReadOnlyMemory<char>.Empty);
    }
}

namespace Vigil.Cli.DataFiles;

/// <summary>What a column of a data file holds.</summary>
public enum ColumnKind
{
    /// <summary>No value at all (every cell empty or NaN): the type is taken from the other file.</summary>
    Empty,

    /// <summary>Every value is a number in invariant culture (CSV), or the Parquet type is numeric.</summary>
    Numeric,

    /// <summary>Any other text (CSV), or a Parquet string, boolean or other non-numeric type.</summary>
    Text,
}

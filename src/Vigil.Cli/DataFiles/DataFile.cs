namespace Vigil.Cli.DataFiles;

/// <summary>The columns of a CSV or Parquet file read by <see cref="DataFileReader"/>.</summary>
/// <param name="Path">The file as given.</param>
/// <param name="Rows">Data rows (the header not counted).</param>
/// <param name="Header">Every column name of the file, in order.</param>
/// <param name="Columns">The columns that were read, by name.</param>
public sealed record DataFile(string Path, long Rows, IReadOnlyList<string> Header, IReadOnlyDictionary<string, DataFileColumn> Columns);

namespace Vigil.Cli.DataFiles;

/// <summary>A data file that cannot be read as a table: missing, empty, without a header, malformed, or with a value Vigil cannot use.</summary>
public sealed class DataFileException(string message) : Exception(message);

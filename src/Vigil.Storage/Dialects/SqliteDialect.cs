using System.Data.Common;
using Microsoft.Data.Sqlite;
using Vigil.Storage.Migrations;

namespace Vigil.Storage.Dialects;

/// <summary>SQLite's SQL: JSON kept as text, timestamps as unix microseconds, no row locks (its writes are serialized).</summary>
internal sealed class SqliteDialect : SqlDialect
{
    private const int ConstraintViolation = 19;
    private const int UniqueViolation = 2067;
    private const int PrimaryKeyViolation = 1555;

    public static SqliteDialect Instance { get; } = new();

    public override string ForUpdate => "";

    public override string CreateSchemaTableSql => """
        CREATE TABLE IF NOT EXISTS vigil_schema (
            version     INTEGER NOT NULL PRIMARY KEY,
            applied_at  INTEGER NOT NULL DEFAULT (CAST((julianday('now') - 2440587.5) * 86400000000 AS INTEGER)),
            description TEXT    NOT NULL
        )
        """;

    public override string ListTablesSql =>
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'";

    public override string Json(string parameter) => parameter;

    /// <summary>
    /// <c>json_extract</c> gives a string without its quotes; <c>-&gt;</c> gives the JSON text of a number or boolean
    /// (<c>true</c>, not SQLite's 1), as PostgreSQL's <c>-&gt;&gt;</c> does.
    /// </summary>
    public override string JsonAttributeText(string jsonColumn, string nameParameter) => $"""
        CASE json_type({jsonColumn}, '$."' || {nameParameter} || '"')
            WHEN 'text' THEN json_extract({jsonColumn}, '$."' || {nameParameter} || '"')
            WHEN 'null' THEN NULL
            ELSE {jsonColumn} -> ('$."' || {nameParameter} || '"')
        END
        """;

    public override string JsonScalarText(string jsonColumn) =>
        $"(CASE json_type({jsonColumn}) WHEN 'text' THEN json_extract({jsonColumn}, '$') ELSE json({jsonColumn}) END)";

    public override bool IsUniqueViolation(DbException exception) =>
        exception is SqliteException { SqliteErrorCode: ConstraintViolation, SqliteExtendedErrorCode: UniqueViolation or PrimaryKeyViolation };

    public override object ToDb(DateTimeOffset value) => Timestamps.ToUnixMicroseconds(value);

    public override DateTimeOffset ReadTime(DbDataReader reader, int ordinal) => Timestamps.FromUnixMicroseconds(reader.GetInt64(ordinal));

    public override string MigrationSql(Migration migration) => migration.Sqlite;
}

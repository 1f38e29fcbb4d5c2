using System.Data.Common;
using Npgsql;
using Vigil.Storage.Migrations;

namespace Vigil.Storage.Dialects;

/// <summary>PostgreSQL's SQL: <c>jsonb</c>, <c>timestamptz</c>, <c>FOR UPDATE</c> row locks.</summary>
internal sealed class PostgresDialect : SqlDialect
{
    public static PostgresDialect Instance { get; } = new();

    public override string ForUpdate => " FOR UPDATE";

    public override string CreateSchemaTableSql => """
        CREATE TABLE IF NOT EXISTS vigil_schema (
            version     integer     NOT NULL PRIMARY KEY,
            applied_at  timestamptz NOT NULL DEFAULT now(),
            description text        NOT NULL
        )
        """;

    public override string ListTablesSql => """
        SELECT c.relname
        FROM pg_class c
        JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p')
        """;

    public override string Json(string parameter) => parameter + "::jsonb";

    public override string JsonAttributeText(string jsonColumn, string nameParameter) =>
        $"({jsonColumn}::jsonb ->> {nameParameter}::text)";

    public override string JsonScalarText(string jsonColumn) => $"({jsonColumn}::jsonb #>> '{{}}')";

    public override bool IsUniqueViolation(DbException exception) =>
        exception is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation };

    public override object ToDb(DateTimeOffset value) => Timestamps.Normalize(value);

    public override DateTimeOffset ReadTime(DbDataReader reader, int ordinal) => reader.GetFieldValue<DateTimeOffset>(ordinal);

    public override string MigrationSql(Migration migration) => migration.Postgres;
}

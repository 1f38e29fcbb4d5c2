using System.Data.Common;
using Vigil.Storage.Migrations;

namespace Vigil.Storage.Dialects;

/// <summary>
/// What SQL differs between SQLite and PostgreSQL, in one object per database: JSON columns and their attributes, row
/// locks, timestamps, constraint errors, and each migration's statements. Every area of the store (<c>Registry/</c>,
/// <c>Releases/</c> …) writes its SQL once over these; connections, transactions, change notification (LISTEN/NOTIFY),
/// the leadership lock and bulk writes (COPY) belong to <see cref="SqliteStore"/> and <see cref="PostgresStore"/>.
/// The schema is defined once, in <see cref="SchemaMigrations"/>, with each step's SQLite and PostgreSQL statements side by side.
/// </summary>
internal abstract class SqlDialect
{
    /// <summary>The row-lock clause appended to a SELECT that guards a change (PostgreSQL: <c> FOR UPDATE</c>; SQLite needs none, its writes are serialized).</summary>
    public abstract string ForUpdate { get; }

    /// <summary>A SQL expression that stores the JSON text in <paramref name="parameter"/> in a JSON column.</summary>
    public abstract string Json(string parameter);

    /// <summary>
    /// A SQL expression for the value of the top-level attribute named by the text parameter <paramref name="nameParameter"/>
    /// in the JSON object in <paramref name="jsonColumn"/>, as text: a string as itself, a number or boolean as its JSON text,
    /// null when the attribute is missing or JSON null.
    /// </summary>
    public abstract string JsonAttributeText(string jsonColumn, string nameParameter);

    /// <summary>SQL giving the text of a column holding one JSON scalar: a string's contents, else its JSON text (<c>true</c>, <c>1</c>).</summary>
    public abstract string JsonScalarText(string jsonColumn);

    /// <summary>Whether <paramref name="exception"/> is a unique (or primary key) constraint violation.</summary>
    public abstract bool IsUniqueViolation(DbException exception);

    /// <summary>The value a timestamp parameter takes.</summary>
    public abstract object ToDb(DateTimeOffset value);

    /// <summary>Reads a timestamp column.</summary>
    public abstract DateTimeOffset ReadTime(DbDataReader reader, int ordinal);

    /// <summary>The statements of a migration step for this database.</summary>
    public abstract string MigrationSql(Migration migration);

    /// <summary>Creates <c>vigil_schema</c> when it does not exist.</summary>
    public abstract string CreateSchemaTableSql { get; }

    /// <summary>Lists the names of the tables of the store's database (or schema), one per row.</summary>
    public abstract string ListTablesSql { get; }
}

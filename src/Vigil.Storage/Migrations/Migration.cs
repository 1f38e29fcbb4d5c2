namespace Vigil.Storage.Migrations;

/// <summary>One versioned step of Vigil's schema, with its SQL for each database.</summary>
/// <param name="Version">The step's number; steps apply in order and each is recorded in <c>vigil_schema</c>.</param>
/// <param name="Description">What the step does, recorded with it.</param>
/// <param name="Sqlite">The step's statements for SQLite.</param>
/// <param name="Postgres">The step's statements for PostgreSQL.</param>
internal sealed record Migration(int Version, string Description, string Sqlite, string Postgres);

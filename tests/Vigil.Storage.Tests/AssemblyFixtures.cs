using Vigil.Testing;

// One throwaway PostgreSQL server for every PostgreSQL test of this assembly (skipped where PostgreSQL is not installed).
[assembly: AssemblyFixture(typeof(PostgresFixture))]

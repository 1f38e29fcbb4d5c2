using Vigil.Testing;

// One throwaway PostgreSQL server for the server tests that run on PostgreSQL (skipped where it is not installed).
[assembly: AssemblyFixture(typeof(PostgresFixture))]

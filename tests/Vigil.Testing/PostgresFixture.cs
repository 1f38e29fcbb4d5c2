namespace Vigil.Testing;

/// <summary>
/// One throwaway PostgreSQL server for a whole test assembly: declare <c>[assembly: AssemblyFixture(typeof(PostgresFixture))]</c>
/// and take it in a test class's constructor. Where PostgreSQL is not installed, <see cref="CreateDatabaseAsync"/> skips the
/// calling test with a message saying how to enable it; where it is installed but does not start, the test fails with the reason.
/// </summary>
public sealed class PostgresFixture : IAsyncLifetime
{
    private PostgresServer? _server;
    private Exception? _startFailure;

    /// <summary>The running server; skips the calling test when there is none.</summary>
    public PostgresServer Server
    {
        get
        {
            if (_server is null)
            {
                if (_startFailure is not null)
                {
                    throw new InvalidOperationException("the throwaway PostgreSQL server did not start: " + _startFailure.Message, _startFailure);
                }

                Assert.Skip(PostgresServer.HowToEnable);
            }

            return _server;
        }
    }

    /// <summary>Creates an empty database and returns its connection string (skipping the test when PostgreSQL is not installed).</summary>
    public Task<string> CreateDatabaseAsync(string prefix = "test", CancellationToken cancellationToken = default) =>
        Server.CreateDatabaseAsync(prefix, cancellationToken);

    /// <inheritdoc />
    public async ValueTask InitializeAsync()
    {
        if (PostgresServer.FindBinDirectory() is null)
        {
            return;
        }

        try
        {
            _server = await PostgresServer.StartAsync();
        }
        catch (InvalidOperationException ex)
        {
            _startFailure = ex;
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }
}

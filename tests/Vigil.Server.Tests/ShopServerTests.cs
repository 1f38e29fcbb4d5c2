namespace Vigil.Server.Tests;

/// <summary>
/// A real Vigil server with the service <c>shop</c> served by a real remote model, fresh for every test. Subclasses pick
/// the store (null for a fresh SQLite file, or a PostgreSQL database), so the same tests run on both.
/// </summary>
public abstract class ShopServerTests : IAsyncLifetime
{
    protected RemoteModel Remote { get; private set; } = null!;

    protected VigilTestServer Server { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        Remote = await RemoteModel.StartAsync();
        Server = await VigilTestServer.StartAsync(await CreateStoreAsync());
        await Server.CreateShopAsync(Remote);
    }

    public async ValueTask DisposeAsync()
    {
        await Server.DisposeAsync();
        await Remote.DisposeAsync();
    }

    /// <summary>The store to run on: null for a fresh SQLite file.</summary>
    protected abstract Task<string?> CreateStoreAsync();
}

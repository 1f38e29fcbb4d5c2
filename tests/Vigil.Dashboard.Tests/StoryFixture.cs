namespace Vigil.Dashboard.Tests;

/// <summary>One <see cref="DemoStory"/> and one browser shared by the read-only page tests of a class.</summary>
public sealed class StoryFixture : IAsyncLifetime
{
    public DemoStory Story { get; private set; } = null!;

    public Browser Browser { get; } = new();

    public async ValueTask InitializeAsync() => Story = await DemoStory.StartAsync();

    public async ValueTask DisposeAsync()
    {
        Browser.Dispose();
        await Story.DisposeAsync();
    }
}

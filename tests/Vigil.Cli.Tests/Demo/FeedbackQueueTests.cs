using Vigil.Cli.Demo;

namespace Vigil.Cli.Tests.Demo;

public sealed class FeedbackQueueTests
{
    private static DateTimeOffset T0 => new(2025, 3, 1, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public void TakeDue_ReturnsOnlyDueItems_EarliestFirst_AtMostMax()
    {
        var queue = new FeedbackQueue();
        queue.Enqueue(new PendingFeedback("c", true, T0.AddMinutes(30)));
        queue.Enqueue(new PendingFeedback("a", false, T0.AddMinutes(5)));
        queue.Enqueue(new PendingFeedback("b", true, T0.AddMinutes(10)));

        Assert.Empty(queue.TakeDue(T0, 10));
        Assert.Equal(["a"], queue.TakeDue(T0.AddMinutes(20), 1).Select(f => f.RequestId));
        Assert.Equal(["b"], queue.TakeDue(T0.AddMinutes(20), 10).Select(f => f.RequestId));
        Assert.Equal(T0.AddMinutes(30), queue.NextDueAt);
        Assert.Equal(1, queue.Count);
        Assert.Equal(["c"], queue.TakeDue(T0.AddHours(1), 10).Select(f => f.RequestId));
        Assert.Null(queue.NextDueAt);
    }
}

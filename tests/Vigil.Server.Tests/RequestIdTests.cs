using Vigil.Server.Gateway;

namespace Vigil.Server.Tests;

/// <summary>The gateway's request ids are UUID version 7 (RFC 9562) with the request's time, and never repeat.</summary>
public sealed class RequestIdTests
{
    [Fact]
    public void NewRequestId_IsAVersion7UuidCarryingTheMillisecond()
    {
        var at = new DateTimeOffset(2026, 11, 26, 4, 30, 15, 123, TimeSpan.Zero);

        var id = PredictionGateway.NewRequestId(at);

        Assert.Matches("^[0-9a-f]{32}$", id);
        var uuid = Guid.ParseExact(id, "N");
        Assert.Equal(7, uuid.Version);
        Assert.Equal(0b10, uuid.Variant >> 2); // RFC 9562 variant: 10xx
        Assert.Equal(at.ToUnixTimeMilliseconds(), Convert.ToInt64(id[..12], 16));
    }

    [Fact]
    public void NewRequestId_SameMillisecondOnManyThreads_NeverRepeatsAndSortsByTime()
    {
        var at = DateTimeOffset.FromUnixTimeMilliseconds(1_790_000_000_000);
        var ids = new System.Collections.Concurrent.ConcurrentBag<string>();
        Parallel.For(0, 8, _ =>
        {
            for (var i = 0; i < 5_000; i++) // many refills of the per-thread random block
            {
                ids.Add(PredictionGateway.NewRequestId(at));
            }
        });

        Assert.Equal(40_000, ids.Distinct().Count());
        var later = PredictionGateway.NewRequestId(at.AddMilliseconds(1));
        Assert.All(ids, id => Assert.True(string.CompareOrdinal(id, later) < 0, $"{id} should sort before {later}"));
    }
}

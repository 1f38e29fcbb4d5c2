using System.Collections.Concurrent;
using System.Diagnostics.Tracing;
using System.Globalization;
using System.Text;

namespace Vigil.Benchmarks.Gateway;

/// <summary>
/// Which types the process allocates, from the runtime's own sampled allocation events (GCAllocationTick: one event per
/// about 100 KB allocated, naming the type of the object that crossed the mark). Enabled by gateway-host's
/// <c>--alloc-types</c>; <c>GET /stats/alloc-types</c> lists the sampled bytes per type, largest first.
/// </summary>
internal sealed class AllocationTypes : EventListener
{
    private const EventKeywords GcKeyword = (EventKeywords)0x1;
    private readonly ConcurrentDictionary<string, long> _bytes = new();

    protected override void OnEventSourceCreated(EventSource eventSource)
    {
        if (eventSource.Name == "Microsoft-Windows-DotNETRuntime")
        {
            EnableEvents(eventSource, EventLevel.Verbose, GcKeyword);
        }
    }

    protected override void OnEventWritten(EventWrittenEventArgs eventData)
    {
        if (eventData.EventName is not { } name || !name.StartsWith("GCAllocationTick", StringComparison.Ordinal) || eventData.Payload is null)
        {
            return;
        }

        var index = eventData.PayloadNames!.IndexOf("TypeName");
        var amount = eventData.PayloadNames.IndexOf("AllocationAmount64");
        if (index < 0 || amount < 0)
        {
            return;
        }

        var type = eventData.Payload[index] as string ?? "?";
        _bytes.AddOrUpdate(type, Convert.ToInt64(eventData.Payload[amount], CultureInfo.InvariantCulture), (_, b) => b + Convert.ToInt64(eventData.Payload[amount], CultureInfo.InvariantCulture));
    }

    /// <summary>The sampled bytes per type since the last reset, largest first, and resets.</summary>
    public string Report()
    {
        var snapshot = _bytes.ToArray();
        _bytes.Clear();
        var total = snapshot.Sum(p => p.Value);
        var text = new StringBuilder();
        foreach (var (type, bytes) in snapshot.OrderByDescending(p => p.Value).Take(40))
        {
            text.Append(CultureInfo.InvariantCulture, $"{100.0 * bytes / Math.Max(1, total),6:F2}%  {bytes,14:N0}  {type}\n");
        }

        return text.ToString();
    }
}

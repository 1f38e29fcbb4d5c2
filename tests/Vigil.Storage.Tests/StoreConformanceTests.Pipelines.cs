using Vigil.Audit;
using Vigil.Pipelines;

namespace Vigil.Storage.Tests;

/// <summary>Store facts of pipelines, traces and judgments.</summary>
public abstract partial class StoreConformanceTests
{
    [Fact]
    public async Task ApplyPipeline_CreateThenChangeThenSame_VersionsAndAuditsOnlyRealChanges()
    {
        var created = await Store.ApplyPipelineAsync("qa", """{"v":1}""", Alice, Ct);
        var changed = await Store.ApplyPipelineAsync("qa", """{"v":2}""", Alice with { At = T0.AddMinutes(1) }, Ct);
        var same = await Store.ApplyPipelineAsync("qa", """{"v":2}""", Alice with { At = T0.AddMinutes(2) }, Ct);

        Assert.True(created.Created);
        Assert.Equal(1, created.Pipeline.Revision);
        Assert.True(changed.Changed);
        Assert.False(changed.Created);
        Assert.Equal(2, changed.Pipeline.Revision);
        Assert.False(same.Changed);
        Assert.Equal(2, same.Pipeline.Revision);
        var stored = await Store.GetPipelineAsync("qa", Ct);
        Assert.Equal("""{"v":2}""", stored!.Definition);
        Assert.Equal(T0, stored.CreatedAt);
        Assert.Equal(T0.AddMinutes(1), stored.UpdatedAt);
        Assert.Equal("""{"v":1}""", (await Store.GetPipelineRevisionAsync("qa", 1, Ct))!.Definition);
        Assert.Null(await Store.GetPipelineRevisionAsync("qa", 3, Ct));
        Assert.Equal(["qa"], (await Store.ListPipelinesAsync(Ct)).Select(p => p.Name));
        var audit = (await Store.QueryAuditAsync(new AuditQuery(), Ct)).Where(a => a.Target == "pipelines/qa").ToList();
        Assert.Equal(["pipeline.updated", "pipeline.created"], audit.Select(a => a.Action));
        Assert.Equal("""{"v":1}""", audit[0].Before);
        Assert.Equal("""{"v":2}""", audit[0].After);
    }

    [Fact]
    public async Task WriteTraces_DuplicateTraceId_KeepsTheFirstAndReportsIt()
    {
        var first = await Store.WriteTracesAsync("qa", [new StoredTrace("t1", T0, "[1]"), new StoredTrace("t2", T0, "[2]")], Ct);
        var again = await Store.WriteTracesAsync("qa", [new StoredTrace("t1", T0.AddMinutes(1), "[9]"), new StoredTrace("t3", T0, "[3]")], Ct);
        var other = await Store.WriteTracesAsync("other", [new StoredTrace("t1", T0, "[7]")], Ct);

        Assert.Equal(new TraceWriteResult(2, []), first with { Duplicates = [] });
        Assert.Empty(first.Duplicates);
        Assert.Equal(1, again.Stored);
        Assert.Equal(["t1"], again.Duplicates);
        Assert.Equal(1, other.Stored);
        var traces = await ReadAllAsync("qa", T0, T0.AddDays(1));
        Assert.Equal("[1]", traces.Single(t => t.TraceId == "t1").Stages);
        Assert.Equal(3, traces.Count);
    }

    [Fact]
    public async Task Judgments_JoinByTraceId_OrphansAreKeptCountedAndJoinedWhenTheTraceArrives()
    {
        await Store.WriteTracesAsync("qa", [new StoredTrace("t1", T0, "[]"), new StoredTrace("t2", T0.AddHours(2), "[]")], Ct);

        var written = await Store.WriteJudgmentsAsync(
            "qa",
            [new StoredJudgment("t1", T0, "a"), new StoredJudgment("t1", T0, "b"), new StoredJudgment("late", T0, "c")],
            Ct);

        Assert.Equal(3, written.Stored);
        Assert.Equal(["late"], written.OrphanTraceIds);
        Assert.Equal(1, await Store.CountOrphanJudgmentsAsync("qa", Ct));
        var traces = await ReadAllAsync("qa", T0, T0.AddHours(1));
        var t1 = Assert.Single(traces);
        Assert.Equal(["a", "b"], t1.Judgments);

        await Store.WriteTracesAsync("qa", [new StoredTrace("late", T0.AddMinutes(5), "[]")], Ct);

        Assert.Equal(0, await Store.CountOrphanJudgmentsAsync("qa", Ct));
        var joined = await ReadAllAsync("qa", T0, T0.AddHours(1));
        Assert.Equal(["t1", "late"], joined.Select(t => t.TraceId));
        Assert.Equal(["c"], joined[1].Judgments);
        Assert.Empty((await ReadAllAsync("qa", T0.AddHours(2), T0.AddHours(3))).Single().Judgments);
    }

    [Fact]
    public async Task MergeTrace_NewThenExisting_InsertsThenMergesKeepingTheEarlierTime()
    {
        var first = await Store.MergeTraceAsync("qa", new StoredTrace("t1", T0.AddMinutes(1), "a"), (x, y) => x + y, Ct);
        var second = await Store.MergeTraceAsync("qa", new StoredTrace("t1", T0, "b"), (x, y) => x + y, Ct);

        Assert.True(first);
        Assert.False(second);
        Assert.Equal(new StoredTrace("t1", T0, "ab"), await Store.GetTraceAsync("qa", "t1", Ct));
        Assert.Null(await Store.GetTraceAsync("qa", "t9", Ct));
    }

    [Fact]
    public async Task MergeTrace_ConcurrentMergesOfOneTrace_LoseNothing()
    {
        await Task.WhenAll(Enumerable.Range(0, 8).Select(i =>
            Store.MergeTraceAsync("qa", new StoredTrace("t1", T0, i.ToString(System.Globalization.CultureInfo.InvariantCulture)), (x, y) => x + y, Ct)));

        var stored = await Store.GetTraceAsync("qa", "t1", Ct);
        Assert.Equal("01234567", string.Concat(stored!.Stages.Order()));
    }

    private async Task<List<StoredJudgedTrace>> ReadAllAsync(string pipeline, DateTimeOffset from, DateTimeOffset to)
    {
        var list = new List<StoredJudgedTrace>();
        await foreach (var trace in Store.ReadJudgedTracesAsync(pipeline, from, to, Ct))
        {
            list.Add(trace);
        }

        return list;
    }
}

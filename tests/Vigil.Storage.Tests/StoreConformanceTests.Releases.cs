using Vigil.Predictions;
using Vigil.Releases;

namespace Vigil.Storage.Tests;

public abstract partial class StoreConformanceTests
{
    [Fact]
    public async Task GetShadowPairs_PairsEachShadowCallWithTheChampionAnswerItCopied_InItsWindowAndVersion_NewestFirst()
    {
        var champion = Enumerable.Range(0, 4)
            .Select(i => Prediction($"c{i}", 1, Arms.Champion) with { At = T0.AddMinutes(i), Outputs = $"{{\"probability\":0.{i}}}", LatencyMs = 10 + i })
            .ToList();
        var shadows = new List<PredictionRecord>
        {
            Prediction("s0", 2, Arms.Shadow) with { At = T0.AddMinutes(0), Outputs = "{\"probability\":0.9}", LatencyMs = 50, ShadowOf = "c0" },
            Prediction("s1", 2, Arms.Shadow) with { At = T0.AddMinutes(1), Outputs = null, Error = "timeout", LatencyMs = 1000, ShadowOf = "c1" },
            Prediction("s2", 2, Arms.Shadow) with { At = T0.AddMinutes(2), Outputs = "{\"probability\":0.8}", LatencyMs = 60, ShadowOf = "c2" },
            Prediction("s3", 3, Arms.Shadow) with { At = T0.AddMinutes(3), Outputs = "{\"probability\":0.1}", LatencyMs = 70, ShadowOf = "c3" },
            Prediction("s4", 2, Arms.Shadow) with { At = T0.AddMinutes(3), Outputs = "{\"probability\":0.1}", LatencyMs = 70, ShadowOf = "missing" },
        };
        await Store.WritePredictionsAsync([.. champion, .. shadows], Ct);

        var pairs = await Store.GetShadowPairsAsync(new ShadowPairsQuery("shop", 2, T0, T0.AddMinutes(10)), Ct);

        // s3 is another version, s4 copies an answer that is not stored; the rest come newest first.
        Assert.Equal(
            [
                new ShadowPair("{\"probability\":0.2}", 12, "{\"probability\":0.8}", 60, null),
                new ShadowPair("{\"probability\":0.1}", 11, null, 1000, "timeout"),
                new ShadowPair("{\"probability\":0.0}", 10, "{\"probability\":0.9}", 50, null),
            ],
            pairs);
        Assert.Single(await Store.GetShadowPairsAsync(new ShadowPairsQuery("shop", 2, T0.AddMinutes(1), T0.AddMinutes(2)), Ct));
        Assert.Equal(2, (await Store.GetShadowPairsAsync(new ShadowPairsQuery("shop", 2, T0, T0.AddMinutes(10), Limit: 2), Ct)).Count);
        Assert.Empty(await Store.GetShadowPairsAsync(new ShadowPairsQuery("other", 2, T0, T0.AddMinutes(10)), Ct));
    }
}

public abstract partial class StoreConformanceTests
{
    [Fact]
    public async Task GetArmCounts_Accuracy_CountsMaturedLabelOutcomesAndThoseEqualToTheOutputLabel_WithTrueAndOneAlike()
    {
        await Store.WritePredictionsAsync(
            [
                Prediction("a", 1, Arms.Champion) with { Outputs = "{\"probability\":0.9,\"label\":true}" },
                Prediction("b", 1, Arms.Champion) with { Outputs = "{\"probability\":0.2,\"label\":false}" },
                Prediction("c", 1, Arms.Champion) with { Outputs = "{\"probability\":0.7,\"label\":true}" },
                Prediction("d", 2, Arms.Shadow) with { Outputs = "{\"label\":\"spam\",\"scores\":{\"spam\":0.8}}" },
                Prediction("e", 2, Arms.Shadow) with { Outputs = "{\"label\":\"ham\"}" },
                Prediction("f", 2, Arms.Shadow) with { Outputs = null, Error = "timeout" },
                Prediction("young", 1, Arms.Champion) with { At = T0.AddMinutes(50), Outputs = "{\"label\":true}" },
            ],
            Ct);
        await Store.RecordOutcomesAsync(
            [
                Outcome("a", "label", "1", 1),        // 1 is true: a match
                Outcome("b", "label", "false", 0),    // a match
                Outcome("c", "label", "false", 0),    // a miss
                Outcome("d", "label", "\"spam\"", null),
                Outcome("e", "label", "\"spam\"", null),
                Outcome("f", "label", "\"spam\"", null), // failed: no output to compare, not a trial
                Outcome("young", "label", "true", 1),  // not matured: pending
                Outcome("a", "accuracy", "1", 1),      // sent directly, added to the label-matched count
            ],
            Ct);

        var counts = await Store.GetArmCountsAsync(new ArmCountsQuery("shop", T0, T0.AddHours(1), MaturedBefore: T0.AddMinutes(30)), Ct);

        Assert.Equal(new OutcomeCount("accuracy", 4, 3), Assert.Single(counts[0].Outcomes, o => o.Name == "accuracy"));
        Assert.Equal((2, Arms.Shadow), (counts[1].Version, counts[1].Arm));
        Assert.Equal(new OutcomeCount("accuracy", 2, 1), Assert.Single(counts[1].Outcomes, o => o.Name == "accuracy"));
    }
}

public abstract partial class StoreConformanceTests
{
    [Fact]
    public async Task Segments_CreateUpdateGetList_WithRevisionsAudit_AndConflicts()
    {
        var segment = new Vigil.Routing.Flags.StoredSegment("dach", null, "{\"key\":\"dach\",\"conditions\":[]}", 0, T0);

        var created = (await Store.CreateSegmentAsync(segment, Alice, Ct)).Unwrap();
        var duplicate = await Store.CreateSegmentAsync(segment, Alice, Ct);
        var updated = (await Store.UpdateSegmentAsync("dach", 1, "{\"key\":\"dach\",\"conditions\":[1]}", Alice, Ct)).Unwrap();
        var stale = await Store.UpdateSegmentAsync("dach", 1, "{}", Alice, Ct);
        var unknown = await Store.UpdateSegmentAsync("nope", 1, "{}", Alice, Ct);

        Assert.Equal(1, created.Revision);
        Assert.Equal(FailureKind.Conflict, duplicate.Failure?.Kind);
        Assert.Equal(2, updated.Revision);
        Assert.Equal(FailureKind.Conflict, stale.Failure?.Kind);
        Assert.Equal(FailureKind.NotFound, unknown.Failure?.Kind);
        Assert.Equal(updated, await Store.GetSegmentAsync("dach", Ct));
        Assert.Equal([updated], await Store.ListSegmentsAsync(Ct));
        Assert.Empty(await Store.ListFlagsAsync(null, Ct));
        var audit = await Store.QueryAuditAsync(new Vigil.Audit.AuditQuery(Action: "segment.updated"), Ct);
        Assert.Equal("segments/dach", Assert.Single(audit).Target);
    }
}

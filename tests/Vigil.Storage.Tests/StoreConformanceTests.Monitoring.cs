using Vigil.Audit;
using Vigil.Monitoring;
using Vigil.Profiles;
using Vigil.Registry;

namespace Vigil.Storage.Tests;

/// <summary>The monitoring part of the store: baselines, window roll-ups, alert states (compare-and-set) and silences.</summary>
public abstract partial class StoreConformanceTests
{
    private static StoredAlert Alert(string monitor = "input-drift", string subject = "price", AlertState state = AlertState.Firing, DateTimeOffset? activeAt = null) =>
        new(
            StoredAlert.IdOf("shop", 1, "champion", monitor, subject),
            "shop",
            1,
            "champion",
            new AlertStatus(monitor, subject, state, activeAt ?? T0, T0.AddMinutes(-3), state == AlertState.Firing ? T0.AddMinutes(2) : null, T0.AddMinutes(2), null, 4.1, 0.25),
            AlertSeverity.Critical,
            MonitorLayer.Input,
            "input-drift: psi of 'price' = 4.1",
            false,
            null,
            0,
            T0);

    [Fact]
    public async Task Baseline_SavedAndReadBack_KeepsEveryProfile_ReplacesTheOld_AndIsAudited()
    {
        await CreateServiceWithVersionsAsync("shop", 1);
        var price = FeatureProfile.CreateNumeric(seed: 17);
        foreach (var v in Enumerable.Range(1, 1000))
        {
            price.Add(v / 10.0);
        }

        var country = FeatureProfile.CreateCategorical();
        country.Add("DE");
        country.Add("FR");
        country.AddNull();
        var first = new StoredBaseline("shop", 1, 1000, "upload", new Dictionary<string, FeatureProfile> { ["price"] = price, ["country"] = country }, T0, "x");
        (await Store.SaveBaselineAsync(first, Alice, Ct)).Unwrap();
        (await Store.SaveBaselineAsync(first with { Rows = 3, Source = "window 2026-11-01/2026-11-07", Profiles = new Dictionary<string, FeatureProfile> { ["country"] = country } }, Alice, Ct)).Unwrap();

        var read = await Store.GetBaselineAsync("shop", 1, Ct);
        Assert.NotNull(read);
        Assert.Equal((3L, "alice"), (read.Rows, read.CreatedBy));
        Assert.Equal(["country"], read.Profiles.Keys);
        Assert.Equal(3, read.Profiles["country"].Count);
        Assert.Equal(1, read.Profiles["country"].Nulls);
        Assert.Single(await Store.ListBaselinesAsync(Ct));

        (await Store.SaveBaselineAsync(first, Alice, Ct)).Unwrap();
        var again = (await Store.GetBaselineAsync("shop", 1, Ct))!;
        Assert.Equal(price.Quantiles!.GetQuantile(0.5), again.Profiles["price"].Quantiles!.GetQuantile(0.5));
        Assert.Equal(price.Moments.Mean, again.Profiles["price"].Moments.Mean, 12);

        var audit = await Store.QueryAuditAsync(new AuditQuery(Action: MonitoringAuditActions.BaselineSet), Ct);
        Assert.Equal(3, audit.Count);
        Assert.Contains("window 2026-11-01", audit[0].Before, StringComparison.Ordinal);
        Assert.Equal(FailureKind.NotFound, (await Store.SaveBaselineAsync(first with { Version = 9 }, Alice, Ct)).Failure!.Kind);
        Assert.Null(await Store.GetBaselineAsync("shop", 9, Ct));
    }

    [Fact]
    public async Task Windows_RollUpIntoHoursAndDays_AReplicasShareCombines_AndRetentionPrunesPerResolution()
    {
        static string Sum(string a, string b) => (long.Parse(a, System.Globalization.CultureInfo.InvariantCulture) + long.Parse(b, System.Globalization.CultureInfo.InvariantCulture)).ToString(System.Globalization.CultureInfo.InvariantCulture);
        var day = new DateTimeOffset(2026, 11, 1, 0, 0, 0, TimeSpan.Zero);
        var minutes = Enumerable.Range(0, 90).Select(m => new StoredWindow("shop", 1, "champion", WindowResolution.Minute, day.AddMinutes(m), "1")).ToList();
        await Store.AddWindowsAsync(minutes[..60], Sum, Ct);
        await Store.AddWindowsAsync(minutes[60..], Sum, Ct);
        await Store.AddWindowsAsync([minutes[0] with { Summary = "5" }], Sum, Ct); // another replica's share of minute 0

        var stored = await Store.ListWindowsAsync("shop", null, WindowResolution.Minute, day, 1000, Ct);
        Assert.Equal(90, stored.Count);
        Assert.Equal("6", stored[0].Summary);
        Assert.Equal(day.AddMinutes(89), stored[^1].Start);
        var hours = await Store.ListWindowsAsync("shop", 1, WindowResolution.Hour, day, 10, Ct);
        Assert.Equal([("65", day), ("30", day.AddHours(1))], hours.Select(h => (h.Summary, h.Start)));
        Assert.Equal("95", Assert.Single(await Store.ListWindowsAsync("shop", null, WindowResolution.Day, day, 10, Ct)).Summary);
        Assert.Equal(day.AddMinutes(80), (await Store.ListWindowsAsync("shop", null, WindowResolution.Minute, day, 10, Ct))[0].Start);
        Assert.Empty(await Store.ListWindowsAsync("shop", 2, WindowResolution.Hour, day, 10, Ct));

        // Eight days on, the minutes are gone and the hours and the day remain; a hundred days on only the day.
        Assert.Equal(90, await Store.PruneWindowsAsync(day.AddDays(8), Ct));
        Assert.Empty(await Store.ListWindowsAsync("shop", null, WindowResolution.Minute, day, 1000, Ct));
        Assert.Equal(2, (await Store.ListWindowsAsync("shop", null, WindowResolution.Hour, day, 10, Ct)).Count);
        Assert.Equal(2, await Store.PruneWindowsAsync(day.AddDays(100), Ct));
        Assert.Single(await Store.ListWindowsAsync("shop", null, WindowResolution.Day, day, 10, Ct));
    }

    [Fact]
    public async Task Alert_PutIsCompareAndSet_OneOfTwoReplicasWins_AndAckLastsOneEpisode()
    {
        var pending = Alert(state: AlertState.Pending);
        var created = (await Store.PutAlertAsync(pending, 0, Ct)).Unwrap();
        Assert.Equal(1, created.Revision);
        Assert.Equal(FailureKind.Conflict, (await Store.PutAlertAsync(pending, 0, Ct)).Failure!.Kind);

        // Two replicas both see pending → firing at revision 1: exactly one write succeeds.
        var firing = Alert();
        var results = await Task.WhenAll(Task.Run(() => Store.PutAlertAsync(firing, 1, Ct)), Task.Run(() => Store.PutAlertAsync(firing, 1, Ct)));
        Assert.Single(results, r => r.IsSuccess);
        Assert.Equal(FailureKind.Conflict, Assert.Single(results, r => !r.IsSuccess).Failure!.Kind);

        var read = await Store.GetAlertAsync(firing.Id, Ct);
        Assert.NotNull(read);
        Assert.Equal((AlertState.Firing, 2L, 300.0), (read.Status.State, read.Revision, read.Status.TimeToDetectSeconds));
        Assert.Equal(firing.Status, read.Status);
        Assert.Equal((AlertSeverity.Critical, MonitorLayer.Input), (read.Severity, read.Layer));

        var acked = (await Store.AckAlertAsync(firing.Id, "looking at the feed", Alice with { Actor = "bob" }, Ct)).Unwrap();
        Assert.Equal("bob", acked.Ack!.By);
        var audit = Assert.Single(await Store.QueryAuditAsync(new AuditQuery(Action: MonitoringAuditActions.AlertAcked), Ct));
        Assert.Equal(("looking at the feed", "shop"), (audit.Reason, audit.Service));

        // Same episode: the ack stays (and an ack does not move the evaluator's revision); a new episode clears it.
        var still = (await Store.PutAlertAsync(firing with { Summary = "later" }, 2, Ct)).Unwrap();
        Assert.Equal("bob", still.Ack?.By);
        var resolved = (await Store.PutAlertAsync(firing with { Status = firing.Status with { State = AlertState.Resolved, ResolvedAt = T0.AddMinutes(9) } }, 3, Ct)).Unwrap();
        Assert.Null(resolved.Ack);
        Assert.Equal(FailureKind.Conflict, (await Store.AckAlertAsync(firing.Id, "late", Alice, Ct)).Failure!.Kind);
        Assert.Equal(FailureKind.NotFound, (await Store.AckAlertAsync("nope", "x", Alice, Ct)).Failure!.Kind);

        (await Store.PutAlertAsync(Alert("null-rate-jump", "country", AlertState.Inactive), 0, Ct)).Unwrap();
        Assert.Single(await Store.ListAlertsAsync("shop", includeInactive: false, Ct));
        Assert.Equal(2, (await Store.ListAlertsAsync(null, includeInactive: true, Ct)).Count);
        Assert.Empty(await Store.ListAlertsAsync("other", includeInactive: true, Ct));
    }

    [Fact]
    public async Task Silences_CreateListExpire_AreAudited_AndExpiredOnesDropOutOfTheList()
    {
        var silence = new Silence("sil-1", "shop", "input-drift", null, T0, T0.AddHours(2), "alice", "feed migration tonight", T0);
        (await Store.CreateSilenceAsync(silence, Alice, Ct)).Unwrap();
        Assert.Equal(FailureKind.Conflict, (await Store.CreateSilenceAsync(silence, Alice, Ct)).Failure!.Kind);
        (await Store.CreateSilenceAsync(silence with { Id = "sil-2", Service = null, Monitor = null, Subject = "price", EndsAt = T0.AddMinutes(5) }, Alice, Ct)).Unwrap();

        var active = await Store.ListSilencesAsync(false, T0.AddMinutes(10), Ct);
        Assert.Equal(silence, Assert.Single(active));
        Assert.Equal(2, (await Store.ListSilencesAsync(true, T0.AddMinutes(10), Ct)).Count);

        var expired = (await Store.ExpireSilenceAsync("sil-1", Alice with { Actor = "bob", At = T0.AddMinutes(30) }, Ct)).Unwrap();
        Assert.Equal((T0.AddMinutes(30), "bob"), (expired.EndsAt, expired.ExpiredBy));
        Assert.Empty(await Store.ListSilencesAsync(false, T0.AddMinutes(31), Ct));
        Assert.Equal(FailureKind.Conflict, (await Store.ExpireSilenceAsync("sil-1", Alice with { At = T0.AddMinutes(40) }, Ct)).Failure!.Kind);
        Assert.Equal(FailureKind.NotFound, (await Store.ExpireSilenceAsync("nope", Alice, Ct)).Failure!.Kind);
        Assert.Equal(2, (await Store.QueryAuditAsync(new AuditQuery(Action: MonitoringAuditActions.SilenceCreated), Ct)).Count);
        Assert.Single(await Store.QueryAuditAsync(new AuditQuery(Action: MonitoringAuditActions.SilenceExpired), Ct));
    }

    [Fact]
    public async Task PredictionInputs_OfOneVersionInAWindow_WithoutFailedOnes_EarliestFirst()
    {
        await Store.WritePredictionsAsync(
        [
            Prediction("r1", 1, "champion") with { At = T0, Inputs = "{\"price\":1}" },
            Prediction("r2", 1, "champion") with { At = T0.AddMinutes(1), Inputs = "{\"price\":2}" },
            Prediction("r3", 1, "champion") with { At = T0.AddMinutes(2), Inputs = "{\"price\":3}", Error = "timeout" },
            Prediction("r4", 2, "canary") with { At = T0.AddMinutes(1), Inputs = "{\"price\":4}" },
            Prediction("r5", 1, "champion") with { At = T0.AddMinutes(10), Inputs = "{\"price\":5}" },
        ], Ct);
        await SettleAsync();

        Assert.Equal(["{\"price\":1}", "{\"price\":2}"], await Store.ListPredictionInputsAsync("shop", 1, T0, T0.AddMinutes(10), 100, Ct));
        Assert.Equal(["{\"price\":1}"], await Store.ListPredictionInputsAsync("shop", 1, T0, T0.AddHours(1), 1, Ct));
        Assert.Equal(["{\"price\":4}"], await Store.ListPredictionInputsAsync("shop", 2, T0, T0.AddHours(1), 100, Ct));
    }
}

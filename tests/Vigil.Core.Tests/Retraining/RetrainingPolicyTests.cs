using Vigil.Releases;
using Vigil.Retraining;

namespace Vigil.Core.Tests.Retraining;

public sealed class RetrainingPolicyTests
{
    private static readonly TrainerSpec MlNet = new(TrainerKind.Mlnet);

    [Fact]
    public void Policy_WithBadCronZoneAndTrainer_ListsEveryProblem()
    {
        var policy = new RetrainingPolicy(
            new TrainerSpec(TrainerKind.Command, Command: "python3 train.py --data {data}"),
            Schedule: new ScheduleTrigger("every night at three", "Mars/Olympus"),
            Data: new DataTrigger(0),
            MaxPerDay: 0);
        var errors = policy.Validate("shop");
        Assert.Contains(errors, e => e.StartsWith("schedule.cron: 'every night at three' is not a cron expression", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("{output}", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("data.new_labels", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("max_per_day", StringComparison.Ordinal));
    }

    [Fact]
    public void Policy_WithUnknownTimeZone_SaysWhichIdsWork()
    {
        var errors = new RetrainingPolicy(MlNet, Schedule: new ScheduleTrigger("0 3 * * *", "Mars/Olympus")).Validate("shop");
        Assert.Equal(["schedule.time_zone: 'Mars/Olympus' is not a known time zone; use an IANA id such as Europe/Berlin or UTC"], errors);
    }

    [Fact]
    public void Schedule_InATimeZone_FiresAtLocalTime_AcrossDaylightSaving()
    {
        var schedule = new ScheduleTrigger("0 3 * * *", "Europe/Berlin");
        // Winter (CET, UTC+1): 03:00 Berlin is 02:00 UTC; summer (CEST, UTC+2): 01:00 UTC.
        Assert.Equal(new DateTimeOffset(2026, 11, 3, 2, 0, 0, TimeSpan.Zero), schedule.Next(new DateTimeOffset(2026, 11, 2, 8, 0, 0, TimeSpan.Zero))!.Value.ToUniversalTime());
        Assert.Equal(new DateTimeOffset(2026, 7, 2, 1, 0, 0, TimeSpan.Zero), schedule.Next(new DateTimeOffset(2026, 7, 1, 8, 0, 0, TimeSpan.Zero))!.Value.ToUniversalTime());
    }

    [Fact]
    public void ReleaseTemplate_MustLeaveTheChallengerOpen_AndBelongToTheService()
    {
        var template = new ReleasePlan("other", 3, ReleaseStrategy.Canary, Steps: [new ReleaseStep(new Percent(10), Duration.Hours(1))]);
        var errors = new RetrainingPolicy(MlNet, ReleaseTemplate: template).Validate("shop");
        Assert.Contains("release_template.service: must be 'shop'", errors);
        Assert.Contains(errors, e => e.StartsWith("release_template.challenger: leave it out", StringComparison.Ordinal));
    }

    [Fact]
    public void Holdout_IsStablePerRequestId_AndNearItsFraction()
    {
        var gate = new EvaluationGate(HoldoutFraction: 0.2);
        var ids = Enumerable.Range(0, 20_000).Select(i => $"req-{i}").ToList();
        var share = ids.Count(gate.InHoldout) / (double)ids.Count;
        Assert.InRange(share, 0.19, 0.21);
        Assert.All(ids.Take(100), id => Assert.Equal(gate.InHoldout(id), new EvaluationGate(HoldoutFraction: 0.2).InHoldout(id)));
    }
}

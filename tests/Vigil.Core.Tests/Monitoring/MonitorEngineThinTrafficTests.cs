using Vigil.Monitoring;
using Vigil.Profiles;

namespace Vigil.Core.Tests.Monitoring;

/// <summary>
/// Drift monitors on thin traffic: a window with fewer than <see cref="MonitorEngine.MinDriftValues"/> values of a feature
/// has no drift value, so sampling noise cannot fire input-drift — a regression test for the demo's release traffic
/// (about 15 requests per 15-minute window) raising PSI alerts on every feature of an unchanged stream.
/// </summary>
public sealed class MonitorEngineThinTrafficTests
{
    private static readonly string[] Countries = ["DE", "FR", "US", "GB", "BR", "IN"];

    private static (List<AlertEvent> Events, MonitorEngine Engine) Run(int perMinute, int minutes, Func<Random, string> country)
    {
        var random = new Random(4);
        var baseline = FeatureProfile.CreateCategorical();
        for (var i = 0; i < 20_000; i++)
        {
            baseline.Add(Countries[random.Next(Countries.Length)]);
        }

        var engine = new MonitorEngine(DefaultMonitors.All, new Dictionary<string, FeatureProfile>(StringComparer.Ordinal) { ["country"] = baseline });
        var start = new DateTimeOffset(2026, 11, 1, 0, 0, 0, TimeSpan.Zero);
        var events = new List<AlertEvent>();
        for (var m = 0; m < minutes; m++)
        {
            var window = new WindowProfiles(start.AddMinutes(m), WindowProfiles.BaseLength);
            for (var i = 0; i < perMinute; i++)
            {
                window.Requests++;
                window.Categorical("country").Add(country(random));
            }

            events.AddRange(engine.Evaluate(window, window.End));
        }

        return (events, engine);
    }

    [Fact]
    public void UnchangedTrafficOfOneRequestAMinute_RaisesNoDriftAlert()
    {
        var (events, _) = Run(perMinute: 1, minutes: 24 * 60, r => Countries[r.Next(Countries.Length)]);

        Assert.DoesNotContain(events, e => e.Monitor == "input-drift");
    }

    [Fact]
    public void AShiftWithEnoughValues_StillFires()
    {
        var (events, _) = Run(perMinute: 20, minutes: 60, _ => "BR");

        Assert.Contains(events, e => e.Monitor == "input-drift" && e.Subject == "country" && e.To == AlertState.Firing);
    }
}

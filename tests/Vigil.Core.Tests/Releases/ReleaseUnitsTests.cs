using System.Text.Json;
using Vigil.Releases;

namespace Vigil.Core.Tests.Releases;

public sealed class ReleaseUnitsTests
{
    [Theory]
    [InlineData("2d", 2 * 86_400)]
    [InlineData("4h", 4 * 3_600)]
    [InlineData("5m", 300)]
    [InlineData("90s", 90)]
    [InlineData("1h30m", 5_400)]
    [InlineData("1d12h", 129_600)]
    [InlineData("0s", 0)]
    public void Duration_ParsesEveryUnit(string text, int seconds)
    {
        Assert.True(Duration.TryParse(text, out var duration));
        Assert.Equal(TimeSpan.FromSeconds(seconds), duration.Value);
    }

    [Theory]
    [InlineData("")]
    [InlineData("2")]
    [InlineData("d")]
    [InlineData("2w")]
    [InlineData("1.5h")]
    [InlineData("30m1h")]
    [InlineData("1h1h")]
    [InlineData("-2d")]
    [InlineData("PT5M")]
    public void Duration_RefusesOtherForms(string text) => Assert.False(Duration.TryParse(text, out _));

    [Theory]
    [InlineData(90, "1m30s")]
    [InlineData(172_800, "2d")]
    [InlineData(5_400, "1h30m")]
    [InlineData(0, "0s")]
    public void Duration_WritesLargestUnitsFirst(int seconds, string expected) =>
        Assert.Equal(expected, new Duration(TimeSpan.FromSeconds(seconds)).ToString());

    [Theory]
    [InlineData("1%", 1)]
    [InlineData("0.5%", 0.5)]
    [InlineData("100%", 100)]
    [InlineData(" 25 %", 25)]
    public void Percent_Parses(string text, double value)
    {
        Assert.True(Percent.TryParse(text, out var percent));
        Assert.Equal(value, percent.Value);
        Assert.Equal(value / 100, percent.Fraction, 12);
    }

    [Theory]
    [InlineData("1")]
    [InlineData("1pp")]
    [InlineData("%")]
    [InlineData("1e2%")]
    [InlineData("one%")]
    public void Percent_RefusesOtherForms(string text) => Assert.False(Percent.TryParse(text, out _));

    [Fact]
    public void PercentagePoints_NeedsItsSuffix()
    {
        Assert.True(PercentagePoints.TryParse("3pp", out var points));
        Assert.Equal(0.03, points.Fraction, 12);
        Assert.False(PercentagePoints.TryParse("3%", out _));
        Assert.False(PercentagePoints.TryParse("3", out _));
    }

    [Fact]
    public void Threshold_ReadsPercentAndMilliseconds()
    {
        Assert.True(Threshold.TryParse("2%", out var share));
        Assert.Equal(Threshold.Percent(2), share);
        Assert.True(Threshold.TryParse("250ms", out var latency));
        Assert.Equal(Threshold.Milliseconds(250), latency);
        Assert.False(Threshold.TryParse("250", out _));
        Assert.False(Threshold.TryParse("0.25s", out _));
    }

    [Fact]
    public void IssuePlanJson_DeserializesToThePlan_AndRoundTrips()
    {
        var plan = VigilJson.Deserialize<ReleasePlan>(ReleaseTestPlans.IssueJson)!;

        AssertSamePlan(ReleaseTestPlans.Issue, plan);
        var json = VigilJson.Serialize(plan);
        Assert.Contains("\"weight\":\"1%\"", json, StringComparison.Ordinal);
        Assert.Contains("\"hold\":\"2d\"", json, StringComparison.Ordinal);
        Assert.Contains("\"max_drop\":\"3pp\"", json, StringComparison.Ordinal);
        Assert.Contains("\"max\":\"250ms\"", json, StringComparison.Ordinal);
        Assert.Contains("\"min_samples_per_step\":500", json, StringComparison.Ordinal);
        Assert.DoesNotContain("step_list", json, StringComparison.Ordinal);
        AssertSamePlan(plan, VigilJson.Deserialize<ReleasePlan>(json)!);
    }

    [Fact]
    public void MinimalPlan_TakesTheDocumentedDefaults()
    {
        var plan = VigilJson.Deserialize<ReleasePlan>("""
            { "service": "fraud", "challenger": 2, "strategy": "canary",
              "steps": [ { "weight": "5%", "hold": "1d" } ], "triggers": [ { "metric": "error_rate", "max": "1%" } ] }
            """)!;

        Assert.Equal(500, plan.MinSamplesPerStep);
        Assert.Equal(TimeSpan.FromMinutes(5), plan.EffectiveAnalysisInterval);
        Assert.Equal(TimeSpan.FromHours(1), plan.EffectiveOutcomeWindow);
        Assert.False(plan.FallbackOnError);
        Assert.Empty(plan.PromotionList);
        Assert.Equal(TriggerCompare.Absolute, plan.TriggerList[0].EffectiveCompare);
        Assert.Equal(0.95, plan.TriggerList[0].EffectiveConfidence);
    }

    [Theory]
    [InlineData("\"weight\": 1", "needs its unit")]
    [InlineData("\"weight\": \"1 percent\"", "is not a percentage")]
    [InlineData("\"hold\": \"2 days\"", "is not a duration")]
    public void BadUnit_IsAClearJsonError(string replacement, string expected)
    {
        var json = """{ "service": "fraud", "challenger": 2, "strategy": "canary", "steps": [ { "weight": "5%", "hold": "1d" } ] }""";
        json = replacement.StartsWith("\"weight\"", StringComparison.Ordinal)
            ? json.Replace("\"weight\": \"5%\"", replacement, StringComparison.Ordinal)
            : json.Replace("\"hold\": \"1d\"", replacement, StringComparison.Ordinal);

        var error = Assert.Throws<JsonException>(() => VigilJson.Deserialize<ReleasePlan>(json));
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    internal static void AssertSamePlan(ReleasePlan expected, ReleasePlan actual)
    {
        Assert.Equal(expected with { Steps = null, Triggers = null, Promotion = null, Approval = null }, actual with { Steps = null, Triggers = null, Promotion = null, Approval = null });
        Assert.Equal(expected.StepList, actual.StepList);
        Assert.Equal(expected.TriggerList, actual.TriggerList);
        Assert.Equal(expected.PromotionList, actual.PromotionList);
        Assert.Equal(expected.ApprovalList, actual.ApprovalList);
    }
}

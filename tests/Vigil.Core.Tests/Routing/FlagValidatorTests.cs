using Vigil.Routing.Flags;

namespace Vigil.Core.Tests.Routing;

public sealed class FlagValidatorTests
{
    [Fact]
    public void Validate_ReportsEveryErrorAtOnce()
    {
        var flag = new FlagDefinition(
            "Checkout_Flag",
            true,
            [
                new TargetingRule([
                    new Condition("country", "lt", Value: "1"),
                    new Condition("country", "in", []),
                    new Condition("age", ">=", Value: "eighteen"),
                    new Condition("", "equals", Value: "x"),
                ]),
                new TargetingRule(Segments: ["beta-users"]),
                new TargetingRule(),
            ],
            Percentage: 150);
        var errors = FlagValidator.Validate(flag, new Dictionary<string, Segment>());
        Assert.Equal(8, errors.Count);
        // Without the set of segments (a file checked before it is sent), references are left to the server.
        Assert.Equal(7, FlagValidator.Validate(flag).Count);
        Assert.Contains(errors, e => e.Contains("key is not valid"));
        Assert.Contains(errors, e => e.Contains("rules[0].conditions[0]: unknown operator 'lt'; use one of in, not_in, equals, <, <=, >, >=, starts_with, contains"));
        Assert.Contains(errors, e => e.Contains("rules[0].conditions[1]: 'in' needs a non-empty 'values' list"));
        Assert.Contains(errors, e => e.Contains("rules[0].conditions[2]: '>=' compares numbers, and 'eighteen' is not a finite number"));
        Assert.Contains(errors, e => e.Contains("rules[0].conditions[3]: attribute must be a name"));
        Assert.Contains(errors, e => e.Contains("rules[1].segments[0]: unknown segment 'beta-users' (no segments are defined)"));
        Assert.Contains(errors, e => e.Contains("rules[2]: has no conditions and no segments"));
        Assert.Contains(errors, e => e.Contains("percentage 150 is not valid"));
    }

    [Fact]
    public void Validate_ValidFlag_HasNoErrors()
    {
        var segments = new Dictionary<string, Segment> { ["dach"] = new("dach", [new Condition("country", "in", ["DE", "AT", "CH"])]) };
        var flag = new FlagDefinition(
            "new-ranker",
            true,
            [
                new TargetingRule([new Condition("plan", "equals", Value: "pro"), new Condition("app_version", ">=", Value: "4.2")], ["dach"]),
                new TargetingRule([new Condition("email", "contains", Value: "@example.com")], Value: false),
            ],
            Percentage: 12.5,
            Description: "the new ranker for DACH pro users, then 12.5% of everyone");
        Assert.Empty(FlagValidator.Validate(flag, segments));
    }

    [Theory]
    [InlineData("in", "x", null, "takes a list in 'values', not 'value'")]
    [InlineData("equals", null, new[] { "x" }, "takes one operand in 'value', not a 'values' list")]
    [InlineData("equals", null, null, "needs a 'value'")]
    [InlineData("starts_with", "", null, "with an empty value matches every request")]
    [InlineData("<", "NaN", null, "is not a finite number")]
    [InlineData("<", "Infinity", null, "is not a finite number")]
    [InlineData("<", "1,000", null, "is not a finite number")]
    [InlineData("IN", null, new[] { "x" }, "unknown operator 'IN'")]
    public void Validate_ConditionShapes(string op, string? value, string[]? values, string expected)
    {
        var errors = FlagValidator.Validate(new FlagDefinition("f", true, [new TargetingRule([new Condition("a", op, values, value)])]));
        Assert.Contains(errors, e => e.Contains(expected));
    }

    [Theory]
    [InlineData(0.0, true)]
    [InlineData(100.0, true)]
    [InlineData(0.0001, true)]
    [InlineData(33.3333, true)]
    [InlineData(33.33333, false)]
    [InlineData(-1.0, false)]
    [InlineData(100.0001, false)]
    public void Validate_Percentage_IsPercentWithPpmResolution(double percent, bool valid) =>
        Assert.Equal(valid, FlagValidator.Validate(new FlagDefinition("f", true, Percentage: percent)).Count == 0);

    [Fact]
    public void Validate_LimitsAreEnforced()
    {
        var tooManyValues = new Condition("a", "in", Enumerable.Range(0, FlagValidator.MaxValues + 1).Select(i => i.ToString()).ToArray());
        var tooLong = new Condition("a", "equals", Value: new string('x', FlagValidator.MaxLength + 1));
        var tooManyConditions = Enumerable.Repeat(new Condition("a", "equals", Value: "x"), FlagValidator.MaxConditions + 1).ToArray();
        var errors = FlagValidator.Validate(new FlagDefinition(
            "f",
            true,
            [new TargetingRule([tooManyValues, tooLong]), new TargetingRule(tooManyConditions)],
            Description: new string('d', FlagValidator.MaxDescriptionLength + 1)));
        Assert.Equal(4, errors.Count);
        var tooManyRules = Enumerable.Repeat(new TargetingRule([new Condition("a", "equals", Value: "x")]), FlagValidator.MaxRules + 1).ToArray();
        Assert.Contains(FlagValidator.Validate(new FlagDefinition("f", true, tooManyRules)), e => e.Contains($"at most {FlagValidator.MaxRules} rules"));
    }

    [Fact]
    public void Validate_Segment_ReportsKeyAndConditions()
    {
        var errors = FlagValidator.Validate(new Segment("-bad", []));
        Assert.Equal(2, errors.Count);
        Assert.Contains(errors, e => e.Contains("key is not valid"));
        Assert.Contains(errors, e => e.Contains("at least one condition"));
        Assert.Contains(
            FlagValidator.Validate(new Segment("ok", [new Condition("a", "between", Value: "1")])),
            e => e.Contains("segment 'ok': conditions[0]: unknown operator 'between'"));
    }

    [Fact]
    public void ValidateSet_NamesKnownSegmentsInAnUnknownSegmentError()
    {
        var errors = FlagValidator.ValidateSet(
            [new FlagDefinition("f", true, [new TargetingRule(Segments: ["dash"])])],
            [new Segment("dach", [new Condition("country", "in", ["DE"])]), new Segment("beta", [new Condition("beta", "equals", Value: "true")])]);
        Assert.Equal("flag 'f': rules[0].segments[0]: unknown segment 'dash' (known segments: beta, dach)", Assert.Single(errors));
    }

    [Theory]
    [InlineData("new-ranker", true)]
    [InlineData("release-17", true)]
    [InlineData("a", true)]
    [InlineData("", false)]
    [InlineData("New-Ranker", false)]
    [InlineData("1st", false)]
    [InlineData("trailing-", false)]
    [InlineData("dotted.key", false)]
    public void IsValidKey_FollowsDnsLabelRules(string key, bool valid) => Assert.Equal(valid, FlagValidator.IsValidKey(key));
}

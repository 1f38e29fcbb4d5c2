using CsCheck;
using Vigil.Routing.Flags;

namespace Vigil.Core.Tests.Routing;

public sealed class FlagEvaluatorTests
{
    private static readonly RequestAttributes German = Attrs(("country", "DE"), ("plan", "pro"), ("app_version", "42"), ("device", "iphone-15"));

    [Theory]
    [InlineData("in", null, new[] { "AT", "DE" }, true)]
    [InlineData("in", null, new[] { "AT", "CH" }, false)]
    [InlineData("in", null, new[] { "de" }, false)]
    [InlineData("not_in", null, new[] { "AT", "CH" }, true)]
    [InlineData("not_in", null, new[] { "DE" }, false)]
    [InlineData("equals", "DE", null, true)]
    [InlineData("equals", "D", null, false)]
    [InlineData("starts_with", "D", null, true)]
    [InlineData("starts_with", "E", null, false)]
    [InlineData("contains", "E", null, true)]
    [InlineData("contains", "X", null, false)]
    public void StringOperators_CompareTheAttributeText(string op, string? value, string[]? values, bool expected) =>
        AssertMatch(new Condition("country", op, values, value), German, expected);

    [Theory]
    [InlineData("<", "43", true)]
    [InlineData("<", "42", false)]
    [InlineData("<=", "42", true)]
    [InlineData("<=", "41.5", false)]
    [InlineData(">", "41.999", true)]
    [InlineData(">", "42", false)]
    [InlineData(">=", "42", true)]
    [InlineData(">=", "4.2e1", true)]
    [InlineData(">=", "100", false)]
    public void NumericOperators_CompareNumbersNotText(string op, string value, bool expected) =>
        AssertMatch(new Condition("app_version", op, Value: value), German, expected);

    [Fact]
    public void NumericOperators_JsonNumberAttribute_ComparesNumerically()
    {
        var attributes = RequestAttributes.Create(("age", AttributeValue.FromNumber(9)));
        AssertMatch(new Condition("age", "<", Value: "10"), attributes, true);
        AssertMatch(new Condition("age", "in", ["9"]), attributes, true);
    }

    [Fact]
    public void In_LongList_IsHashed_AndStillExact()
    {
        var values = Enumerable.Range(0, 500).Select(i => "C" + i).Append("DE").ToArray();
        AssertMatch(new Condition("country", "in", values), German, true);
        AssertMatch(new Condition("country", "not_in", values), German, false);
        AssertMatch(new Condition("country", "in", values[..100]), German, false);
    }

    [Theory]
    [InlineData("in")]
    [InlineData("not_in")]
    [InlineData("equals")]
    [InlineData("<")]
    [InlineData("starts_with")]
    public void MissingAttribute_FailsEveryOperator_NotInIncluded(string op)
    {
        var takesList = op is "in" or "not_in";
        var condition = new Condition("region", op, takesList ? ["x"] : null, takesList ? null : "1");
        AssertMatch(condition, German, false);
    }

    [Fact]
    public void ConditionsInARule_AreAnded()
    {
        var flag = Flag(Rule(new Condition("country", "equals", Value: "DE"), new Condition("plan", "equals", Value: "pro")));
        Assert.Equal(EvaluationReason.TargetingMatch, Compile(flag).Evaluate("k", German).Reason);
        Assert.Equal(EvaluationReason.Default, Compile(flag).Evaluate("k", Attrs(("country", "DE"), ("plan", "free"))).Reason);
        Assert.Equal(EvaluationReason.Default, Compile(flag).Evaluate("k", Attrs(("country", "FR"), ("plan", "pro"))).Reason);
    }

    [Fact]
    public void Rules_AreOred_FirstMatchReportsItsIndex()
    {
        var flag = Flag(
            Rule(new Condition("country", "equals", Value: "FR")),
            Rule(new Condition("plan", "equals", Value: "pro")),
            Rule(new Condition("country", "equals", Value: "DE")));
        var evaluator = Compile(flag);
        Assert.Equal(new FlagEvaluation(true, EvaluationReason.TargetingMatch, RuleIndex: 1), evaluator.Evaluate("k", German));
        Assert.Equal(new FlagEvaluation(true, EvaluationReason.TargetingMatch, RuleIndex: 0), evaluator.Evaluate("k", Attrs(("country", "FR"))));
        Assert.Equal(new FlagEvaluation(false, EvaluationReason.Default), evaluator.Evaluate("k", Attrs(("country", "IT"))));
    }

    [Fact]
    public void RuleServingFalse_ExcludesBeforeThePercentage()
    {
        var flag = Flag(new TargetingRule([new Condition("country", "in", ["CN"])], Value: false)) with { Percentage = 100 };
        var evaluator = Compile(flag);
        Assert.Equal(new FlagEvaluation(false, EvaluationReason.TargetingMatch, RuleIndex: 0), evaluator.Evaluate("k", Attrs(("country", "CN"))));
        Assert.Equal(new FlagEvaluation(true, EvaluationReason.Split), evaluator.Evaluate("k", German));
    }

    [Fact]
    public void Segments_AreReusedAcrossFlags_AndAndedWithTheRulesConditions()
    {
        var segments = new Dictionary<string, Segment>
        {
            ["dach"] = new("dach", [new Condition("country", "in", ["DE", "AT", "CH"])]),
            ["paying"] = new("paying", [new Condition("plan", "in", ["pro", "team"])]),
        };
        var a = Compile(Flag(new TargetingRule(Segments: ["dach"])) with { Key = "a" }, segments);
        var b = Compile(Flag(new TargetingRule([new Condition("device", "starts_with", Value: "iphone")], ["dach", "paying"])) with { Key = "b" }, segments);
        Assert.True(a.Evaluate("k", German).Value);
        Assert.True(b.Evaluate("k", German).Value);
        Assert.True(a.Evaluate("k", Attrs(("country", "AT"), ("plan", "free"))).Value);
        Assert.False(b.Evaluate("k", Attrs(("country", "AT"), ("plan", "free"), ("device", "iphone"))).Value);
        Assert.False(b.Evaluate("k", Attrs(("country", "AT"), ("plan", "pro"), ("device", "pixel"))).Value);
    }

    [Fact]
    public void Reasons_CoverEveryPath()
    {
        var rule = Rule(new Condition("country", "equals", Value: "DE"));
        Assert.Equal(new FlagEvaluation(false, EvaluationReason.Disabled), Compile(Flag(rule) with { Enabled = false, Default = true }).Evaluate("k", German));
        Assert.Equal(new FlagEvaluation(true, EvaluationReason.Static), Compile(new FlagDefinition("on", true)).Evaluate(null, null));
        Assert.Equal(new FlagEvaluation(false, EvaluationReason.Disabled), Compile(new FlagDefinition("off", false)).Evaluate(null, null));
        Assert.Equal(EvaluationReason.TargetingMatch, Compile(Flag(rule)).Evaluate("k", German).Reason);
        Assert.Equal(new FlagEvaluation(true, EvaluationReason.Default), Compile(Flag(rule) with { Default = true }).Evaluate("k", RequestAttributes.Empty));
        Assert.Equal(EvaluationReason.Split, Compile(Flag(rule) with { Percentage = 50 }).Evaluate("k", RequestAttributes.Empty).Reason);
        Assert.Equal(EvaluationReason.Split, Compile(new FlagDefinition("p", true, Percentage: 50)).Evaluate("k", null).Reason);
    }

    [Fact]
    public void Error_NumericOperatorOnNonNumericAttribute_ServesTheDefaultAndNamesTheAttribute()
    {
        var rules = new[] { Rule(new Condition("country", "equals", Value: "FR")), Rule(new Condition("plan", ">=", Value: "2")) };
        var flag = new FlagDefinition("flag", true, rules, Percentage: 100, Default: true);
        var evaluation = Compile(flag).Evaluate("k", German);
        Assert.Equal(new FlagEvaluation(true, EvaluationReason.Error, FlagErrorCode.TypeMismatch, 1, "plan"), evaluation);
        Assert.Equal(EvaluationReason.Error, Compile(flag).Evaluate("k", Attrs(("plan", "true"))).Reason);
        Assert.Equal(EvaluationReason.Error, Compile(flag).Evaluate("k", RequestAttributes.Create(("plan", AttributeValue.FromBoolean(true)))).Reason);
    }

    [Fact]
    public void Error_OnlyWhenTheConditionIsReached()
    {
        // A false condition ends its rule, and a matching rule ends the evaluation: later conditions are not compared.
        var flag = Flag(
            Rule(new Condition("country", "equals", Value: "FR"), new Condition("plan", ">", Value: "1")),
            Rule(new Condition("country", "equals", Value: "DE")),
            Rule(new Condition("plan", ">", Value: "1")));
        Assert.Equal(new FlagEvaluation(true, EvaluationReason.TargetingMatch, RuleIndex: 1), Compile(flag).Evaluate("k", German));
    }

    [Fact]
    public void Error_PercentageWithoutKey_IsTargetingKeyMissing_ExceptAtZeroAndHundred()
    {
        Assert.Equal(
            new FlagEvaluation(true, EvaluationReason.Error, FlagErrorCode.TargetingKeyMissing),
            Compile(new FlagDefinition("p", true, Percentage: 10, Default: true)).Evaluate(null, null));
        Assert.Equal(EvaluationReason.Error, Compile(new FlagDefinition("p", true, Percentage: 10)).Evaluate("", null).Reason);
        Assert.Equal(new FlagEvaluation(false, EvaluationReason.Split), Compile(new FlagDefinition("p", true, Percentage: 0)).Evaluate(null, null));
        Assert.Equal(new FlagEvaluation(true, EvaluationReason.Split), Compile(new FlagDefinition("p", true, Percentage: 100)).Evaluate(null, null));
    }

    [Fact]
    public void Percentage_IsStickyAndUsesTheFlagKeyAsSalt()
    {
        var flag = Compile(new FlagDefinition("new-ranker", true, Percentage: 25));
        Gen.String.Where(k => k.Length > 0).Sample(key =>
        {
            var first = flag.Evaluate(key, German);
            Assert.Equal(first, flag.Evaluate(new string(key), RequestAttributes.Empty));
            Assert.Equal(Bucketing.IsIn("new-ranker", key, 250_000), first.Value);
        });
    }

    [Fact]
    public void Percentage_IsMonotone_AUserInAtOnePercentStaysInAsItGrows()
    {
        Gen.Select(Gen.String.Where(k => k.Length > 0), Gen.Int[0, 1_000_000], Gen.Int[0, 1_000_000]).Sample((key, a, b) =>
        {
            var (low, high) = a <= b ? (a, b) : (b, a);
            var atLow = Compile(new FlagDefinition("rollout", true, Percentage: low / 10_000.0)).Evaluate(key, null);
            var atHigh = Compile(new FlagDefinition("rollout", true, Percentage: high / 10_000.0)).Evaluate(key, null);
            Assert.True(!atLow.Value || atHigh.Value, $"'{key}' in at {low} ppm but out at {high} ppm");
        }, iter: 2_000);
    }

    [Fact]
    public void Percentage_ShareIsCloseToTheWeight()
    {
        var flag = Compile(new FlagDefinition("share", true, Percentage: 5));
        var inside = Enumerable.Range(0, 100_000).Count(i => flag.Evaluate("user-" + i, null).Value);
        // 5% of 100,000 with a 0.999 binomial band: 5000 ± 3.29·sqrt(100000·0.05·0.95) ≈ 5000 ± 227.
        Assert.InRange(inside, 4_773, 5_227);
    }

    [Fact]
    public void Evaluate_DoesNotAllocate()
    {
        var rules = new[]
        {
            Rule(new Condition("country", "in", ["FR", "IT"]), new Condition("app_version", ">=", Value: "40")),
            Rule(new Condition("plan", "equals", Value: "enterprise")),
        };
        var flag = Compile(new FlagDefinition("flag", true, rules, Percentage: 30));
        var evaluation = flag.Evaluate("user-4242", German);
        Assert.Equal(EvaluationReason.Split, evaluation.Reason);
        var before = GC.GetAllocatedBytesForCurrentThread();
        var trues = 0;
        for (var i = 0; i < 1_000; i++)
        {
            trues += flag.Evaluate("user-4242", German).Value ? 1 : 0;
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.Equal(evaluation.Value ? 1_000 : 0, trues);
    }

    [Fact]
    public void Compile_InvalidFlag_ReturnsEveryError()
    {
        var result = FlagEvaluator.Compile(new FlagDefinition("Bad", true, [new TargetingRule([new Condition("x", "lt", Value: "1")])], Percentage: 120));
        Assert.False(result.IsSuccess);
        Assert.Equal(3, result.Failure!.Errors.Count);
    }

    [Fact]
    public void Compile_InvalidReferencedSegment_IsReported()
    {
        var segments = new Dictionary<string, Segment> { ["old"] = new("old", [new Condition("age", ">", Value: "ten")]) };
        var result = FlagEvaluator.Compile(Flag(new TargetingRule(Segments: ["old"])), segments);
        Assert.False(result.IsSuccess);
        Assert.Contains(result.Failure!.Errors, e => e.Contains("segment 'old': conditions[0]: '>' compares numbers"));
    }

    [Fact]
    public void FlagSet_EvaluatesByKey_AndReportsAMissingFlag()
    {
        var set = FlagSet.Create(
            [new FlagDefinition("a", true), Flag(new TargetingRule(Segments: ["dach"])) with { Key = "b" }],
            [new Segment("dach", [new Condition("country", "in", ["DE", "AT"])])]).Unwrap();
        Assert.Equal(EvaluationReason.Static, set.Evaluate("a", "k", German).Reason);
        Assert.Equal(EvaluationReason.TargetingMatch, set.Evaluate("b", "k", German).Reason);
        Assert.Equal(new FlagEvaluation(false, EvaluationReason.Error, FlagErrorCode.FlagNotFound), set.Evaluate("c", "k", German));
        Assert.NotNull(set.Find("a"));
        Assert.Null(FlagSet.Empty.Find("a"));
    }

    [Fact]
    public void FlagSet_UnknownSegmentAndDuplicates_AreAllReported()
    {
        var result = FlagSet.Create(
            [new FlagDefinition("a", true), new FlagDefinition("a", false), Flag(new TargetingRule(Segments: ["nope"])) with { Key = "b" }],
            [new Segment("s", [new Condition("x", "equals", Value: "1")]), new Segment("s", [new Condition("y", "equals", Value: "1")])]);
        Assert.False(result.IsSuccess);
        var errors = result.Failure!.Errors;
        Assert.Equal(3, errors.Count);
        Assert.Contains(errors, e => e.Contains("flag 'a': the key is declared twice"));
        Assert.Contains(errors, e => e.Contains("segment 's': the key is declared twice"));
        Assert.Contains(errors, e => e.Contains("unknown segment 'nope'"));
    }

    [Fact]
    public void Variant_IsOnOrOff()
    {
        Assert.Equal("on", new FlagEvaluation(true, EvaluationReason.Static).Variant);
        Assert.Equal("off", new FlagEvaluation(false, EvaluationReason.Disabled).Variant);
    }

    private static void AssertMatch(Condition condition, RequestAttributes attributes, bool expected)
    {
        var evaluation = Compile(Flag(Rule(condition))).Evaluate("k", attributes);
        Assert.Equal(expected ? EvaluationReason.TargetingMatch : EvaluationReason.Default, evaluation.Reason);
        Assert.Equal(expected, evaluation.Value);
    }

    private static FlagDefinition Flag(params TargetingRule[] rules) => new("flag", true, rules);

    private static TargetingRule Rule(params Condition[] conditions) => new(conditions);

    private static FlagEvaluator Compile(FlagDefinition flag, IReadOnlyDictionary<string, Segment>? segments = null) =>
        FlagEvaluator.Compile(flag, segments).Unwrap();

    private static RequestAttributes Attrs(params (string Name, string Value)[] pairs) =>
        RequestAttributes.Create(pairs.Select(p => KeyValuePair.Create(p.Name, p.Value)));
}

using System.Text.Json;
using Vigil.Routing.Flags;

namespace Vigil.Core.Tests.Routing;

public sealed class FlagJsonTests
{
    private const string Json = """
        {
          "key": "new-ranker",
          "enabled": true,
          "rules": [
            { "conditions": [ { "attribute": "country", "operator": "in", "values": ["DE", "AT"] },
                              { "attribute": "app_version", "operator": ">=", "value": 42 } ] },
            { "segments": ["beta-testers"], "value": true },
            { "conditions": [ { "attribute": "internal", "operator": "equals", "value": false } ], "value": false }
          ],
          "percentage": 12.5,
          "default": false,
          "description": "new ranker"
        }
        """;

    [Fact]
    public void Deserialize_SnakeCase_WithNumberAndBooleanOperandsAsText()
    {
        var flag = VigilJson.Deserialize<FlagDefinition>(Json)!;
        Assert.Equal("new-ranker", flag.Key);
        Assert.Equal(12.5, flag.Percentage);
        Assert.Equal(["DE", "AT"], flag.Rules![0].Conditions![0].Values!);
        Assert.Equal("42", flag.Rules[0].Conditions![1].Value);
        Assert.Equal(["beta-testers"], flag.Rules[1].Segments!);
        Assert.Equal("false", flag.Rules[2].Conditions![0].Value);
        Assert.False(flag.Rules[2].Value);
    }

    [Fact]
    public void RoundTrip_KeepsTheFlag()
    {
        var flag = VigilJson.Deserialize<FlagDefinition>(Json)!;
        var again = VigilJson.Deserialize<FlagDefinition>(VigilJson.Serialize(flag))!;
        Assert.Equal(VigilJson.Serialize(flag), VigilJson.Serialize(again));
        Assert.Contains("\"percentage\":12.5", VigilJson.Serialize(flag));
    }

    [Fact]
    public void Deserialize_MinimalFlag_DefaultsTheRest()
    {
        var flag = VigilJson.Deserialize<FlagDefinition>("""{"key": "kill-switch", "enabled": false}""")!;
        Assert.Equal(new FlagDefinition("kill-switch", false), flag);
    }

    [Theory]
    [InlineData("""{"key": "f", "enabled": true, "colour": "red"}""")]
    [InlineData("""{"enabled": true}""")]
    [InlineData("""{"key": "f", "enabled": true, "percentage": "5%"}""")]
    [InlineData("""{"key": "f", "enabled": true, "rules": [{"conditions": [{"attribute": "a", "operator": "in", "values": [["x"]]}]}]}""")]
    public void Deserialize_MalformedShapes_AreRefused(string json) =>
        Assert.ThrowsAny<JsonException>(() => VigilJson.Deserialize<FlagDefinition>(json));

    [Fact]
    public void Segment_Deserializes()
    {
        var segment = VigilJson.Deserialize<Segment>("""{"key": "dach", "conditions": [{"attribute": "country", "operator": "in", "values": ["DE", "AT", "CH"]}], "description": null}""")!;
        Assert.Equal("dach", segment.Key);
        Assert.Equal(3, segment.Conditions[0].Values!.Count);
    }

    [Fact]
    public void Evaluation_SerializesOpenFeatureNames()
    {
        var json = VigilJson.Serialize(new FlagEvaluation(true, EvaluationReason.TargetingMatch, RuleIndex: 0));
        Assert.Contains("\"reason\":\"TARGETING_MATCH\"", json);
        Assert.Contains("\"error_code\":\"NONE\"", json);
        Assert.Contains("\"variant\":\"on\"", json);
        Assert.Contains("TYPE_MISMATCH", VigilJson.Serialize(FlagErrorCode.TypeMismatch));
        Assert.Equal("TARGETING_MATCH", EvaluationReasons.Name(EvaluationReason.TargetingMatch));
        Assert.Equal("TARGETING_KEY_MISSING", EvaluationReasons.Name(FlagErrorCode.TargetingKeyMissing));
        foreach (var reason in Enum.GetValues<EvaluationReason>())
        {
            Assert.Equal($"\"{EvaluationReasons.Name(reason)}\"", VigilJson.Serialize(reason));
        }
    }
}

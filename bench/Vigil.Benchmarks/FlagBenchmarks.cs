using System.Text.Json;
using BenchmarkDotNet.Attributes;
using Vigil.Routing.Flags;

namespace Vigil.Benchmarks;

/// <summary>
/// Flag evaluation on the request path (DESIGN.md budget: well under a microsecond, no allocation): a flag with two
/// targeting rules (one referencing a segment) and a 30% sticky percentage, against a request with four attributes.
/// </summary>
[MemoryDiagnoser]
public class FlagBenchmarks
{
    private static readonly byte[] AttributesUtf8 = """{"country": "DE", "plan": "pro", "app_version": 42, "device": "iphone-15"}"""u8.ToArray();

    private FlagEvaluator _flag = null!;
    private FlagEvaluator _disabled = null!;
    private RequestAttributes _fallsThrough = null!;
    private RequestAttributes _matchesFirstRule = null!;
    private JsonDocument _document = null!;

    [GlobalSetup]
    public void Setup()
    {
        var segments = new Dictionary<string, Segment>
        {
            ["dach"] = new("dach", [new Condition("country", "in", ["DE", "AT", "CH"])]),
        };
        var definition = new FlagDefinition(
            "new-ranker",
            true,
            [
                new TargetingRule([new Condition("plan", "equals", Value: "enterprise"), new Condition("app_version", ">=", Value: "40")]),
                new TargetingRule([new Condition("device", "starts_with", Value: "pixel")], ["dach"]),
            ],
            Percentage: 30);
        _flag = FlagEvaluator.Compile(definition, segments).Unwrap();
        _disabled = FlagEvaluator.Compile(definition with { Enabled = false }, segments).Unwrap();
        _document = JsonDocument.Parse(AttributesUtf8);
        _fallsThrough = RequestAttributes.FromJson(_document.RootElement).Unwrap();
        _matchesFirstRule = RequestAttributes.Create(
            ("country", AttributeValue.FromString("DE")),
            ("plan", AttributeValue.FromString("enterprise")),
            ("app_version", AttributeValue.FromNumber(42)),
            ("device", AttributeValue.FromString("iphone-15")));
        if (_flag.Evaluate("user-4242", _fallsThrough).Reason != EvaluationReason.Split
            || _flag.Evaluate("user-4242", _matchesFirstRule).Reason != EvaluationReason.TargetingMatch)
        {
            throw new InvalidOperationException("the benchmark flag does not take the intended paths");
        }
    }

    [GlobalCleanup]
    public void Cleanup() => _document.Dispose();

    /// <summary>The slowest path: both rules are tested and fail, then the percentage hashes the key (SPLIT).</summary>
    [Benchmark(Baseline = true)]
    public FlagEvaluation Evaluate_TwoRulesThenSplit() => _flag.Evaluate("user-4242", _fallsThrough);

    /// <summary>The first rule matches (TARGETING_MATCH): no hashing.</summary>
    [Benchmark]
    public FlagEvaluation Evaluate_FirstRuleMatches() => _flag.Evaluate("user-4242", _matchesFirstRule);

    /// <summary>The flag is off (DISABLED).</summary>
    [Benchmark]
    public FlagEvaluation Evaluate_Disabled() => _disabled.Evaluate("user-4242", _fallsThrough);

    /// <summary>The bucketing step alone: murmur3 over salt + key and the ppm bucket.</summary>
    [Benchmark]
    public int Bucket() => Bucketing.Bucket("new-ranker", "user-4242");

    /// <summary>Per-request cost of reading the request's <c>attributes</c> object (already parsed) into <see cref="RequestAttributes"/>.</summary>
    [Benchmark]
    public RequestAttributes Attributes_FromJson() => RequestAttributes.FromJson(_document.RootElement).Unwrap();
}

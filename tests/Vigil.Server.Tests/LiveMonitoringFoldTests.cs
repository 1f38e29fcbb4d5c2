using Microsoft.Extensions.Logging.Abstractions;
using Vigil.Monitoring;
using Vigil.Predictions;
using Vigil.Profiles;
using Vigil.Registry;
using Vigil.Server.Monitoring;
using Vigil.Server.Monitoring.Layers;

namespace Vigil.Server.Tests;

/// <summary>
/// The monitoring fold on records built by hand (so that no edge check stands in front of it): whatever a record holds,
/// <see cref="LiveMonitoring.Fold"/> does not throw, a value it cannot take costs that value alone (counted in
/// <see cref="FoldErrors"/>), and unknown feature names are bounded per window (issue 13, items 1 and 2).
/// </summary>
public sealed class LiveMonitoringFoldTests
{
    private static readonly DateTimeOffset At = new(2026, 11, 1, 0, 0, 10, TimeSpan.Zero);

    private static PredictionRecord Record(string inputs, params string[] unknown) => new(
        Guid.NewGuid().ToString("N"), At, "svc", 1, Arms.Champion, null, "{}", inputs, """{"probability": 0.5}""", 1.0, null,
        Violations: unknown.Length == 0 ? null : [.. unknown.Select(u => new SchemaViolation(u, ViolationKind.Unknown, $"'{u}' is not a feature"))]);

    private static WindowProfiles Close(LiveMonitoring monitoring)
    {
        WindowProfiles? closed = null;
        monitoring.WindowClosed += (_, window) => closed ??= window;
        monitoring.Evaluate(At.AddMinutes(2));
        return Assert.IsType<WindowProfiles>(closed);
    }

    [Fact]
    public void Fold_MixedKindsLoneSurrogatesHugeNumbersAndBrokenJson_NeverThrows_AndCostsOnlyTheValuesItCannotTake()
    {
        var errors = new FoldErrors(null, NullLogger<FoldErrors>.Instance);
        var monitoring = new LiveMonitoring(errors);

        monitoring.Fold(
        [
            Record("""{"x": 1, "zz": "a"}""", "zz"),
            Record("""{"x": 2, "zz": 1}""", "zz"),              // zz was a string first: a type error, not an exception
            Record("""{"x": 3, "zz": "\ud800"}""", "zz"),       // not valid Unicode: a fold error, the rest of the record folds
            Record("not json"),                                  // a fold error: the record still counts as a request
            Record("""{"x": 1e400, "zz": null}""", "zz"),       // too large for a double: the numeric profile's ±∞ type error
            Record("""{"\udc00": 1, "x": 4}"""),                // a name that is not valid Unicode: that value alone is skipped
        ]);

        var window = Close(monitoring);
        Assert.Equal(6, window.Requests);
        var zz = window.Profiles["zz"];
        Assert.Equal(ProfileKind.Categorical, zz.Kind);
        Assert.Equal((3L, 1L, 1L, 1L), (zz.Count, zz.Nulls, zz.TypeErrors, zz.ValidCount));
        var x = window.Profiles["x"];
        Assert.Equal((5L, 1L, 4L), (x.Count, x.TypeErrors, x.ValidCount));
        Assert.Equal(1, window.Violations["zz"]);
        Assert.Equal(3, errors.Total);
    }

    [Fact]
    public void Fold_AHookThatThrowsOnOneRecord_CostsThatRecordOnly_AndIsCountedAsUnexpected()
    {
        var errors = new FoldErrors(null, NullLogger<FoldErrors>.Instance);
        var monitoring = new LiveMonitoring(errors)
        {
            FoldHook = (_, record) =>
            {
                if (record.Inputs.Contains("boom", StringComparison.Ordinal))
                {
                    throw new InvalidOperationException("a bug in a fold");
                }
            },
        };

        monitoring.Fold([Record("""{"x": 1}"""), Record("""{"x": 2, "boom": 1}"""), Record("""{"x": 3}""")]);

        var window = Close(monitoring);
        Assert.Equal(3, window.Requests);
        Assert.Equal(3, window.Profiles["x"].Count);
        Assert.Equal(1, errors.Total);
    }

    [Fact]
    public void Fold_TenThousandDistinctUnknownNames_ProfilesAtMostTheBound_AndCountsTheRestAsOverflow()
    {
        var monitoring = new LiveMonitoring();
        monitoring.FoldHook = (window, record) => InputLayerFold.Fold(window, record, monitoring.MaxUnknownFeatures);
        var batch = Enumerable.Range(0, 10_000).Select(i => Record($$"""{"x": 1, "f{{i}}": "v"}""", $"f{i}")).ToList();

        monitoring.Fold(batch);

        var window = Close(monitoring);
        var bound = Vigil.Server.Hosting.VigilServerOptions.DefaultMaxUnknownFeatures;
        Assert.Equal(bound, monitoring.MaxUnknownFeatures);
        Assert.Equal(bound, window.UnknownFeatures.Count);
        Assert.Equal(bound + 2, window.Profiles.Count); // the tracked names, x, and the latency
        Assert.Equal(10_000 - bound, window.ViolationKinds[InputLayerFold.Overflow][InputLayerFold.OverflowKind]);
        Assert.Equal(10_000 - bound, window.Violations[InputLayerFold.Overflow]);
        Assert.Equal(bound + 1, window.ViolationKinds.Count);
        Assert.All(window.UnknownFeatures, name => Assert.Equal(1, window.ViolationKinds[name]["unknown"]));

        // The history's summary of that window, what the store keeps, holds the bound, not the names.
        Assert.Equal(bound + 1, monitoring.History("svc", 10).Single(w => w.Requests > 0).Features.Count);
    }
}

using Vigil.Registry;

namespace Vigil.Core.Tests.Registry;

public sealed class ServiceValidatorTests
{
    [Theory]
    [InlineData("recommender", true)]
    [InlineData("a", true)]
    [InlineData("fraud-v2", true)]
    [InlineData("", false)]
    [InlineData("Recommender", false)]
    [InlineData("2fast", false)]
    [InlineData("ends-", false)]
    [InlineData("under_score", false)]
    [InlineData("has space", false)]
    public void IsValidName_FollowsDnsLabelRules(string name, bool valid) => Assert.Equal(valid, ServiceValidator.IsValidName(name));

    [Fact]
    public void IsValidName_RejectsNamesLongerThan63() =>
        Assert.False(ServiceValidator.IsValidName(new string('a', 64)));

    [Fact]
    public void Validate_ReportsEveryErrorAtOnce()
    {
        var service = new ServiceDefinition(
            "Bad Name",
            "",
            [
                new FeatureSpec("x", FeatureType.Number, Min: 3, Max: 1),
                new FeatureSpec("x", FeatureType.Category, Categories: ["a", "a"]),
                new FeatureSpec("flag", FeatureType.Boolean, Min: 0),
                new FeatureSpec("", FeatureType.String),
            ],
            new OutputSpec(OutputKind.Probability),
            DateTimeOffset.UnixEpoch);
        var errors = ServiceValidator.Validate(service);
        Assert.Equal(6, errors.Count);
        Assert.Contains(errors, e => e.Contains("not valid"));
        Assert.Contains(errors, e => e.Contains("min 3 is greater than max 1"));
        Assert.Contains(errors, e => e.Contains("declared twice"));
        Assert.Contains(errors, e => e.Contains("categories contain duplicates"));
        Assert.Contains(errors, e => e.Contains("min and max apply only"));
        Assert.Contains(errors, e => e.Contains("name is empty"));
    }

    [Fact]
    public void Validate_NoInputs_IsAnError()
    {
        var errors = ServiceValidator.Validate(new ServiceDefinition("ok", "", [], new OutputSpec(OutputKind.Score), DateTimeOffset.UnixEpoch));
        Assert.Contains(errors, e => e.Contains("at least one feature"));
    }

    [Fact]
    public void BackendSpec_Validate_RejectsRelativeUrlAndBadTimeout()
    {
        var errors = new BackendSpec(BackendKind.Http, "not a url", TimeoutMs: 0).Validate();
        Assert.Equal(2, errors.Count);
        Assert.Empty(new BackendSpec(BackendKind.Http, "http://127.0.0.1:8080", HttpProtocol.V2).Validate());
        Assert.Contains(new BackendSpec(BackendKind.Onnx, "m.onnx", HttpProtocol.Json).Validate(), e => e.Contains("only to http"));
    }

    [Fact]
    public void ModelVersionDraft_Validate_RejectsNonFiniteMetrics()
    {
        var draft = new ModelVersionDraft("s", new BackendSpec(BackendKind.Onnx, "m.onnx"), null, new Dictionary<string, double> { ["auc"] = double.NaN });
        Assert.Contains(draft.Validate(), e => e.Contains("metrics.auc"));
    }
}

using System.Text.Json;
using Vigil.Cli.Demo;
using Vigil.Registry;
using Vigil.Serving.Training;

namespace Vigil.Cli.Tests.Demo;

public sealed class RecommendationDataGeneratorTests
{
    [Fact]
    public void Generate_SameSeed_GivesTheSameRows()
    {
        var first = new RecommendationDataGenerator(7).Generate(2_000);
        var second = new RecommendationDataGenerator(7).Generate(2_000);

        Assert.Equal(first, second);
    }

    [Fact]
    public void Generate_DifferentSeeds_GiveDifferentRows()
    {
        var first = new RecommendationDataGenerator(7).Generate(200);
        var second = new RecommendationDataGenerator(8).Generate(200);

        Assert.NotEqual(first, second);
    }

    [Fact]
    public void Generate_LabelRate_IsBetween20And60Percent()
    {
        var rows = new RecommendationDataGenerator(42).Generate(20_000);

        var rate = rows.Count(r => r.Engaged) / (double)rows.Count;

        Assert.InRange(rate, 0.2, 0.6);
    }

    [Fact]
    public void Generate_EveryCategoryDeviceAndCountry_Appears()
    {
        var rows = new RecommendationDataGenerator(42).Generate(5_000);

        Assert.Equal(RecommendationDataGenerator.Categories.Order(), rows.Select(r => r.ItemCategory).Distinct().Order());
        Assert.Equal(RecommendationDataGenerator.Devices.Order(), rows.Select(r => r.User.Device).Distinct().Order());
        Assert.Equal(RecommendationDataGenerator.Countries.Order(), rows.Select(r => r.User.Country).Distinct().Order());
        Assert.Contains(rows, r => r.User.IsSubscriber);
        Assert.Contains(rows, r => !r.User.IsSubscriber);
        Assert.Contains(rows, r => r.Price == 0);
    }

    [Fact]
    public void Generate_EveryRow_FitsTheDeclaredSchema()
    {
        var service = RecommendationDataGenerator.ServiceDefinition(DateTimeOffset.UnixEpoch);
        foreach (var example in new RecommendationDataGenerator(3).Generate(2_000))
        {
            var violations = new List<SchemaViolation>();
            using var inputs = JsonDocument.Parse(example.ToInputsJson().ToJsonString());

            var row = InputReader.Read(service, inputs.RootElement, violations);

            Assert.Empty(violations);
            Assert.Equal(example.ToInputRow(), row, (a, b) => a.Values.SequenceEqual(b.Values));
            Assert.InRange(example.Probability, 0, 1);
        }
    }

    [Fact]
    public void ServiceDefinition_PassesTheRegistryValidator()
    {
        var service = RecommendationDataGenerator.ServiceDefinition(DateTimeOffset.UnixEpoch);

        Assert.Empty(ServiceValidator.Validate(service));
        Assert.Equal(OutputKind.Probability, RecommendationDataGenerator.CreateServiceRequest().Output.Kind);
        Assert.Equal("recommender", RecommendationDataGenerator.CreateServiceRequest().Name);
    }

    [Fact]
    public void EngagementProbability_FollowsTheRule_FresherCheaperSubscribedLongerTenureIsHigher()
    {
        static double P(double tenure = 100, double age = 24, double price = 10, bool subscriber = false) =>
            RecommendationDataGenerator.EngagementProbability(tenure, age, price, "news", "desktop", "DE", subscriber);

        Assert.True(P(age: 1) > P(age: 48));
        Assert.True(P(price: 0) > P(price: 150));
        Assert.True(P(subscriber: true) > P(subscriber: false));
        Assert.True(P(tenure: 1_000) > P(tenure: 0));
        Assert.True(
            RecommendationDataGenerator.EngagementProbability(100, 24, 0, "video", "mobile", "DE", false)
            > RecommendationDataGenerator.EngagementProbability(100, 24, 0, "video", "desktop", "DE", false));
        Assert.True(
            RecommendationDataGenerator.EngagementProbability(100, 24, 0, "news", "desktop", "BR", false)
            > RecommendationDataGenerator.EngagementProbability(100, 24, 0, "news", "desktop", "FR", false));
    }

    [Fact]
    public void TrainedModel_OnTwentyThousandRows_ReachesAnAucBetween075And085()
    {
        var rows = new RecommendationDataGenerator(42).Generate(20_000);
        var path = Path.Combine(Path.GetTempPath(), $"vigil-demo-model-{Guid.NewGuid():N}.zip");
        try
        {
            var result = MlNetTrainer.Train(
                RecommendationDataGenerator.ServiceDefinition(DateTimeOffset.UnixEpoch),
                rows.Select(r => r.ToInputRow()).ToList(),
                rows.Select(r => r.Engaged).ToList(),
                path,
                new MlNetTrainingOptions { Seed = 42 },
                TestContext.Current.CancellationToken);

            Assert.True(result.IsSuccess, result.Failure?.Message);
            Assert.InRange(result.Value!.Metrics["auc"], 0.75, 0.85);
        }
        finally
        {
            File.Delete(path);
        }
    }
}

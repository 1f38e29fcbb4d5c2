using System.Text.Json.Nodes;
using Vigil.Registry;

namespace Vigil.Cli.Demo;

/// <summary>
/// One (user, item) pair of the recommendation scenario: the model's inputs, the true probability that the user engages
/// (from <see cref="RecommendationDataGenerator.EngagementProbability"/>) and whether they did.
/// </summary>
/// <param name="User">The user who is shown the item.</param>
/// <param name="ItemAgeHours">How old the item is, in hours (≥ 0).</param>
/// <param name="Price">The item's price in dollars (0–200; 0 is free).</param>
/// <param name="ItemCategory">news, sports, music, video, games or shopping.</param>
/// <param name="Probability">The true engagement probability: what a perfect model would predict.</param>
/// <param name="Engaged">Whether the user engaged (drawn with <paramref name="Probability"/>).</param>
public sealed record RecommendationExample(
    SimulatedUser User,
    double ItemAgeHours,
    double Price,
    string ItemCategory,
    double Probability,
    bool Engaged)
{
    /// <summary>The inputs in the order of <see cref="RecommendationDataGenerator.Inputs"/>, as the trainer and the backends read them.</summary>
    public InputRow ToInputRow() => new(
    [
        FeatureValue.FromNumber(User.TenureDays),
        FeatureValue.FromNumber(ItemAgeHours),
        FeatureValue.FromNumber(Price),
        FeatureValue.FromText(ItemCategory),
        FeatureValue.FromText(User.Device),
        FeatureValue.FromText(User.Country),
        FeatureValue.FromBoolean(User.IsSubscriber),
    ]);

    /// <summary>The <c>inputs</c> object of a predict request.</summary>
    public JsonObject ToInputsJson() => new()
    {
        [RecommendationDataGenerator.Features.UserTenureDays] = User.TenureDays,
        [RecommendationDataGenerator.Features.ItemAgeHours] = ItemAgeHours,
        [RecommendationDataGenerator.Features.Price] = Price,
        [RecommendationDataGenerator.Features.ItemCategory] = ItemCategory,
        [RecommendationDataGenerator.Features.Device] = User.Device,
        [RecommendationDataGenerator.Features.Country] = User.Country,
        [RecommendationDataGenerator.Features.IsSubscriber] = User.IsSubscriber,
    };

    /// <summary>The segment <c>attributes</c> of a predict request: country and device.</summary>
    public JsonObject ToAttributesJson() => new()
    {
        ["country"] = User.Country,
        ["device"] = User.Device,
    };
}

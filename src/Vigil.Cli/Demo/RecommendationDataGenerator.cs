using System.Diagnostics.CodeAnalysis;
using Vigil.Registry;
using Vigil.Server.Api;

namespace Vigil.Cli.Demo;

/// <summary>
/// Generates the demo's content-recommendation data: will this user engage with this item? Deterministic for a seed:
/// the same seed gives the same users, items and labels, on every machine.
/// </summary>
/// <remarks>
/// The truth is a logistic rule, written out in <see cref="EngagementLogit"/>: fresh items, long tenure, subscribers and
/// cheap items engage more; some categories do better on some devices (video and music on mobile, games on desktop,
/// news on tablet); each country has its own base rate; and an unobserved per-example term adds noise a model cannot
/// learn. A model trained on 20,000 rows reaches an AUC of about 0.8; about 38% of examples engage.
/// </remarks>
[SuppressMessage("Security", "CA5394:Do not use insecure randomness", Justification = "A seeded simulation, not security.")]
public sealed class RecommendationDataGenerator
{
    /// <summary>The demo service's name.</summary>
    public const string ServiceName = "recommender";

    /// <summary>The item categories.</summary>
    public static IReadOnlyList<string> Categories { get; } = ["news", "sports", "music", "video", "games", "shopping"];

    /// <summary>The devices.</summary>
    public static IReadOnlyList<string> Devices { get; } = ["mobile", "desktop", "tablet"];

    /// <summary>The countries.</summary>
    public static IReadOnlyList<string> Countries { get; } = ["DE", "FR", "US", "GB", "BR", "IN"];

    /// <summary>Largest tenure generated, in days (ten years).</summary>
    public const double MaxTenureDays = 3_650;

    /// <summary>Largest item age generated, in hours (30 days).</summary>
    public const double MaxItemAgeHours = 720;

    /// <summary>Largest price, in dollars.</summary>
    public const double MaxPrice = 200;

    /// <summary>The recommender's input schema, in order; the model's inputs are read in this order.</summary>
    public static IReadOnlyList<FeatureSpec> Inputs { get; } =
    [
        new(Features.UserTenureDays, FeatureType.Number, Min: 0),
        new(Features.ItemAgeHours, FeatureType.Number, Min: 0),
        new(Features.Price, FeatureType.Number, Min: 0, Max: MaxPrice),
        new(Features.ItemCategory, FeatureType.Category, Categories: Categories),
        new(Features.Device, FeatureType.Category, Categories: Devices),
        new(Features.Country, FeatureType.Category, Categories: Countries),
        new(Features.IsSubscriber, FeatureType.Boolean),
    ];

    /// <summary>The recommender's output: the probability that the user engages.</summary>
    public static OutputSpec Output { get; } = new(OutputKind.Probability, "probability that the user engages with the item");

    /// <summary>What the demo says the service is for.</summary>
    public const string Description = "vigil demo: will this user engage with this item?";

    private readonly Random _random;

    /// <summary>Creates a generator; the same <paramref name="seed"/> always produces the same sequence.</summary>
    public RecommendationDataGenerator(int seed)
    {
        Seed = seed;
        _random = new Random(seed);
    }

    /// <summary>The seed this generator was created with.</summary>
    public int Seed { get; }

    /// <summary>The request to create the <c>recommender</c> service through the API.</summary>
    public static CreateServiceRequest CreateServiceRequest() => new(ServiceName, Inputs, Output, Description);

    /// <summary>The <c>recommender</c> service as the registry holds it (what the trainer needs).</summary>
    public static ServiceDefinition ServiceDefinition(DateTimeOffset createdAt) => new(ServiceName, Description, Inputs, Output, createdAt);

    /// <summary>Draws a new user with id <paramref name="id"/>.</summary>
    public SimulatedUser NextUser(int id)
    {
        var tenure = Math.Round(Math.Min(Exponential(365), MaxTenureDays));
        var device = Devices[Pick(Shares.Devices)];
        var country = Countries[Pick(Shares.Countries)];
        var subscriber = _random.NextDouble() < (tenure > 365 ? 0.4 : 0.2);
        return new SimulatedUser(id, tenure, device, country, subscriber);
    }

    /// <summary>Draws an item for <paramref name="user"/>, the true probability that they engage with it, and whether they do.</summary>
    public RecommendationExample NextExample(SimulatedUser user)
    {
        ArgumentNullException.ThrowIfNull(user);
        var category = Categories[Pick(Shares.Categories)];
        var age = Math.Round(Math.Min(Exponential(36), MaxItemAgeHours), 1);
        var price = NextPrice(category);
        var logit = EngagementLogit(user.TenureDays, age, price, category, user.Device, user.Country, user.IsSubscriber)
            + (Weights.NoiseStandardDeviation * Gaussian());
        var probability = 1 / (1 + Math.Exp(-logit));
        var engaged = _random.NextDouble() < probability;
        return new RecommendationExample(user, age, price, category, probability, engaged);
    }

    /// <summary>Draws <paramref name="count"/> independent examples, each from a new user (ids 1, 2, 3 …).</summary>
    public IReadOnlyList<RecommendationExample> Generate(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        var examples = new RecommendationExample[count];
        for (var i = 0; i < count; i++)
        {
            examples[i] = NextExample(NextUser(i + 1));
        }

        return examples;
    }

    /// <summary>
    /// The engagement rule without its noise term, on the logit scale: the part of the truth a model can learn.
    /// </summary>
    public static double EngagementLogit(
        double tenureDays,
        double itemAgeHours,
        double price,
        string itemCategory,
        string device,
        string country,
        bool isSubscriber)
    {
        var logit = Weights.Intercept + CountryEffect(country);
        logit += Weights.Tenure * (1 - Math.Exp(-tenureDays / Weights.TenureScaleDays));
        logit += (Weights.Freshness * Math.Exp(-itemAgeHours / Weights.FreshnessScaleHours)) - (Weights.AgeDecay * Math.Log(1 + (itemAgeHours / 24)));
        logit += Weights.PricePerHundredDollars * price / 100;
        logit += isSubscriber ? Weights.Subscriber : 0;
        logit += CategoryDeviceEffect(itemCategory, device);
        return logit;
    }

    /// <summary>The engagement probability without noise: the logistic of <see cref="EngagementLogit"/>.</summary>
    public static double EngagementProbability(
        double tenureDays,
        double itemAgeHours,
        double price,
        string itemCategory,
        string device,
        string country,
        bool isSubscriber) =>
        1 / (1 + Math.Exp(-EngagementLogit(tenureDays, itemAgeHours, price, itemCategory, device, country, isSubscriber)));

    private static double CountryEffect(string country) => country switch
    {
        "DE" => -0.1,
        "FR" => -0.35,
        "US" => 0.25,
        "GB" => 0.05,
        "BR" => 0.45,
        "IN" => -0.3,
        _ => 0,
    };

    private static double CategoryDeviceEffect(string category, string device) => (category, device) switch
    {
        ("video", "mobile") => 0.8,
        ("music", "mobile") => 0.5,
        ("games", "desktop") => 0.9,
        ("news", "tablet") => 0.6,
        ("shopping", "mobile") => 0.3,
        ("sports", "tablet") => -0.5,
        ("games", "mobile") => -0.4,
        ("video", "desktop") => -0.3,
        _ => 0,
    };

    private double NextPrice(string category)
    {
        // Much of news, sports and video is free; the rest is priced around a median that depends on the category.
        var (freeShare, median) = category switch
        {
            "news" => (0.7, 5.0),
            "sports" => (0.6, 12.0),
            "video" => (0.5, 8.0),
            "music" => (0.3, 10.0),
            "games" => (0.2, 25.0),
            _ => (0.05, 40.0),
        };
        if (_random.NextDouble() < freeShare)
        {
            return 0;
        }

        var price = median * Math.Exp(0.9 * Gaussian());
        return Math.Round(Math.Clamp(price, 0.99, MaxPrice), 2);
    }

    private int Pick(double[] shares)
    {
        var u = _random.NextDouble();
        for (var i = 0; i < shares.Length - 1; i++)
        {
            u -= shares[i];
            if (u < 0)
            {
                return i;
            }
        }

        return shares.Length - 1;
    }

    private double Exponential(double mean) => -mean * Math.Log(1 - _random.NextDouble());

    private double Gaussian()
    {
        // Box–Muller; 1 - NextDouble() is in (0, 1], so the logarithm is finite.
        var u1 = 1 - _random.NextDouble();
        var u2 = _random.NextDouble();
        return Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
    }

    /// <summary>The weights of the engagement rule, on the logit scale.</summary>
    private static class Weights
    {
        public const double Intercept = -2.0;
        public const double Tenure = 1.6;
        public const double TenureScaleDays = 300;
        public const double Freshness = 2.6;
        public const double FreshnessScaleHours = 12;
        public const double AgeDecay = 0.45;
        public const double PricePerHundredDollars = -2.5;
        public const double Subscriber = 1.2;
        public const double NoiseStandardDeviation = 0.4;
    }

    /// <summary>How users and items are spread over the categories, in the order of <see cref="Devices"/>, <see cref="Countries"/> and <see cref="Categories"/>.</summary>
    private static class Shares
    {
        public static readonly double[] Devices = [0.55, 0.30, 0.15];
        public static readonly double[] Countries = [0.15, 0.10, 0.30, 0.12, 0.13, 0.20];
        public static readonly double[] Categories = [0.22, 0.16, 0.14, 0.20, 0.13, 0.15];
    }

    /// <summary>The feature names of the recommender's schema.</summary>
    public static class Features
    {
        /// <summary>Days since the user signed up.</summary>
        public const string UserTenureDays = "user_tenure_days";

        /// <summary>Hours since the item was published.</summary>
        public const string ItemAgeHours = "item_age_hours";

        /// <summary>The item's price in dollars.</summary>
        public const string Price = "price";

        /// <summary>The item's category.</summary>
        public const string ItemCategory = "item_category";

        /// <summary>The user's device.</summary>
        public const string Device = "device";

        /// <summary>The user's country.</summary>
        public const string Country = "country";

        /// <summary>Whether the user is a subscriber.</summary>
        public const string IsSubscriber = "is_subscriber";
    }
}

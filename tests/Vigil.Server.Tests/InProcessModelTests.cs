using Vigil.Registry;
using Vigil.Server.Api;
using Vigil.Serving.Training;

namespace Vigil.Server.Tests;

/// <summary>A model trained with ML.NET, served in process through Vigil as an ML.NET version and as its ONNX export.</summary>
public sealed class InProcessModelTests
{
    [Fact]
    public async Task MlNetAndOnnxVersions_ServeTheSameModel_AndPromotionSwitchesBetweenThem()
    {
        await using var server = await VigilTestServer.StartAsync();
        var service = new ServiceDefinition("shop", "", VigilTestServer.Inputs, new OutputSpec(OutputKind.Probability), DateTimeOffset.UnixEpoch);
        var (rows, labels) = Generate(service, 600, seed: 7);
        var zip = Path.Combine(server.Directory, "model.zip");
        var trained = MlNetTrainer.Train(service, rows, labels, zip, new MlNetTrainingOptions { Seed = 7, NumberOfTrees = 20 }, TestContext.Current.CancellationToken);
        Assert.True(trained.IsSuccess, trained.Failure?.Message);
        var onnx = OnnxExporter.Export(service, zip, Path.Combine(server.Directory, "model.onnx"));
        Assert.True(onnx.IsSuccess, onnx.Failure?.Message);

        await server.ReadAsync<ServiceView>(await server.PostAsync("/v1/services", new CreateServiceRequest("shop", VigilTestServer.Inputs, new OutputSpec(OutputKind.Probability))));
        await server.ReadAsync<VersionView>(await server.PostAsync("/v1/services/shop/versions", new RegisterVersionRequest(new BackendSpec(BackendKind.Mlnet, zip), Alias: "champion")));
        await server.ReadAsync<VersionView>(await server.PostAsync("/v1/services/shop/versions", new RegisterVersionRequest(new BackendSpec(BackendKind.Onnx, onnx.Value!), Alias: "challenger")));

        const string body = """{"instances": [{"price": 20, "country": "DE", "tenure": 40, "subscriber": true}, {"price": 900, "country": "US", "tenure": null, "subscriber": false}]}""";
        var fromMlNet = await server.ReadAsync<BatchPredictResponse>(await server.PostJsonAsync("/v1/services/shop/predict", body));
        await server.ReadAsync<AliasesView>(await server.PostJsonAsync("/v1/services/shop/promote", "{}"));
        var fromOnnx = await server.ReadAsync<BatchPredictResponse>(await server.PostJsonAsync("/v1/services/shop/predict", body));

        Assert.All(fromMlNet.Predictions, p => Assert.Equal(1, p.Version));
        Assert.All(fromOnnx.Predictions, p => Assert.Equal(2, p.Version));
        for (var i = 0; i < 2; i++)
        {
            var a = fromMlNet.Predictions[i].Outputs["probability"]!.GetValue<double>();
            var b = fromOnnx.Predictions[i].Outputs["probability"]!.GetValue<double>();
            Assert.InRange(a, 0, 1);
            Assert.Equal(a, b, 4);
        }

        // The generating rule makes cheap items by subscribers likely and expensive ones unlikely: the model learned it.
        Assert.True(fromMlNet.Predictions[0].Outputs["probability"]!.GetValue<double>() > fromMlNet.Predictions[1].Outputs["probability"]!.GetValue<double>());
    }

    private static (List<InputRow> Rows, List<bool> Labels) Generate(ServiceDefinition service, int count, int seed)
    {
        var random = new Random(seed);
        var countries = new[] { "DE", "FR", "US" };
        var rows = new List<InputRow>();
        var labels = new List<bool>();
        for (var i = 0; i < count; i++)
        {
            var price = random.NextDouble() * 1000;
            var subscriber = random.NextDouble() < 0.5;
            var tenure = random.Next(0, 100);
            var logit = 2.0 - (price / 250) + (subscriber ? 1.0 : -0.5) + (tenure / 100.0);
            rows.Add(new InputRow([
                FeatureValue.FromNumber(price),
                FeatureValue.FromText(countries[random.Next(3)]),
                FeatureValue.FromNumber(tenure),
                FeatureValue.FromBoolean(subscriber),
            ]));
            labels.Add(random.NextDouble() < 1 / (1 + Math.Exp(-logit)));
        }

        Assert.Equal(service.Inputs.Count, rows[0].Values.Length);
        return (rows, labels);
    }
}

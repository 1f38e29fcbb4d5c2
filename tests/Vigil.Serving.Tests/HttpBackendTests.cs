using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using Vigil.Registry;

namespace Vigil.Serving.Tests;

public sealed class HttpBackendTests(TestModelServer server) : IClassFixture<TestModelServer>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static readonly List<InputRow> Rows =
    [
        SyntheticData.Row(60, 10_000, "pro", true, 3),
        SyntheticData.Row(20, 10_000, "basic", false, 3),
        SyntheticData.Row(null, 10_000, "basic", true, 3),
    ];

    [Fact]
    public async Task V2_Predict_SendsTheDeclaredInputsAndMapsOutputsByName()
    {
        await using var backend = await Backends.LoadOkAsync(new BackendSpec(BackendKind.Http, server.Url, HttpProtocol.V2, Model: "tiny"));
        Assert.Equal(BackendKind.Http, backend.Kind);

        var results = await backend.PredictAsync(Rows, Ct);

        AssertModel(results);
        var sent = server.LastBodies["/v2/models/tiny/infer"]!["inputs"]!.AsArray();
        Assert.Equal(["age", "active"], sent.Select(i => i!["name"]!.GetValue<string>()));
        Assert.Equal("FP32", sent[0]!["datatype"]!.GetValue<string>());
        Assert.Equal("[3,1]", sent[0]!["shape"]!.ToJsonString());
        Assert.Equal("[60,20,null]", sent[0]!["data"]!.ToJsonString());
        Assert.Equal("[true,false,true]", sent[1]!["data"]!.ToJsonString());
    }

    [Fact]
    public async Task V2_EightParallelTasks_GiveTheSameAnswersAsSequential()
    {
        await using var backend = await Backends.LoadOkAsync(new BackendSpec(BackendKind.Http, server.Url, HttpProtocol.V2, Model: "tiny"));
        await ThreadSafety.AssertParallelEqualsSequentialAsync(backend);
    }

    [Fact]
    public async Task V2_Load_UnknownModel_FailsUnavailable()
    {
        var result = await Backends.LoadAsync(new BackendSpec(BackendKind.Http, server.Url, HttpProtocol.V2, Model: "nope"));
        Assert.Equal(FailureKind.Unavailable, result.Failure?.Kind);
        Assert.Contains("/v2/models/nope/ready answered 404", result.Failure!.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task V2_Load_DeclaredInputWithoutAFeature_FailsNamingIt()
    {
        var service = Backends.WithInputs([.. SyntheticData.Service.Inputs.Where(f => f.Name != "active")]);
        var result = await Backends.LoadAsync(new BackendSpec(BackendKind.Http, server.Url, HttpProtocol.V2, Model: "tiny"), service);
        Assert.Equal(FailureKind.Invalid, result.Failure?.Kind);
        Assert.Contains("remote model input 'active'", result.Failure!.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task V2_SlowModel_TimesOutWithAClearMessage()
    {
        await using var backend = await Backends.LoadOkAsync(new BackendSpec(BackendKind.Http, server.Url, HttpProtocol.V2, Model: "slow", TimeoutMs: 2000));
        var watch = Stopwatch.StartNew();

        var error = await Assert.ThrowsAsync<BackendException>(async () => await backend.PredictAsync(Rows, Ct));

        Assert.Equal($"remote model at {server.Url}/v2/models/slow/infer did not answer within 2000 ms", error.Message);
        // The model sleeps 30 s: an answer within 10 s, on a loaded CI machine too, can only be the 2 s timeout (generous: loading the model also waits up to it, and a loaded CI machine once took more than 200 ms for that).
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(10), $"took {watch.Elapsed}");
    }

    [Fact]
    public async Task Json_Predict_MapsObjectPredictions()
    {
        await using var backend = await Backends.LoadOkAsync(new BackendSpec(BackendKind.Http, server.Url + "/json", HttpProtocol.Json));

        var results = await backend.PredictAsync(Rows, Ct);

        AssertModel(results);
        Assert.All(results, r => Assert.True(r.ContainsKey("score")));
        var sent = server.LastBodies["/json"]!["instances"]!.AsArray();
        Assert.Equal(3, sent.Count);
        Assert.Equal("""{"age":null,"income":10000,"plan":"basic","active":true,"visits":3}""", sent[2]!.ToJsonString());
    }

    [Fact]
    public async Task Json_Predict_BareNumbersAreProbabilities()
    {
        await using var backend = await Backends.LoadOkAsync(new BackendSpec(BackendKind.Http, server.Url + "/json-bare", HttpProtocol.Json));
        AssertModel(await backend.PredictAsync(Rows, Ct));
    }

    [Fact]
    public async Task Json_Load_SlowModel_FailsUnavailableNamingTheTimeout()
    {
        var result = await Backends.LoadAsync(new BackendSpec(BackendKind.Http, server.Url + "/json-slow", HttpProtocol.Json, TimeoutMs: 200));
        Assert.Equal(FailureKind.Unavailable, result.Failure?.Kind);
        Assert.Contains($"remote model at {server.Url}/json-slow did not answer within 200 ms", result.Failure!.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Json_Load_ServerError_FailsUnavailableWithTheStatus()
    {
        var result = await Backends.LoadAsync(new BackendSpec(BackendKind.Http, server.Url + "/json-broken", HttpProtocol.Json));
        Assert.Equal(FailureKind.Unavailable, result.Failure?.Kind);
        Assert.Contains("answered 500", result.Failure!.Message, StringComparison.Ordinal);
        Assert.Contains("the model crashed", result.Failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ClosedPort_LoadFailsUnavailableAndPredictThrowsBackendException()
    {
        var url = $"http://127.0.0.1:{ClosedPort()}";

        var v2 = await Backends.LoadAsync(new BackendSpec(BackendKind.Http, url, HttpProtocol.V2, Model: "tiny"));
        var json = await Backends.LoadAsync(new BackendSpec(BackendKind.Http, url + "/json", HttpProtocol.Json));

        Assert.Equal(FailureKind.Unavailable, v2.Failure?.Kind);
        Assert.Contains($"remote model at {url}/v2/models/tiny/ready could not be reached", v2.Failure!.Message, StringComparison.Ordinal);
        Assert.Equal(FailureKind.Unavailable, json.Failure?.Kind);

        // A backend that loaded while the remote was up fails with a BackendException once it is gone.
        await using var temporary = new TestModelServer();
        await temporary.InitializeAsync();
        await using var backend = await Backends.LoadOkAsync(new BackendSpec(BackendKind.Http, temporary.Url + "/json", HttpProtocol.Json));
        await temporary.DisposeAsync();
        var error = await Assert.ThrowsAsync<BackendException>(async () => await backend.PredictAsync(Rows, Ct));
        Assert.StartsWith($"remote model at {temporary.Url}/json could not be reached", error.Message, StringComparison.Ordinal);
    }

    private static void AssertModel(IReadOnlyList<JsonObject> results)
    {
        Assert.Equal(Rows.Count, results.Count);
        for (var i = 0; i < Rows.Count; i++)
        {
            var age = Rows[i].Values[0];
            var expected = TestModelServer.Model(age.IsNull ? null : age.Number, Rows[i].Values[3].Number != 0);
            Assert.Equal(expected, results[i]["probability"]!.GetValue<double>());
            Assert.Equal(expected >= 0.5, results[i]["label"]!.GetValue<bool>());
        }
    }

    private static int ClosedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

using System.Collections.Concurrent;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace Vigil.Benchmarks.Gateway;

/// <summary>The request inputs as a user's own endpoint would declare them: JSON (snake_case) and ML.NET columns at once.</summary>
public sealed class BenchInputs
{
    [ColumnName("age")]
    public float Age { get; set; }

    [ColumnName("income")]
    public float Income { get; set; }

    [ColumnName("tenure_months")]
    public float TenureMonths { get; set; }

    [ColumnName("visits")]
    public float Visits { get; set; }

    [ColumnName("plan")]
    public string Plan { get; set; } = "";

    [ColumnName("country")]
    public string Country { get; set; } = "";

    [ColumnName("device")]
    public string Device { get; set; } = "";
}

/// <summary>What ML.NET's binary classifier produces.</summary>
public sealed class BenchPrediction
{
    [ColumnName("Probability")]
    public float Probability { get; set; }

    [ColumnName("PredictedLabel")]
    public bool PredictedLabel { get; set; }

    [ColumnName("Score")]
    public float Score { get; set; }
}

/// <summary>A predict request as a user's own endpoint would bind it.</summary>
public sealed record BenchRequest(string? Key, Dictionary<string, string>? Attributes, BenchInputs Inputs);

/// <summary>The same JSON Vigil answers with: request_id, service, version, arm, outputs {probability, label, score}.</summary>
public sealed record BenchResponse(string RequestId, string Service, int Version, string Arm, BenchOutputs Outputs);

public sealed record BenchOutputs(double Probability, bool Label, double Score);

/// <summary>
/// The model called directly with ML.NET's typed <see cref="PredictionEngine{TSrc,TDst}"/>, the way a user without Vigil
/// would serve it. Engines are not thread-safe, so calls rent one from a pool (as Vigil's own ML.NET backend does).
/// </summary>
public sealed class DirectModel
{
    private readonly MLContext _ml = new(seed: 0);
    private readonly ITransformer _model;
    private readonly ConcurrentBag<PredictionEngine<BenchInputs, BenchPrediction>> _pool = [];

    public DirectModel(string path)
    {
        _model = _ml.Model.Load(path, out _);
    }

    public BenchPrediction Predict(BenchInputs inputs)
    {
        if (!_pool.TryTake(out var engine))
        {
            engine = _ml.Model.CreatePredictionEngine<BenchInputs, BenchPrediction>(_model);
        }

        try
        {
            return engine.Predict(inputs);
        }
        finally
        {
            _pool.Add(engine);
        }
    }
}

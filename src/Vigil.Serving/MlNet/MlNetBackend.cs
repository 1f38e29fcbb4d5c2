using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Microsoft.ML;
using Vigil.Registry;
using Vigil.Serving.Outputs;

namespace Vigil.Serving.MlNet;

/// <summary>
/// An ML.NET model (.zip) run in process. The model's input schema is only known at run time, so rows are fed through a
/// row-to-row mapper over a mutable <see cref="FeatureRow"/>, the mechanism of ML.NET's PredictionEngine without its
/// compile-time class. Mappers are not thread-safe: each call rents one from a pool (grown to the peak concurrency), so
/// a single-row call costs one pass through the model and no allocation of a new pipeline.
/// </summary>
internal sealed class MlNetBackend : IModelBackend
{
    private readonly string _name;
    private readonly ITransformer _model;
    private readonly FeatureColumn[] _columns;
    private readonly OutputShape _shape;
    private readonly ConcurrentBag<Engine> _pool = [];
    private readonly InFlightGuard _guard;

    public MlNetBackend(string name, ITransformer model, FeatureColumn[] columns, OutputShape shape)
    {
        _name = name;
        _model = model;
        _columns = columns;
        _shape = shape;
        _guard = new InFlightGuard(name, ReleasePool);
        _pool.Add(new Engine(this));
    }

    public BackendKind Kind => BackendKind.Mlnet;

    public ValueTask<IReadOnlyList<JsonObject>> PredictAsync(IReadOnlyList<InputRow> rows, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(rows);
        cancellationToken.ThrowIfCancellationRequested();
        if (rows.Count == 0)
        {
            return ValueTask.FromResult<IReadOnlyList<JsonObject>>([]);
        }

        _guard.Enter();
        try
        {
            if (!_pool.TryTake(out var engine))
            {
                engine = new Engine(this);
            }

            try
            {
                return ValueTask.FromResult<IReadOnlyList<JsonObject>>(engine.Predict(rows, _shape));
            }
            catch (Exception e) when (e is not (OperationCanceledException or BackendException))
            {
                throw new BackendException($"the ML.NET model {_name} failed to predict: {e.Message}", e);
            }
            finally
            {
                _pool.Add(engine);
            }
        }
        finally
        {
            _guard.Exit();
        }
    }

    public ValueTask DisposeAsync()
    {
        _guard.Dispose();
        return ValueTask.CompletedTask;
    }

    private void ReleasePool()
    {
        while (_pool.TryTake(out var engine))
        {
            engine.Dispose();
        }
    }

    /// <summary>One input row, its mapped output row and the readers of the needed outputs; used by one call at a time.</summary>
    private sealed class Engine : IDisposable
    {
        private readonly FeatureRow _input;
        private readonly DataViewRow _output;
        private readonly OutputReader[] _readers;

        public Engine(MlNetBackend backend)
        {
            _input = new FeatureRow(backend._columns);
            var mapper = backend._model.GetRowToRowMapper(_input.Schema);
            var needed = backend._shape.Required.Select(name => mapper.OutputSchema[name]).ToArray();
            _output = mapper.GetRow(_input, needed);
            _readers = needed.Select(c => OutputReader.Create(_output, c)).ToArray();
        }

        public JsonObject[] Predict(IReadOnlyList<InputRow> rows, OutputShape shape)
        {
            for (var i = 0; i < rows.Count; i++)
            {
                _input.Set(rows[i]);
                foreach (var reader in _readers)
                {
                    reader.Read(i, rows.Count);
                }
            }

            var columns = new Dictionary<string, OutputColumn>(_readers.Length, StringComparer.Ordinal);
            foreach (var reader in _readers)
            {
                var column = reader.Finish();
                columns[column.Name] = column;
            }

            return shape.Apply(columns, rows.Count);
        }

        public void Dispose() => _output.Dispose();
    }
}

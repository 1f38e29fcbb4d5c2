using Microsoft.ML;
using Microsoft.ML.Data;
using Vigil.Registry;
using Vigil.Serving.Outputs;

namespace Vigil.Serving.MlNet;

/// <summary>
/// Loads an ML.NET model (.zip) with <c>MLContext.Model.Load</c> and checks it against the service schema: every input column
/// the model was saved with must be a feature of the service with a compatible type (see <see cref="FeatureColumn"/>),
/// except columns the model does not read when it predicts (a saved <c>Label</c> column, for instance), and the model must
/// produce the outputs the service's output kind needs.
/// </summary>
internal static class MlNetBackendLoader
{
    public static Result<IModelBackend> Load(ServiceDefinition service, ModelVersion version)
    {
        var path = version.Backend.Location;
        var name = $"'{version.Service}' v{version.Number}";
        if (!File.Exists(path))
        {
            return Failure.Invalid($"model file '{path}' does not load as an ML.NET model: the file does not exist");
        }

        var ml = new MLContext(seed: 0);
        ITransformer model;
        DataViewSchema? saved;
        try
        {
            model = ml.Model.Load(path, out saved);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return Failure.Invalid($"model file '{path}' does not load as an ML.NET model: {e.Message}");
        }

        var errors = new List<string>();
        var unmatched = new List<string>();
        FeatureColumn[] columns;
        if (saved is null || saved.Count == 0)
        {
            columns = FeatureColumn.Defaults(service);
        }
        else
        {
            var list = new List<FeatureColumn>();
            foreach (var column in saved.Where(c => !c.IsHidden))
            {
                var index = IndexOf(service, column.Name);
                if (index < 0)
                {
                    unmatched.Add(column.Name);
                    continue;
                }

                var feature = service.Inputs[index];
                if (!FeatureColumn.IsCompatible(feature, column.Type))
                {
                    errors.Add($"model input '{column.Name}' has type {column.Type} but feature '{feature.Name}' is {feature.Type.ToString().ToLowerInvariant()}");
                    continue;
                }

                list.Add(new FeatureColumn(column.Name, index, column.Type));
            }

            columns = [.. list];
        }

        if (errors.Count > 0)
        {
            return Failure.Invalid($"the ML.NET model '{path}' does not match the schema of service '{service.Name}': {string.Join("; ", errors)}", errors);
        }

        IRowToRowMapper mapper;
        try
        {
            mapper = model.GetRowToRowMapper(FeatureColumn.BuildSchema(columns));
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            var missing = unmatched.Count == 0
                ? string.Empty
                : $" (model inputs with no feature of that name: {string.Join(", ", unmatched.Select(n => $"'{n}'"))})";
            return Failure.Invalid($"the ML.NET model '{path}' cannot run on the inputs of service '{service.Name}': {e.Message}{missing}");
        }

        var inputNames = columns.Select(c => c.Name).ToHashSet(StringComparer.Ordinal);
        var outputs = mapper.OutputSchema
            .Where(c => !c.IsHidden && !inputNames.Contains(c.Name) && c.Name != "Features")
            .GroupBy(c => c.Name, StringComparer.Ordinal)
            .Select(g => g.Last().Name)
            .ToList();
        var shape = OutputShape.Create(service.Output, outputs);
        if (!shape.IsSuccess)
        {
            return Failure.Invalid($"the ML.NET model '{path}' cannot serve service '{service.Name}': {shape.Failure!.Message}");
        }

        var unreadable = shape.Value!.Required.Where(n => !OutputReader.CanRead(mapper.OutputSchema[n].Type)).ToList();
        if (unreadable.Count > 0)
        {
            return Failure.Invalid(
                $"the ML.NET model '{path}' has outputs Vigil cannot read: {string.Join(", ", unreadable.Select(n => $"'{n}' ({mapper.OutputSchema[n].Type})"))}");
        }

        return Result<IModelBackend>.Ok(new MlNetBackend(name, model, columns, shape.Value));
    }

    private static int IndexOf(ServiceDefinition service, string name)
    {
        for (var i = 0; i < service.Inputs.Count; i++)
        {
            if (string.Equals(service.Inputs[i].Name, name, StringComparison.Ordinal))
            {
                return i;
            }
        }

        return -1;
    }
}

using Vigil.Pipelines;
using Vigil.Server.Pipelines;

namespace Vigil.Cli.Client;

/// <summary>The pipeline calls of <see cref="VigilClient"/> (docs/pipelines.md, "API").</summary>
public sealed partial class VigilClient
{
    /// <summary>POST /v1/pipelines: create the pipeline or store its next revision.</summary>
    public Task<PipelineView> ApplyPipelineAsync(PipelineDefinition definition, CancellationToken cancellationToken) =>
        SendAsync<PipelineView>(HttpMethod.Post, "v1/pipelines", definition, cancellationToken);

    public Task<PipelineList> ListPipelinesAsync(CancellationToken cancellationToken) =>
        SendAsync<PipelineList>(HttpMethod.Get, "v1/pipelines", null, cancellationToken);

    public Task<PipelineView> GetPipelineAsync(string name, long? revision, CancellationToken cancellationToken) =>
        SendAsync<PipelineView>(HttpMethod.Get, $"v1/pipelines/{Segment(name)}" + Query(("revision", revision?.ToString(System.Globalization.CultureInfo.InvariantCulture))), null, cancellationToken);

    /// <summary>GET /v1/pipelines/{name}/report.</summary>
    public Task<PipelineReport> GetPipelineReportAsync(string name, string? window, string? against, CancellationToken cancellationToken, DateTimeOffset? end = null) =>
        SendAsync<PipelineReport>(HttpMethod.Get, $"v1/pipelines/{Segment(name)}/report" + Query(("window", window), ("against", against), ("end", Time(end))), null, cancellationToken);

    /// <summary>GET /v1/pipelines/{name}/stages/{stage}/metric over [from, to).</summary>
    public Task<StageMetricReading> GetStageMetricAsync(string name, string stage, DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken) =>
        SendAsync<StageMetricReading>(HttpMethod.Get, $"v1/pipelines/{Segment(name)}/stages/{Segment(stage)}/metric" + Query(("from", Time(from)), ("to", Time(to))), null, cancellationToken);

    public Task<TraceBatchResponse> SendTracesAsync(string name, TraceBatch batch, CancellationToken cancellationToken) =>
        SendAsync<TraceBatchResponse>(HttpMethod.Post, $"v1/pipelines/{Segment(name)}/traces", batch, cancellationToken);

    public Task<JudgmentBatchResponse> SendJudgmentsAsync(string name, JudgmentBatch batch, CancellationToken cancellationToken) =>
        SendAsync<JudgmentBatchResponse>(HttpMethod.Post, $"v1/pipelines/{Segment(name)}/judgments", batch, cancellationToken);
}

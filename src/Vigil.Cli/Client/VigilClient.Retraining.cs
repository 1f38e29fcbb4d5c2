using System.Text.Json.Nodes;
using Vigil.Retraining;
using Vigil.Server.Retraining;

namespace Vigil.Cli.Client;

/// <summary>The retraining loop's endpoints (docs/retraining.md).</summary>
public sealed partial class VigilClient
{
    public Task<RetrainingPolicyView> GetRetrainingPolicyAsync(string service, CancellationToken cancellationToken) =>
        SendAsync<RetrainingPolicyView>(HttpMethod.Get, $"v1/services/{Segment(service)}/retraining", null, cancellationToken);

    public Task<RetrainingPolicyView> PutRetrainingPolicyAsync(string service, JsonNode policy, CancellationToken cancellationToken) =>
        SendAsync<RetrainingPolicyView>(HttpMethod.Put, $"v1/services/{Segment(service)}/retraining", policy, cancellationToken);

    public Task<TriggerView> RetrainAsync(RetrainRequest request, CancellationToken cancellationToken) =>
        SendAsync<TriggerView>(HttpMethod.Post, "v1/retrain", request, cancellationToken);

    public Task<JobList> ListJobsAsync(string? service, bool activeOnly, int limit, CancellationToken cancellationToken) =>
        SendAsync<JobList>(HttpMethod.Get, "v1/jobs" + Query(("service", service), ("active", activeOnly ? "true" : null), ("limit", limit.ToString(System.Globalization.CultureInfo.InvariantCulture))), null, cancellationToken);

    public Task<RetrainJob> GetJobAsync(string id, CancellationToken cancellationToken) =>
        SendAsync<RetrainJob>(HttpMethod.Get, $"v1/jobs/{Segment(id)}", null, cancellationToken);

    public Task<RetrainJob> CancelJobAsync(string id, string? reason, CancellationToken cancellationToken) =>
        SendAsync<RetrainJob>(HttpMethod.Post, $"v1/jobs/{Segment(id)}/cancel", new CancelJobRequest(reason), cancellationToken);

    public async Task<string> GetJobLogsAsync(string id, CancellationToken cancellationToken)
    {
        var (bytes, _) = await SendRawAsync($"v1/jobs/{Segment(id)}/logs", cancellationToken);
        return System.Text.Encoding.UTF8.GetString(bytes);
    }

    /// <summary>The labelled training data as a file's bytes, with the number of rows.</summary>
    public async Task<(byte[] Bytes, int Rows)> ExportTrainingDataAsync(
        string service, string format, string part, DateTimeOffset? since, DateTimeOffset? until, CancellationToken cancellationToken)
    {
        var (bytes, response) = await SendRawAsync(
            $"v1/services/{Segment(service)}/training-data" + Query(("format", format), ("part", part), ("since", Time(since)), ("until", Time(until))), cancellationToken);
        var rows = response.TryGetValues("X-Vigil-Rows", out var values) && int.TryParse(values.FirstOrDefault(), out var n) ? n : -1;
        return (bytes, rows);
    }

    public Task<EvaluationReport> GetEvaluationAsync(string service, int version, CancellationToken cancellationToken) =>
        SendAsync<EvaluationReport>(HttpMethod.Get, $"v1/services/{Segment(service)}/versions/{version}/evaluation", null, cancellationToken);

    public Task<EvaluationReport> EvaluateAsync(string service, int version, CancellationToken cancellationToken) =>
        SendAsync<EvaluationReport>(HttpMethod.Post, $"v1/services/{Segment(service)}/versions/{version}/evaluation", new JsonObject(), cancellationToken);

    public Task<TimelineView> GetTimelineAsync(string service, CancellationToken cancellationToken) =>
        SendAsync<TimelineView>(HttpMethod.Get, $"v1/services/{Segment(service)}/timeline", null, cancellationToken);

    public Task<MaturityView> GetMaturityAsync(string service, CancellationToken cancellationToken) =>
        SendAsync<MaturityView>(HttpMethod.Get, $"v1/services/{Segment(service)}/maturity", null, cancellationToken);

    private async Task<(byte[] Bytes, System.Net.Http.Headers.HttpResponseHeaders Headers)> SendRawAsync(string path, CancellationToken cancellationToken)
    {
        HttpResponseMessage response;
        try
        {
            response = await _http.GetAsync(path, cancellationToken);
        }
        catch (HttpRequestException ex)
        {
            throw new VigilUnreachableException(_server, Describe(ex), ex);
        }
        catch (TaskCanceledException ex) when (!cancellationToken.IsCancellationRequested)
        {
            throw new VigilUnreachableException(_server, $"no answer within {_http.Timeout.TotalSeconds:0} s", ex);
        }

        using (response)
        {
            var bytes = await response.Content.ReadAsByteArrayAsync(cancellationToken);
            if (!response.IsSuccessStatusCode)
            {
                throw ReadProblem(response, System.Text.Encoding.UTF8.GetString(bytes), HttpMethod.Get, path);
            }

            return (bytes, response.Headers);
        }
    }
}

using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.Options;
using OpenTelemetry.Metrics;
using Vigil.Persistence;
using Vigil.Server.Access;
using Vigil.Server.Api;
using Vigil.Server.ControlPlane;
using Vigil.Server.Dashboard;
using Vigil.Server.Gateway;
using Vigil.Server.Monitoring;
using Vigil.Server.Observability;
using Vigil.Server.Recording;
using Vigil.Server.Releases;
using Vigil.Server.Retraining;
using Vigil.Server.Routing;
using Vigil.Serving.Loading;

namespace Vigil.Server.Hosting;

/// <summary><c>AddVigil()</c> and <c>MapVigil()</c>: host Vigil in <c>vigil serve</c> or inside another ASP.NET Core app.</summary>
public static class VigilServiceCollectionExtensions
{
    /// <summary>Registers Vigil's services on an already opened <paramref name="store"/>.</summary>
    public static IServiceCollection AddVigil(this IServiceCollection services, IVigilStore store, VigilServerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.Validate() is { Count: > 0 } errors)
        {
            throw new VigilStartupException("invalid server options: " + string.Join("; ", errors));
        }

        services.AddSingleton(Options.Create(options));
        services.AddSingleton(options.TimeProvider);
        services.AddVigilStore(store);
        services.AddSingleton<VigilMetrics>();
        services.AddSingleton<RoutingState>();
        services.AddSingleton<KeyRing>();
        services.AddSingleton<PredictionGateway>();
        services.AddSingleton<PredictionRecorder>();
        services.AddHostedService(sp => sp.GetRequiredService<PredictionRecorder>());
        services.AddHostedService<SnapshotRefresher>();
        services.AddHostedService<BackendWarmer>();
        services.AddVigilLeaderElection();
        services.AddSingleton<ReleaseService>();
        services.AddSingleton<ShadowRunner>();
        services.AddSingleton<ReleaseNotifier>();
        services.AddHttpClient(ReleaseNotifier.ClientName);
        services.AddSingleton<ReleaseController>();
        services.AddHostedService(sp => sp.GetRequiredService<ReleaseController>());
        services.AddHostedService<KeyRingRefresher>();
        services.AddSingleton<Pipelines.PipelineAnalyzer>();
        services.AddSingleton<Pipelines.LlmJudge>();
        Pipelines.StageMonitorExtensions.AddVigilStageMonitor(services);
        services.AddVigilRetraining();
        services.AddVigilMonitoring();
        services.AddVigilFeatureDistributions();
        Monitoring.Layers.LayersServiceCollectionExtensions.AddVigilLayers(services);
        services.AddVigilServing();
        services.AddVigilDashboard();
        services.Configure<JsonOptions>(o => VigilJson.Configure(o.SerializerOptions));
        services.AddProblemDetails();
        services.AddOpenApi("v1", o => o.AddDocumentTransformer((document, _, _) =>
        {
            document.Info.Title = "Vigil";
            document.Info.Description = "Vigil's HTTP API: the data plane (predict, feedback, Open Inference Protocol v2) and the control plane (registry, aliases, keys, audit, status).";
            document.Info.Version = StatusEndpoints.VigilVersion;
            return Task.CompletedTask;
        }));
        services.AddOpenTelemetry().WithMetrics(metrics => metrics
            .AddMeter(VigilMetrics.MeterName)
            .AddAspNetCoreInstrumentation()
            .AddPrometheusExporter());
        services.AddHostedService<BackgroundServiceWatch>(); // last: reports a background service that ends with an error
        return services;
    }

    /// <summary>
    /// Registers the store and each of its area ports (<see cref="Vigil.Registry.IRegistryStore"/>, <see cref="Vigil.Releases.IReleaseStore"/> …),
    /// every one resolving to the same <paramref name="store"/> instance, so a class asks for the narrow port it uses.
    /// </summary>
    private static void AddVigilStore(this IServiceCollection services, IVigilStore store)
    {
        services.AddSingleton(store);
        services.AddSingleton<Vigil.Registry.IRegistryStore>(store);
        services.AddSingleton<Vigil.Routing.Flags.IFlagStore>(store);
        services.AddSingleton<Vigil.Routing.Flags.ISegmentStore>(store);
        services.AddSingleton<Vigil.Releases.IReleaseStore>(store);
        services.AddSingleton<Vigil.Predictions.IPredictionLog>(store);
        services.AddSingleton<Vigil.Predictions.ITrafficReadModel>(store);
        services.AddSingleton<Vigil.Monitoring.IMonitoringStore>(store);
        services.AddSingleton<Vigil.Monitoring.Layers.IMonitoringLayerStore>(store);
        services.AddSingleton<Vigil.Pipelines.IPipelineStore>(store);
        services.AddSingleton<Vigil.Retraining.IRetrainingStore>(store);
        services.AddSingleton<Vigil.Audit.IAuditLog>(store);
        services.AddSingleton<Vigil.Access.IKeyStore>(store);
        services.AddSingleton<ILeaseStore>(store);
    }

    /// <summary>Maps every Vigil endpoint: /v1, /v2, /healthz, /readyz, /metrics, /openapi/v1.json.</summary>
    public static IEndpointRouteBuilder MapVigil(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.UseExceptionHandler(errors => errors.Run(async context =>
        {
            var exception = context.Features.Get<IExceptionHandlerFeature>()?.Error;
            var (status, detail) = exception switch
            {
                BadHttpRequestException bad when bad.StatusCode == StatusCodes.Status413PayloadTooLarge =>
                    (413, "the body is larger than the server's limit; send smaller batches"),
                BadHttpRequestException bad => (bad.StatusCode, "the request could not be read: " + bad.Message),
                _ => (500, "Vigil failed on this request; the error is in the server's log. Nothing stored was changed by the failed request."),
            };
            await Problems.Problem(status, Problems.Title(status), detail).ExecuteAsync(context);
        }));
        app.UseStatusCodePages(async context =>
        {
            var response = context.HttpContext.Response;
            if (response.ContentLength is null && !response.HasStarted)
            {
                var status = response.StatusCode;
                var detail = status switch
                {
                    404 => $"there is no endpoint at {context.HttpContext.Request.Path}; see /openapi/v1.json",
                    405 => $"{context.HttpContext.Request.Method} is not allowed on {context.HttpContext.Request.Path}",
                    _ => $"HTTP {status}",
                };
                await Problems.Problem(status, Problems.Title(status), detail).ExecuteAsync(context.HttpContext);
            }
        });
        app.UseMiddleware<AccessMiddleware>();
        app.MapOpenApi("/openapi/{documentName}.json");
        app.MapPrometheusScrapingEndpoint("/metrics").RequireScope(Vigil.Access.ApiScopes.Read);
        app.MapHealthEndpoints();
        app.MapVigilDashboard();
        app.MapPredictEndpoints();
        app.MapOpenInferenceEndpoints();
        app.MapFeedbackEndpoints();
        app.MapRegistryEndpoints();
        app.MapFlagEndpoints();
        app.MapSegmentEndpoints();
        app.MapStatusEndpoints();
        app.MapKeyEndpoints();
        app.MapReleaseEndpoints();
        Pipelines.PipelineEndpoints.MapPipelineEndpoints(app);
        Pipelines.Otlp.OtlpEndpoints.MapOtlpEndpoints(app);
        Pipelines.StageMonitorExtensions.MapStageAlertEndpoints(app);
        app.MapRetrainingEndpoints();
        app.MapMonitoringEndpoints();
        app.MapFeatureDistributionEndpoints();
        Monitoring.Layers.LayerEndpoints.MapLayerEndpoints(app);
        return app;
    }
}

using Vigil.Audit;
using Vigil.Monitoring.Layers;

namespace Vigil.Storage.Tests;

/// <summary>The monitoring layers' part of the store: per-service monitoring settings and business metrics.</summary>
public abstract partial class StoreConformanceTests
{
    [Fact]
    public async Task MonitoringSettings_PutTwice_KeepsTheLatest_WithRevisionAndAudit()
    {
        await Store.CreateServiceAsync(Service("shop"), Alice, Ct);
        Assert.Null(await Store.GetMonitoringSettingsAsync("shop", Ct));

        var first = (await Store.PutMonitoringSettingsAsync("shop", new MonitoringSettings(InputPolicy.Reject), Alice, Ct)).Unwrap();
        var second = (await Store.PutMonitoringSettingsAsync("shop", new MonitoringSettings(InputPolicy.Record, ["country"], ["sorry"], 48), Alice, Ct)).Unwrap();

        Assert.Equal((1, 2), (first.Revision, second.Revision));
        var read = await Store.GetMonitoringSettingsAsync("shop", Ct);
        Assert.Equal(InputPolicy.Record, read!.Settings.InputPolicy);
        Assert.Equal(["country"], read.Settings.Segments);
        Assert.Equal(["sorry"], read.Settings.RefusalPatterns);
        Assert.Equal(48, read.Settings.OutcomeWindowHours);
        Assert.Single(await Store.ListMonitoringSettingsAsync(Ct));
        var audit = await Store.QueryAuditAsync(new AuditQuery(Action: LayerActions.SettingsSet), Ct);
        Assert.Equal(2, audit.Count);
        Assert.NotNull(audit[0].Before);
        Assert.Equal(FailureKind.NotFound, (await Store.PutMonitoringSettingsAsync("nope", MonitoringSettings.Default, Alice, Ct)).Failure!.Kind);
    }

    [Fact]
    public async Task BusinessMetrics_AppendAndQuery_FilterByNameServiceAndTime_UnknownServiceStoresNothing()
    {
        await Store.CreateServiceAsync(Service("shop"), Alice, Ct);
        var stored = (await Store.AppendBusinessMetricsAsync(
            [
                new BusinessMetricPoint("retention", 0.4, T0, "shop", 1, "champion", "DE"),
                new BusinessMetricPoint("retention", 0.5, T0.AddDays(1), "shop"),
                new BusinessMetricPoint("nps", 31, T0.AddDays(1)),
            ],
            Ct)).Unwrap();
        Assert.Equal(3, stored);

        var retention = await Store.QueryBusinessMetricsAsync("retention", "shop", null, null, 100, Ct);
        Assert.Equal([0.4, 0.5], retention.Select(p => p.Value));
        Assert.Equal(new BusinessMetricPoint("retention", 0.4, T0, "shop", 1, "champion", "DE"), retention[0]);
        Assert.Equal(2, (await Store.QueryBusinessMetricsAsync(null, null, T0.AddHours(1), null, 100, Ct)).Count);
        Assert.Single(await Store.QueryBusinessMetricsAsync(null, null, null, T0.AddHours(1), 100, Ct));
        Assert.Single(await Store.QueryBusinessMetricsAsync(null, null, null, null, 1, Ct));

        var bad = await Store.AppendBusinessMetricsAsync([new BusinessMetricPoint("x", 1, T0), new BusinessMetricPoint("x", 1, T0, "nope")], Ct);
        Assert.Equal(FailureKind.NotFound, bad.Failure!.Kind);
        Assert.Empty(await Store.QueryBusinessMetricsAsync("x", null, null, null, 100, Ct));
    }
}

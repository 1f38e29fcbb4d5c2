using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Vigil.Audit;
using Vigil.Persistence;
using Vigil.Releases;
using Vigil.Server.Api;
using Vigil.Server.Releases;

namespace Vigil.Server.Tests;

public abstract partial class ReleaseTests
{
    /// <summary>
    /// The race <c>vigil demo</c> once lost ("Conflict: the release is canary, not paused"): resuming a kill-switch pause
    /// turned the release flag on in one transaction and resumed the release in another, and a controller tick in between
    /// saw the flag on, resumed the release itself, and left the person's resume a 409. Here the controller ticks at exactly
    /// that moment, the instant the flag's change is committed, as this replica's loop or another replica's could.
    /// </summary>
    [Fact]
    public async Task KillSwitchResume_ControllerTicksAsTheFlagComesBackOn_ThePersonsResumeSucceeds()
    {
        var release = await StartAsync("""
            {"service": "shop", "challenger": 2, "strategy": "canary", "steps": [{"weight": "50%", "hold": "1h"}],
             "triggers": [{"metric": "error_rate", "max": "2%"}]}
            """);
        var killed = await _server.ReadAsync<ReleaseView>(await _server.PostJsonAsync($"/v1/releases/{release.Id}/kill", """{"reason": "pager"}"""));
        Assert.Equal("paused", killed.Status);
        var store = _server.App.Services.GetRequiredService<IVigilStore>();
        var controller = _server.App.Services.GetRequiredService<ReleaseController>();
        var ticks = 0;
        void TickWhenTheFlagIsBackOn(object? sender, ControlPlaneChange change)
        {
            if (change.What == AuditActions.FlagEnabled && Interlocked.Increment(ref ticks) == 1)
            {
                controller.TickAsync(CancellationToken.None).GetAwaiter().GetResult();
            }
        }

        store.Changed += TickWhenTheFlagIsBackOn;
        HttpResponseMessage resumed;
        try
        {
            resumed = await _server.PostJsonAsync($"/v1/releases/{release.Id}/resume", """{"reason": "false alarm"}""");
        }
        finally
        {
            store.Changed -= TickWhenTheFlagIsBackOn;
        }

        Assert.Equal(1, ticks);
        Assert.True(resumed.StatusCode == HttpStatusCode.OK, await resumed.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        Assert.Equal("canary", (await _server.ReadAsync<ReleaseView>(resumed)).Status);
        // The person resumed it, once; the controller had nothing to follow.
        var resumes = (await _server.GetAsync<AuditList>($"/v1/audit?action={ReleaseActions.Resumed}")).Events;
        Assert.Equal(("local", "resumed: release flag back on: false alarm"), (Assert.Single(resumes).Actor, resumes[0].Reason));
        Assert.Contains(await SendAsync(200, offset: 1000), a => a.Arm == "canary");
    }
}

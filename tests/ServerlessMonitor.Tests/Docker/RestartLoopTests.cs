using System.Net.Http.Json;
using System.Text.Json;
using ServerlessMonitor.Events;
using ServerlessMonitor.Restarts;
using ServerlessMonitor.Tests.Support;
using Xunit.Abstractions;

namespace ServerlessMonitor.Tests.Docker;

/// <summary>Scenario 3: a container that dies right after every start. Three restarts, then the budget stops the loop.</summary>
public sealed class RestartLoopTests(ITestOutputHelper output) : IAsyncLifetime
{
    private RestartLab _lab = null!;

    public async Task InitializeAsync() => _lab = await RestartLab.StartAsync(output);

    public async Task DisposeAsync() => await _lab.DisposeAsync();

    [Fact]
    public async Task Container_that_dies_at_every_start_gets_three_restarts_then_restart_suppressed()
    {
        await _lab.StartRestartAgentAsync();
        var agent = "loop-" + _lab.HostId;
        var container = await _lab.RunAgentContainerAsync(agent, "crashloop", beats: 5);
        await _lab.WaitRegisteredAsync(agent);
        await _lab.PutPolicyAsync(agent, new { maxRestarts = 3, restartWindowSeconds = 600, startupGraceSeconds = 3, backoffInitialSeconds = 1, backoffMaxSeconds = 2 });

        var suppressed = await _lab.EventAsync(EventTypes.RestartSuppressed, agent, TimeSpan.FromSeconds(60));
        Assert.Equal(RestartPlanner.ReasonBudgetExhausted, suppressed.Details.Reason);
        Assert.Equal(3, suppressed.Details.RestartsInWindow);

        var requested = _lab.Events(EventTypes.RestartRequested, agent);
        Assert.Equal([1, 2, 3], requested.Select(e => e.Details.Attempt!.Value).Order());
        var failed = await Eventually.GetAsync(() => Task.FromResult(_lab.Events(EventTypes.RestartFailed, agent) is { Count: 3 } all ? all : null),
            TimeSpan.FromSeconds(10), "three restart.failed");
        Assert.All(failed, e => Assert.Equal(RestartEvents.ReasonNoHeartbeat, e.Details.Reason));
        // Restarts 2 and 3 found the container dead from its start-up error; the alert carries it.
        Assert.Contains(failed, e => e.Details.ExitCode == 1 && e.Details.LogTail!.Contains("cannot start", StringComparison.Ordinal));
        Assert.Empty(_lab.Events(EventTypes.RestartSucceeded, agent));

        // No fourth restart: the loop is closed and nothing is scheduled.
        var policy = await _lab.Monitor.Client.GetFromJsonAsync<JsonElement>($"api/agents/{agent}/policy");
        Assert.Equal("suppressed", policy.GetProperty("restartPhase").GetString());
        Assert.False(policy.TryGetProperty("nextCheckAt", out _));
        Assert.Equal(4, await _lab.BootsAsync(container));
        Assert.Equal(3, _lab.Events(EventTypes.RestartRequested, agent).Count);
    }
}

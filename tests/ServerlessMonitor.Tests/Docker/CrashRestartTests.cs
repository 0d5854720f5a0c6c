using ServerlessMonitor.Events;
using Xunit.Abstractions;

namespace ServerlessMonitor.Tests.Docker;

/// <summary>Scenario 1: the agent's process exits. The monitor notices the silence, the restart agent restarts the container, the first heartbeat closes the loop.</summary>
public sealed class CrashRestartTests(ITestOutputHelper output) : IAsyncLifetime
{
    private RestartLab _lab = null!;

    public async Task InitializeAsync() => _lab = await RestartLab.StartAsync(output);

    public async Task DisposeAsync() => await _lab.DisposeAsync();

    [Fact]
    public async Task Crashed_container_is_restarted_and_its_first_heartbeat_closes_the_loop()
    {
        await _lab.StartRestartAgentAsync();
        var agent = "crash-" + _lab.HostId;
        var container = await _lab.RunAgentContainerAsync(agent, "crash");

        var timedOut = await _lab.EventAsync(EventTypes.AgentTimedOut, agent, TimeSpan.FromSeconds(30));
        var requested = await _lab.EventAsync(EventTypes.RestartRequested, agent, TimeSpan.FromSeconds(10));
        var recovered = await _lab.EventAsync(EventTypes.AgentRecovered, agent, TimeSpan.FromSeconds(20));
        var succeeded = await _lab.EventAsync(EventTypes.RestartSucceeded, agent, TimeSpan.FromSeconds(10));

        Assert.Equal(timedOut.IncidentId, requested.IncidentId);
        Assert.Equal(timedOut.IncidentId, succeeded.IncidentId);
        Assert.Equal(requested.Details.CommandId, succeeded.Details.CommandId);
        Assert.Equal(1, succeeded.Details.Attempt);
        // Why it died travels with the alert: the exit code and the last log lines before the restart.
        Assert.Equal(3, succeeded.Details.ExitCode);
        Assert.False(succeeded.Details.OomKilled);
        Assert.Contains("crashing after 3 heartbeats", succeeded.Details.LogTail, StringComparison.Ordinal);
        Assert.Equal(2, await _lab.BootsAsync(container));

        var downtime = succeeded.Details.DowntimeSeconds!.Value;
        Assert.InRange(downtime, RestartLab.AgentTimeoutSeconds, 30);
        Assert.Equal(recovered.Details.DowntimeSeconds!.Value, downtime, 1);
        _lab.Print($"MEASURED crash: downtime {downtime:0.0} s from last heartbeat to first heartbeat after the restart " +
            $"(agent timeout {RestartLab.AgentTimeoutSeconds} s, sweep every 1 s, restart agent poll {RestartLab.PollIntervalSeconds} s, stop timeout 1 s)");

        Assert.Single(_lab.Events(EventTypes.RestartRequested, agent));
        Assert.Single(_lab.Events(EventTypes.RestartSucceeded, agent));
    }
}

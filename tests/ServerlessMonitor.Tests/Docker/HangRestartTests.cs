using ServerlessMonitor.Events;
using Xunit.Abstractions;

namespace ServerlessMonitor.Tests.Docker;

/// <summary>Scenario 2: the process stays alive but stops heartbeating — the case Docker's own restart policy never sees.</summary>
public sealed class HangRestartTests(ITestOutputHelper output) : IAsyncLifetime
{
    private RestartLab _lab = null!;

    public async Task InitializeAsync() => _lab = await RestartLab.StartAsync(output);

    public async Task DisposeAsync() => await _lab.DisposeAsync();

    [Fact]
    public async Task Hung_container_that_still_runs_is_restarted()
    {
        await _lab.StartRestartAgentAsync();
        var agent = "hang-" + _lab.HostId;
        var container = await _lab.RunAgentContainerAsync(agent, "hang");

        await _lab.EventAsync(EventTypes.AgentTimedOut, agent, TimeSpan.FromSeconds(30));
        var succeeded = await _lab.EventAsync(EventTypes.RestartSucceeded, agent, TimeSpan.FromSeconds(30));
        await _lab.EventAsync(EventTypes.AgentRecovered, agent, TimeSpan.FromSeconds(5));

        // It was running when it was restarted: no exit code to blame, but the log shows where it stopped.
        Assert.Null(succeeded.Details.ExitCode);
        Assert.Contains("hanging after 3 heartbeats", succeeded.Details.LogTail, StringComparison.Ordinal);
        Assert.Equal(2, await _lab.BootsAsync(container));
        Assert.Contains("stopping on SIGTERM", await _lab.LogsAsync(container), StringComparison.Ordinal);

        var downtime = succeeded.Details.DowntimeSeconds!.Value;
        Assert.InRange(downtime, RestartLab.AgentTimeoutSeconds, 30);
        _lab.Print($"MEASURED hang: downtime {downtime:0.0} s from last heartbeat to first heartbeat after the restart " +
            $"(agent timeout {RestartLab.AgentTimeoutSeconds} s, sweep every 1 s, restart agent poll {RestartLab.PollIntervalSeconds} s, stop timeout 1 s)");
    }
}

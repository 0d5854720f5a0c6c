using ServerlessMonitor.Events;
using ServerlessMonitor.RestartAgent;
using Xunit.Abstractions;

namespace ServerlessMonitor.Tests.Docker;

/// <summary>Scenario 4: containers the restart agent must leave alone (not opted in; exited 0 on purpose), and the alert says why.</summary>
public sealed class NotOptedInTests(ITestOutputHelper output) : IAsyncLifetime
{
    private RestartLab _lab = null!;

    public async Task InitializeAsync() => _lab = await RestartLab.StartAsync(output);

    public async Task DisposeAsync() => await _lab.DisposeAsync();

    [Fact]
    public async Task Container_that_did_not_opt_in_is_never_restarted_and_the_result_says_why()
    {
        await _lab.StartRestartAgentAsync();
        var agent = "optout-" + _lab.HostId;
        var container = await _lab.RunAgentContainerAsync(agent, "crash", optIn: false);

        var failed = await _lab.EventAsync(EventTypes.RestartFailed, agent, TimeSpan.FromSeconds(30));
        Assert.Equal(RestartReasons.NotOptedIn, failed.Details.Reason);
        Assert.Contains(ContainerRestarter.OptInLabel + "=true", failed.Details.Error, StringComparison.Ordinal);
        Assert.Contains("not opted in", failed.Details.Summary, StringComparison.Ordinal);

        var state = await _lab.Docker.Containers.InspectContainerAsync(container);
        Assert.False(state.State.Running);
        Assert.Equal(1, await _lab.BootsAsync(container));
        Assert.Empty(_lab.Events(EventTypes.RestartSucceeded, agent));
    }

    [Fact]
    public async Task Container_that_exited_0_on_purpose_is_left_alone_when_its_policy_says_so()
    {
        await _lab.StartRestartAgentAsync();
        var agent = "done-" + _lab.HostId;
        var container = await _lab.RunAgentContainerAsync(agent, "exit0", beats: 4);
        await _lab.WaitRegisteredAsync(agent);
        await _lab.PutPolicyAsync(agent, new { restartOnCleanExit = false });

        var suppressed = await _lab.EventAsync(EventTypes.RestartSuppressed, agent, TimeSpan.FromSeconds(30));
        Assert.Equal(RestartReasons.ExitedCleanly, suppressed.Details.Reason);
        Assert.Equal(0, suppressed.Details.ExitCode);
        Assert.Contains("work done", suppressed.Details.LogTail, StringComparison.Ordinal);
        Assert.Equal(1, await _lab.BootsAsync(container));
        Assert.Empty(_lab.Events(EventTypes.RestartFailed, agent));
    }
}

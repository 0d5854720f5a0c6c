using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using ServerlessMonitor.Events;
using ServerlessMonitor.Restarts;
using ServerlessMonitor.Tests.Support;
using Xunit.Abstractions;

namespace ServerlessMonitor.Tests.Docker;

/// <summary>
/// Scenario 5: the restart agent is killed in the middle of a restart. Its lease runs out, the command is offered
/// again, and the next restart agent (same state file) finds out from the container that the restart happened:
/// the container is restarted exactly once, and the monitor hears about it once.
/// </summary>
public sealed class LeaseExpiryTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const int StopTimeoutSeconds = 3;

    private RestartLab _lab = null!;

    public async Task InitializeAsync() => _lab = await RestartLab.StartAsync(output);

    public async Task DisposeAsync() => await _lab.DisposeAsync();

    [Fact]
    public async Task Command_of_a_restart_agent_killed_mid_restart_is_executed_exactly_once_by_the_next_agent()
    {
        var first = await _lab.StartRestartAgentAsync(StopTimeoutSeconds);
        var agent = "lease-" + _lab.HostId;
        // Ignores SIGTERM, so the restart takes the whole stop timeout: the window in which the first agent dies.
        var container = await _lab.RunAgentContainerAsync(agent, "hang", ignoreTerm: true);

        await Eventually.TrueAsync(() => File.Exists(_lab.StateFile) && File.ReadAllText(_lab.StateFile).Contains("\"Started\"", StringComparison.Ordinal),
            TimeSpan.FromSeconds(30), "the first restart agent to start the restart");
        using (var stopping = new CancellationTokenSource(TimeSpan.FromSeconds(5)))
        {
            await first.StopAsync(stopping.Token);
        }
        first.Dispose();

        await _lab.StartRestartAgentAsync(StopTimeoutSeconds);
        var succeeded = await _lab.EventAsync(EventTypes.RestartSucceeded, agent, TimeSpan.FromSeconds(40));

        var command = await _lab.Monitor.Services.GetRequiredService<RestartCommandRepository>().GetAsync(_lab.HostId, succeeded.Details.CommandId!, CancellationToken.None);
        Assert.NotNull(command);
        Assert.Equal(CommandStatus.Succeeded, command.Status);
        Assert.Equal(2, command.Deliveries);
        Assert.Equal(2, await _lab.BootsAsync(container));
        Assert.Single(_lab.Events(EventTypes.RestartRequested, agent));
        Assert.Single(_lab.Events(EventTypes.RestartSucceeded, agent));
        using var journal = JsonDocument.Parse(await File.ReadAllTextAsync(_lab.StateFile));
        Assert.Contains(journal.RootElement.GetProperty("entries").EnumerateArray(),
            e => e.GetProperty("commandId").GetString() == command.Id && e.GetProperty("state").GetString() == "Reported");
    }
}

using ServerlessMonitor.Agents;
using ServerlessMonitor.Heartbeats;

namespace ServerlessMonitor.Tests.Unit;

public sealed class AgentLifecycleTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 4, 2, 1, 34, TimeSpan.Zero);
    private static readonly MonitorOptions Defaults = new();

    [Fact]
    public void Registration_uses_the_default_interval_and_timeout()
    {
        var agent = AgentLifecycle.Register(new Heartbeat { Agent = "a" }, Now, Defaults);

        Assert.Equal(60, agent.IntervalSeconds);
        Assert.Equal(120, agent.TimeoutSeconds);
        Assert.Equal(Now.AddSeconds(120), agent.Deadline);
        Assert.Equal(AgentStatus.Up, agent.Status);
        Assert.Equal(1, agent.HeartbeatCount);
    }

    [Fact]
    public void Agent_announcing_a_slow_interval_gets_a_timeout_of_two_intervals()
    {
        var agent = AgentLifecycle.Register(new Heartbeat { Agent = "a", IntervalSeconds = 300 }, Now, Defaults);

        Assert.Equal(300, agent.IntervalSeconds);
        Assert.Equal(600, agent.TimeoutSeconds);
    }

    [Fact]
    public void Agent_announcing_a_short_timeout_beats_at_least_that_often()
    {
        var agent = AgentLifecycle.Register(new Heartbeat { Agent = "a", TimeoutSeconds = 30 }, Now, Defaults);

        Assert.Equal(30, agent.TimeoutSeconds);
        Assert.Equal(30, agent.IntervalSeconds);
    }

    [Fact]
    public void Heartbeat_moves_the_deadline_and_keeps_location_it_does_not_repeat()
    {
        var agent = AgentLifecycle.Register(new Heartbeat { Agent = "a", Host = "h", Container = "c", Message = "first" }, Now, Defaults);

        var (next, finished) = AgentLifecycle.Beat(agent, new Heartbeat { Agent = "a", Progress = 5 }, Now.AddSeconds(60));

        Assert.Null(finished);
        Assert.Equal(Now.AddSeconds(180), next.Deadline);
        Assert.Equal("h", next.Host);
        Assert.Equal("c", next.Container);
        Assert.Equal("first", next.LastMessage);
        Assert.Equal(5, next.Progress);
        Assert.Equal(2, next.HeartbeatCount);
    }

    [Fact]
    public void Incident_id_follows_from_when_the_agent_was_last_seen()
    {
        var agent = AgentLifecycle.Register(new Heartbeat { Agent = "oom-agent" }, Now, Defaults);

        Assert.Equal("oom-agent@20261204T020134000Z", AgentLifecycle.IncidentIdFor(agent));
        Assert.Equal(AgentLifecycle.IncidentIdFor(agent), AgentLifecycle.IncidentIdFor(agent with { LastMessage = "other" }));
        var later = AgentLifecycle.Beat(agent, new Heartbeat { Agent = "oom-agent" }, Now.AddSeconds(60)).Record;
        Assert.NotEqual(AgentLifecycle.IncidentIdFor(agent), AgentLifecycle.IncidentIdFor(later));
    }

    [Fact]
    public void Going_down_and_recovering_keeps_the_incident_for_history()
    {
        var agent = AgentLifecycle.Register(new Heartbeat { Agent = "a" }, Now, Defaults);

        var down = AgentLifecycle.GoDown(agent, IncidentReason.TimedOut, "a@1", Now);
        var up = AgentLifecycle.Recover(down);

        Assert.Equal(AgentStatus.Down, down.Status);
        Assert.Equal("a@1", down.IncidentId);
        Assert.Equal(AgentStatus.Up, up.Status);
        Assert.Null(up.IncidentId);
        Assert.Null(up.DownSince);
        Assert.Equal("a@1", up.LastIncidentId);
    }
}

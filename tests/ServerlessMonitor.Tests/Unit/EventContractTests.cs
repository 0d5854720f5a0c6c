using System.Text.Json;
using ServerlessMonitor.Agents;
using ServerlessMonitor.Events;
using ServerlessMonitor.Heartbeats;

namespace ServerlessMonitor.Tests.Unit;

public sealed class EventContractTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 4, 2, 1, 34, TimeSpan.Zero);

    [Fact]
    public void Event_ids_are_stable_uuids_distinct_per_type_and_subject()
    {
        var id = EventIds.For("agent@20261204T020134000Z", EventTypes.AgentTimedOut);

        Assert.Equal(id, EventIds.For("agent@20261204T020134000Z", EventTypes.AgentTimedOut));
        Assert.NotEqual(id, EventIds.For("agent@20261204T020134000Z", EventTypes.AgentRecovered));
        Assert.NotEqual(id, EventIds.For("agent@20261204T020135000Z", EventTypes.AgentTimedOut));
        Assert.True(Guid.TryParse(id, out _));
    }

    [Fact]
    public void Outage_event_serializes_to_the_documented_contract()
    {
        var agent = AgentLifecycle.Register(new Heartbeat { Agent = "oom-agent", Host = "docker-1", Container = "c1", Message = "step 9" }, Now, new MonitorOptions());
        var down = AgentLifecycle.GoDown(agent, IncidentReason.TimedOut, AgentLifecycle.IncidentIdFor(agent), agent.LastSeenAt);

        var json = JsonDocument.Parse(EventSerializer.Serialize(AgentEvents.Outage(down, Now.AddSeconds(121)))).RootElement;

        Assert.Equal(1, json.GetProperty("version").GetInt32());
        Assert.Equal("agent.timed_out", json.GetProperty("type").GetString());
        Assert.Equal("oom-agent", json.GetProperty("agent").GetString());
        Assert.Equal("docker-1", json.GetProperty("host").GetString());
        Assert.Equal("c1", json.GetProperty("container").GetString());
        Assert.Equal("oom-agent@20261204T020134000Z", json.GetProperty("incidentId").GetString());
        Assert.Equal(EventIds.For("oom-agent@20261204T020134000Z", "agent.timed_out"), json.GetProperty("id").GetString());
        var details = json.GetProperty("details");
        Assert.Equal("step 9", details.GetProperty("lastMessage").GetString());
        Assert.Equal("restart", details.GetProperty("recoveryAction").GetString());
        Assert.Equal(120, details.GetProperty("timeoutSeconds").GetInt32());
        Assert.False(details.TryGetProperty("downtimeSeconds", out _), "absent facts are omitted, not null");
    }

    [Fact]
    public void Recovery_event_reports_downtime_from_the_last_heartbeat()
    {
        var agent = AgentLifecycle.Register(new Heartbeat { Agent = "a" }, Now, new MonitorOptions());
        var down = AgentLifecycle.GoDown(agent, IncidentReason.TimedOut, "a@x", agent.LastSeenAt);

        var recovered = AgentEvents.Recovered(down, Now.AddSeconds(51));

        Assert.Equal(51, recovered.Details.DowntimeSeconds);
        Assert.Contains("51 s", recovered.Details.Summary, StringComparison.Ordinal);
        Assert.Equal(EventIds.For("a@x", EventTypes.AgentRecovered), recovered.Id);
    }

    [Theory]
    [InlineData("{\"id\":\"1\",\"type\":\"agent.timed_out\",\"time\":\"2026-12-04T02:00:00Z\"}", true)]
    [InlineData("{\"type\":\"agent.timed_out\",\"time\":\"2026-12-04T02:00:00Z\"}", false)]
    [InlineData("{\"version\":2,\"id\":\"1\",\"type\":\"x\",\"time\":\"2026-12-04T02:00:00Z\"}", false)]
    [InlineData("[]", false)]
    public void Only_valid_events_of_a_known_version_are_read(string body, bool valid)
    {
        if (valid)
        {
            Assert.Equal("agent.timed_out", EventSerializer.Deserialize(body).Type);
        }
        else
        {
            Assert.Throws<InvalidEventException>(() => EventSerializer.Deserialize(body));
        }
    }
}

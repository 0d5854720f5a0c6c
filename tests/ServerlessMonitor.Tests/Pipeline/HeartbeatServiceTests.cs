using ServerlessMonitor.Agents;
using ServerlessMonitor.Events;
using ServerlessMonitor.Heartbeats;
using ServerlessMonitor.Tests.Support;

namespace ServerlessMonitor.Tests.Pipeline;

/// <summary>Heartbeats against real Table Storage (Azurite), with a fake clock and Service Bus at its SDK seam.</summary>
public sealed class HeartbeatServiceTests : IAsyncLifetime
{
    private CoreHarness _core = null!;

    public async Task InitializeAsync() => _core = await CoreHarness.StartAsync();

    public async Task DisposeAsync() => await _core.DisposeAsync();

    [Fact]
    public async Task First_heartbeat_registers_the_agent_with_the_default_policy()
    {
        var result = await _core.BeatAsync("fresh-agent", host: "docker-1");

        Assert.Equal(HeartbeatOutcome.Registered, result.Outcome);
        var stored = await _core.AgentAsync("fresh-agent");
        Assert.Equal(AgentStatus.Up, stored.Status);
        Assert.Equal(120, stored.TimeoutSeconds);
        Assert.Equal(60, stored.IntervalSeconds);
        Assert.Equal(RecoveryAction.Restart, stored.RecoveryAction);
        Assert.Equal(_core.Time.GetUtcNow().AddSeconds(120), stored.Deadline);
        Assert.Equal("docker-1", stored.Host);
        Assert.Empty(_core.Published);
    }

    [Fact]
    public async Task Agent_asking_for_its_own_timeout_gets_it_at_registration()
    {
        await _core.BeatAsync("patient-agent", timeoutSeconds: 900);

        Assert.Equal(900, (await _core.AgentAsync("patient-agent")).TimeoutSeconds);
    }

    [Fact]
    public async Task Steady_heartbeat_is_one_storage_round_trip()
    {
        await _core.BeatAsync("steady-agent");
        _core.Time.Advance(TimeSpan.FromSeconds(60));

        _core.StorageRequests.Reset();
        var result = await _core.BeatAsync("steady-agent");

        Assert.Equal(HeartbeatOutcome.Recorded, result.Outcome);
        Assert.Equal(1, _core.StorageRequests.Count);
        Assert.Equal(_core.Time.GetUtcNow().AddSeconds(120), (await _core.AgentAsync("steady-agent")).Deadline);
    }

    [Fact]
    public async Task Heartbeat_after_someone_else_changed_the_agent_rereads_and_still_records()
    {
        await _core.BeatAsync("contended-agent");
        // Another writer (the sweeper, another instance) changes the row behind the cache's back.
        var stored = await _core.AgentAsync("contended-agent");
        await _core.Agents.TryReplaceAsync(stored with { LastMessage = "changed elsewhere" }, CancellationToken.None);

        _core.Time.Advance(TimeSpan.FromSeconds(30));
        var result = await _core.BeatAsync("contended-agent", message: "still alive");

        Assert.Equal(HeartbeatOutcome.Recorded, result.Outcome);
        var after = await _core.AgentAsync("contended-agent");
        Assert.Equal("still alive", after.LastMessage);
        Assert.Equal(2, after.HeartbeatCount);
    }

    [Fact]
    public async Task Failure_report_opens_an_incident_and_publishes_agent_failed_at_once()
    {
        await _core.BeatAsync("failing-agent", host: "docker-2");
        _core.Time.Advance(TimeSpan.FromSeconds(10));

        var result = await _core.BeatAsync("failing-agent", ReportedStatus.Fail, message: "LLM quota exhausted");

        Assert.Equal(HeartbeatOutcome.Failed, result.Outcome);
        var failed = Assert.Single(_core.PublishedOfType(EventTypes.AgentFailed));
        Assert.Equal("failing-agent", failed.Agent);
        Assert.Equal("docker-2", failed.Host);
        Assert.Equal("LLM quota exhausted", failed.Details.LastMessage);
        var stored = await _core.AgentAsync("failing-agent");
        Assert.Equal(AgentStatus.Down, stored.Status);
        Assert.Equal(failed.IncidentId, stored.IncidentId);

        // Repeating the failure while down opens nothing new.
        await _core.BeatAsync("failing-agent", ReportedStatus.Fail, message: "still failing");
        Assert.Single(_core.PublishedOfType(EventTypes.AgentFailed));
    }

    [Fact]
    public async Task Heartbeat_of_a_down_agent_closes_its_incident_with_the_downtime()
    {
        await _core.BeatAsync("flaky-agent");
        await _core.BeatAsync("flaky-agent", ReportedStatus.Fail);
        var incidentId = (await _core.AgentAsync("flaky-agent")).IncidentId!;
        _core.Time.Advance(TimeSpan.FromSeconds(51));

        var result = await _core.BeatAsync("flaky-agent");

        Assert.Equal(HeartbeatOutcome.Recovered, result.Outcome);
        var recovered = Assert.Single(_core.PublishedOfType(EventTypes.AgentRecovered));
        Assert.Equal(incidentId, recovered.IncidentId);
        Assert.Equal(51, recovered.Details.DowntimeSeconds);
        var incident = await new Incidents.IncidentRepository(_core.Tables).GetAsync("flaky-agent", incidentId, CancellationToken.None);
        Assert.Equal(51, incident!.DowntimeSeconds);
        Assert.Equal(_core.Time.GetUtcNow(), incident.ClosedAt);
        Assert.Equal(AgentStatus.Up, (await _core.AgentAsync("flaky-agent")).Status);
    }

    [Fact]
    public async Task Recovery_that_cannot_be_published_changes_nothing_and_the_next_heartbeat_completes_it()
    {
        await _core.BeatAsync("unlucky-agent");
        await _core.BeatAsync("unlucky-agent", ReportedStatus.Fail);
        _core.Bus.Sender.FailNext(1);

        await Assert.ThrowsAsync<Azure.Messaging.ServiceBus.ServiceBusException>(() => _core.BeatAsync("unlucky-agent"));
        Assert.Equal(AgentStatus.Down, (await _core.AgentAsync("unlucky-agent")).Status);

        await _core.BeatAsync("unlucky-agent");
        Assert.Single(_core.PublishedOfType(EventTypes.AgentRecovered));
        Assert.Equal(AgentStatus.Up, (await _core.AgentAsync("unlucky-agent")).Status);
    }

    [Fact]
    public async Task Usage_is_summed_per_day_and_a_finished_day_is_kept()
    {
        await _core.Heartbeats.RecordAsync(new Heartbeat { Agent = "spender", Tokens = 1000, CostUsd = 0.25m }, CancellationToken.None);
        await _core.Heartbeats.RecordAsync(new Heartbeat { Agent = "spender", Tokens = 500, CostUsd = 0.10m }, CancellationToken.None);
        Assert.Equal(1500, (await _core.AgentAsync("spender")).UsageTokens);

        _core.Time.Advance(TimeSpan.FromDays(1));
        await _core.Heartbeats.RecordAsync(new Heartbeat { Agent = "spender", Tokens = 7 }, CancellationToken.None);

        var today = await _core.AgentAsync("spender");
        Assert.Equal(7, today.UsageTokens);
        Assert.Equal(0m, today.UsageCostUsd);
        var yesterday = await _core.Tables.Agents.GetEntityAsync<Azure.Data.Tables.TableEntity>("spender", "usage-2026-12-04");
        Assert.Equal(1500, yesterday.Value.GetInt64("Tokens"));
        Assert.Equal("0.35", yesterday.Value.GetString("CostUsd"));
    }
}

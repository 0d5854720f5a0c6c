using ServerlessMonitor.Agents;
using ServerlessMonitor.Events;
using ServerlessMonitor.Incidents;
using ServerlessMonitor.Tests.Support;

namespace ServerlessMonitor.Tests.Pipeline;

/// <summary>The sweeper against real Table Storage (Azurite), with a fake clock and Service Bus at its SDK seam.</summary>
public sealed class SweeperTests : IAsyncLifetime
{
    private CoreHarness _core = null!;

    public async Task InitializeAsync() => _core = await CoreHarness.StartAsync();

    public async Task DisposeAsync() => await _core.DisposeAsync();

    [Fact]
    public async Task Agent_past_its_deadline_goes_down_with_one_incident_and_one_event()
    {
        await _core.BeatAsync("silent-agent", host: "docker-1", message: "processed batch 17");
        var lastBeat = _core.Time.GetUtcNow();
        await SweepAtAsync(TimeSpan.FromSeconds(119));
        Assert.Empty(_core.Published);

        await SweepAtAsync(TimeSpan.FromSeconds(2));

        var timedOut = Assert.Single(_core.Published);
        Assert.Equal(EventTypes.AgentTimedOut, timedOut.Type);
        Assert.Equal("silent-agent", timedOut.Agent);
        Assert.Equal("docker-1", timedOut.Host);
        Assert.Equal("processed batch 17", timedOut.Details.LastMessage);
        Assert.Equal(lastBeat, timedOut.Details.LastHeartbeatAt);
        var message = Assert.Single(_core.Bus.Sender.Sent);
        Assert.Equal(timedOut.Id, message.MessageId);
        Assert.Equal("agent-events", _core.Bus.Sender.Topic);

        var agent = await _core.AgentAsync("silent-agent");
        Assert.Equal(AgentStatus.Down, agent.Status);
        var incident = await new IncidentRepository(_core.Tables).GetAsync("silent-agent", agent.IncidentId!, CancellationToken.None);
        Assert.Equal(IncidentReason.TimedOut, incident!.Reason);
        Assert.Equal(lastBeat, incident.DownSince);

        // Later sweeps leave the outage alone.
        await SweepAtAsync(TimeSpan.FromSeconds(10));
        await SweepAtAsync(TimeSpan.FromMinutes(10));
        Assert.Single(_core.Published);
    }

    [Fact]
    public async Task Agent_that_keeps_beating_is_rearmed_not_timed_out()
    {
        await _core.BeatAsync("busy-agent");
        for (var second = 10; second <= 600; second += 10)
        {
            _core.Time.Advance(TimeSpan.FromSeconds(10));
            if (second % 60 == 0)
            {
                await _core.BeatAsync("busy-agent");
            }
            await _core.Sweeper.SweepAsync(CancellationToken.None);
        }

        Assert.Empty(_core.Published);
        Assert.Equal(AgentStatus.Up, (await _core.AgentAsync("busy-agent")).Status);
    }

    [Fact]
    public async Task Overlapping_sweeps_open_exactly_one_incident_and_one_event()
    {
        for (var i = 0; i < 20; i++)
        {
            await _core.BeatAsync($"herd-{i}");
        }
        _core.Time.Advance(TimeSpan.FromSeconds(121));

        await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => _core.Sweeper.SweepAsync(CancellationToken.None)));

        var timedOut = _core.PublishedOfType(EventTypes.AgentTimedOut);
        // A re-announcement reuses the event id, so Service Bus duplicate detection drops it: count distinct ids.
        Assert.Equal(20, timedOut.Select(e => e.Id).Distinct().Count());
        Assert.Equal(20, timedOut.Select(e => e.IncidentId).Distinct().Count());
        for (var i = 0; i < 20; i++)
        {
            var incidents = new List<IncidentRecord>();
            await foreach (var incident in new IncidentRepository(_core.Tables).ListAsync($"herd-{i}", 10, CancellationToken.None))
            {
                incidents.Add(incident);
            }
            Assert.Single(incidents);
        }
    }

    [Fact]
    public async Task Outage_whose_event_could_not_be_published_is_announced_by_the_next_sweep_under_the_same_id()
    {
        await _core.BeatAsync("announce-agent");
        _core.Time.Advance(TimeSpan.FromSeconds(121));
        _core.Bus.Sender.FailNext(1);

        var first = await _core.Sweeper.SweepAsync(CancellationToken.None);
        Assert.Equal(1, first.Failed);
        Assert.Empty(_core.Published);
        Assert.Equal(AgentStatus.Down, (await _core.AgentAsync("announce-agent")).Status);

        var second = await SweepAtAsync(TimeSpan.FromSeconds(1));

        Assert.Equal(1, second.Announced);
        var timedOut = Assert.Single(_core.Published);
        Assert.Equal((await _core.AgentAsync("announce-agent")).IncidentId, timedOut.IncidentId);
    }

    [Fact]
    public async Task After_a_gap_in_sweeping_agents_get_a_grace_period_and_one_gap_event_instead_of_alerts()
    {
        await _core.BeatAsync("patient-1");
        await _core.BeatAsync("patient-2");
        await _core.Sweeper.SweepAsync(CancellationToken.None);

        // The monitor is down for 10 minutes (a deployment): both deadlines pass meanwhile.
        var report = await SweepAtAsync(TimeSpan.FromMinutes(10));

        Assert.True(report.GapDetected);
        Assert.Equal(2, report.GivenGrace);
        var gap = Assert.Single(_core.Published);
        Assert.Equal(EventTypes.MonitorGap, gap.Type);
        Assert.Equal(2, gap.Details.AgentsGivenGrace);
        Assert.Equal(_core.Time.GetUtcNow().AddSeconds(120), (await _core.AgentAsync("patient-1")).Deadline);

        // An agent that stays silent through its grace period is reported as usual.
        await SweepAtAsync(TimeSpan.FromSeconds(10));
        for (var i = 0; i < 12; i++)
        {
            await SweepAtAsync(TimeSpan.FromSeconds(10));
        }
        Assert.Equal(2, _core.PublishedOfType(EventTypes.AgentTimedOut).Count);
    }

    [Fact]
    public async Task Sweep_cost_follows_the_due_agents_not_all_registered_ones()
    {
        for (var i = 0; i < 200; i++)
        {
            await _core.BeatAsync($"fleet-{i:D3}", timeoutSeconds: i < 5 ? 30 : 600);
        }
        foreach (var step in new[] { 0, 10, 10, 9 })
        {
            await SweepAtAsync(TimeSpan.FromSeconds(step));
        }
        _core.Time.Advance(TimeSpan.FromSeconds(2));

        _core.StorageRequests.Reset();
        var report = await _core.Sweeper.SweepAsync(CancellationToken.None);

        Assert.Equal(5, report.Due);
        Assert.Equal(5, report.TimedOut);
        // Per sweep: the state row (read + write) and one range query per shard; per due agent: read, transition, incident, index delete.
        var budget = 2 + ServerlessMonitor.Sweeping.DeadlineIndex.ShardCount + 4 * report.Due;
        Assert.InRange(_core.StorageRequests.Count, 1, budget);
    }

    [Fact]
    public async Task Paused_and_deleted_agents_leave_the_index()
    {
        await _core.BeatAsync("pausing-agent");
        var agent = await _core.AgentAsync("pausing-agent");
        await _core.Agents.TryReplaceAsync(agent with { Status = AgentStatus.Paused }, CancellationToken.None);
        _core.Time.Advance(TimeSpan.FromSeconds(121));

        var report = await _core.Sweeper.SweepAsync(CancellationToken.None);

        Assert.Equal(1, report.Removed);
        Assert.Empty(_core.Published);
        Assert.Equal(0, (await _core.Sweeper.SweepAsync(CancellationToken.None)).Due);
    }

    private async Task<Sweeping.SweepReport> SweepAtAsync(TimeSpan advance)
    {
        _core.Time.Advance(advance);
        return await _core.Sweeper.SweepAsync(CancellationToken.None);
    }
}

using Microsoft.Extensions.DependencyInjection;
using ServerlessMonitor.Agents;
using ServerlessMonitor.Events;
using ServerlessMonitor.Heartbeats;
using ServerlessMonitor.Hosts;
using ServerlessMonitor.Restarts;
using ServerlessMonitor.Tests.Support;

namespace ServerlessMonitor.Tests.Restarts;

/// <summary>
/// The closed loop on real tables (Azurite) with a fake clock: outage, command, result, first heartbeat; the grace,
/// the budget, expiry, an offline host, and redeliveries. The restart agent's side is played by the repository.
/// </summary>
public sealed class RestartLoopTests : IAsyncLifetime
{
    private const string Host = "docker-1";
    private CoreHarness _core = null!;

    public async Task InitializeAsync() => _core = await CoreHarness.StartAsync(new Dictionary<string, string?>
    {
        ["Monitor:DefaultStartupGraceSeconds"] = "30",
        ["Restarts:CommandTtlSeconds"] = "60",
        ["Restarts:LeaseSeconds"] = "20",
    });

    public async Task DisposeAsync() => await _core.DisposeAsync();

    private RestartLoop Loop => _core.Services.GetRequiredService<RestartLoop>();
    private RestartRequester Requester => _core.Services.GetRequiredService<RestartRequester>();
    private RestartCommandRepository Commands => _core.Services.GetRequiredService<RestartCommandRepository>();

    [Fact]
    public async Task Outage_writes_one_command_however_often_the_event_arrives()
    {
        var outage = await GoDownAsync("redelivered");
        await Requester.HandleAsync(outage, CancellationToken.None);
        await Requester.HandleAsync(outage, CancellationToken.None);

        var requested = Assert.Single(_core.PublishedOfType(EventTypes.RestartRequested));
        var command = await CommandAsync(requested);
        Assert.Equal((CommandStatus.Pending, 1, "redelivered", "c-redelivered"), (command.Status, command.Attempt, command.Agent, command.Container));
        var agent = await _core.AgentAsync("redelivered");
        Assert.Equal(RestartPhase.Requested, agent.Restart.Phase);
        Assert.Equal(command.ExpiresAt, agent.Restart.CheckAt);
    }

    [Fact]
    public async Task Result_that_arrives_before_the_loop_commits_its_request_is_still_taken_in()
    {
        var outage = await GoDownAsync("quick-host");
        var agent = await _core.AgentAsync("quick-host");
        // An earlier try of this step wrote the command and died before committing the agent row; meanwhile a fast
        // restart agent leased the command and reported that the container had exited on purpose.
        var now = _core.Time.GetUtcNow();
        await Commands.TryAddAsync(new RestartCommand
        {
            Id = RestartLoop.CommandIdFor(outage.IncidentId!, 1),
            Host = Host,
            Agent = agent.Name,
            Container = agent.Container,
            IncidentId = outage.IncidentId!,
            Attempt = 1,
            Status = CommandStatus.Skipped,
            Result = new CommandResult { Outcome = CommandOutcome.Skipped, Reason = RestartEvents.ReasonExitedCleanly, ExitCode = 0 },
            CreatedAt = now,
            CompletedAt = now,
            ExpiresAt = now.AddSeconds(60),
        }, CancellationToken.None);

        await Requester.HandleAsync(outage, CancellationToken.None);

        Assert.Single(_core.PublishedOfType(EventTypes.RestartSuppressed));
        Assert.Equal(RestartPhase.Suppressed, (await _core.AgentAsync("quick-host")).Restart.Phase);
    }

    [Fact]
    public async Task Restart_counts_as_successful_when_the_first_heartbeat_follows_within_the_grace()
    {
        var outage = await GoDownAsync("phoenix");
        var lastBeat = (await _core.AgentAsync("phoenix")).LastHeartbeatAt!.Value;
        await Requester.HandleAsync(outage, CancellationToken.None);
        var command = await LeaseAsync(Assert.Single(_core.PublishedOfType(EventTypes.RestartRequested)));

        _core.Time.Advance(TimeSpan.FromSeconds(3));
        var completion = await Loop.CompleteAsync(Host, command.Id, new CommandResult
        {
            Outcome = CommandOutcome.Succeeded,
            RestartedAt = _core.Time.GetUtcNow(),
            ExitCode = 137,
            OomKilled = true,
            LogTail = "Killed",
        }, CancellationToken.None);
        Assert.Equal(CompletionOutcome.Recorded, completion.Outcome);
        Assert.Equal(RestartPhase.Restarted, (await _core.AgentAsync("phoenix")).Restart.Phase);
        Assert.Empty(_core.PublishedOfType(EventTypes.RestartSucceeded));

        _core.Time.Advance(TimeSpan.FromSeconds(2));
        var result = await BeatAsync("phoenix");
        Assert.Equal(HeartbeatOutcome.Recovered, result.Outcome);

        var succeeded = Assert.Single(_core.PublishedOfType(EventTypes.RestartSucceeded));
        Assert.Equal(outage.IncidentId, succeeded.IncidentId);
        Assert.Equal((_core.Time.GetUtcNow() - lastBeat).TotalSeconds, succeeded.Details.DowntimeSeconds);
        Assert.True(succeeded.Details.OomKilled);
        Assert.Contains("OOM", succeeded.Details.Summary, StringComparison.Ordinal);
        var agent = await _core.AgentAsync("phoenix");
        Assert.Equal((AgentStatus.Up, RestartPhase.None, (DateTimeOffset?)null), (agent.Status, agent.Restart.Phase, agent.Restart.CheckAt));

        // The restart agent repeats its report (it was not sure it arrived): recorded once, no second event.
        var repeated = await Loop.CompleteAsync(Host, command.Id, new CommandResult { Outcome = CommandOutcome.Succeeded }, CancellationToken.None);
        Assert.Equal(CompletionOutcome.Recorded, repeated.Outcome);
        Assert.Single(_core.PublishedOfType(EventTypes.RestartSucceeded));
        var contradicting = await Loop.CompleteAsync(Host, command.Id, new CommandResult { Outcome = CommandOutcome.Failed }, CancellationToken.None);
        Assert.Equal(CompletionOutcome.Conflict, contradicting.Outcome);
    }

    [Fact]
    public async Task Heartbeat_that_overtakes_the_result_waits_for_it_to_close_the_loop()
    {
        var outage = await GoDownAsync("quick");
        await Requester.HandleAsync(outage, CancellationToken.None);
        var command = await LeaseAsync(Assert.Single(_core.PublishedOfType(EventTypes.RestartRequested)));

        _core.Time.Advance(TimeSpan.FromSeconds(2));
        await BeatAsync("quick");
        Assert.Equal(RestartPhase.AwaitingResult, (await _core.AgentAsync("quick")).Restart.Phase);
        Assert.Empty(_core.PublishedOfType(EventTypes.RestartSucceeded));

        _core.Time.Advance(TimeSpan.FromSeconds(1));
        await Loop.CompleteAsync(Host, command.Id, new CommandResult { Outcome = CommandOutcome.Succeeded, ExitCode = 2 }, CancellationToken.None);
        var succeeded = Assert.Single(_core.PublishedOfType(EventTypes.RestartSucceeded));
        Assert.Equal(2, succeeded.Details.ExitCode);
        Assert.Equal(RestartPhase.None, (await _core.AgentAsync("quick")).Restart.Phase);
    }

    [Fact]
    public async Task No_heartbeat_within_the_grace_fails_the_restart_and_the_next_one_follows_the_backoff()
    {
        var outage = await GoDownAsync("stubborn");
        await Requester.HandleAsync(outage, CancellationToken.None);
        var first = await LeaseAsync(Assert.Single(_core.PublishedOfType(EventTypes.RestartRequested)));
        await Loop.CompleteAsync(Host, first.Id, new CommandResult { Outcome = CommandOutcome.Succeeded, RestartedAt = _core.Time.GetUtcNow(), ExitCode = 1 }, CancellationToken.None);
        await PollAsync();

        // Grace (30 s) over without a heartbeat: restart.failed; the backoff (10 s from the restart) is over too, so restart 2 follows at once.
        _core.Time.Advance(TimeSpan.FromSeconds(31));
        await PollAsync();
        await _core.Sweeper.SweepAsync(CancellationToken.None);
        var failed = Assert.Single(_core.PublishedOfType(EventTypes.RestartFailed));
        Assert.Equal((RestartEvents.ReasonNoHeartbeat, 1, 1), (failed.Details.Reason, failed.Details.ExitCode, failed.Details.Attempt));
        var requested = _core.PublishedOfType(EventTypes.RestartRequested);
        Assert.Equal([1, 2], requested.Select(e => e.Details.Attempt!.Value));
        Assert.Equal(outage.IncidentId, requested[1].IncidentId);
        var agent = await _core.AgentAsync("stubborn");
        Assert.Equal((RestartPhase.Requested, 2, 2), (agent.Restart.Phase, agent.Restart.Attempt, agent.Restart.Consecutive));
    }

    [Fact]
    public async Task Restart_budget_stops_the_loop_with_restart_suppressed()
    {
        var outage = await GoDownAsync("crashloop", new RecoveryPolicyOverrides { MaxRestarts = 2, BackoffInitialSeconds = 1, StartupGraceSeconds = 5 });
        await Requester.HandleAsync(outage, CancellationToken.None);
        for (var attempt = 1; attempt <= 2; attempt++)
        {
            var command = await LeaseAsync(_core.PublishedOfType(EventTypes.RestartRequested)[^1]);
            await Loop.CompleteAsync(Host, command.Id, new CommandResult { Outcome = CommandOutcome.Succeeded, RestartedAt = _core.Time.GetUtcNow() }, CancellationToken.None);
            _core.Time.Advance(TimeSpan.FromSeconds(6));
            await PollAsync();
            await _core.Sweeper.SweepAsync(CancellationToken.None);
        }

        Assert.Equal(2, _core.PublishedOfType(EventTypes.RestartRequested).Count);
        Assert.Equal(2, _core.PublishedOfType(EventTypes.RestartFailed).Count);
        var suppressed = Assert.Single(_core.PublishedOfType(EventTypes.RestartSuppressed));
        Assert.Equal((RestartPlanner.ReasonBudgetExhausted, 2), (suppressed.Details.Reason, suppressed.Details.RestartsInWindow));
        var agent = await _core.AgentAsync("crashloop");
        Assert.Equal((RestartPhase.Suppressed, (DateTimeOffset?)null), (agent.Restart.Phase, agent.Restart.CheckAt));

        // Nothing is left to do: later sweeps neither restart nor repeat the alert.
        _core.Time.Advance(TimeSpan.FromMinutes(1));
        await _core.Sweeper.SweepAsync(CancellationToken.None);
        Assert.Equal(2, _core.PublishedOfType(EventTypes.RestartRequested).Count);
        Assert.Single(_core.PublishedOfType(EventTypes.RestartSuppressed));
    }

    [Fact]
    public async Task Command_nobody_picks_up_expires_as_failed_host_offline()
    {
        var outage = await GoDownAsync("orphan");
        await Requester.HandleAsync(outage, CancellationToken.None);
        var requested = Assert.Single(_core.PublishedOfType(EventTypes.RestartRequested));

        _core.Time.Advance(TimeSpan.FromSeconds(61));
        await _core.Sweeper.SweepAsync(CancellationToken.None);

        var failed = Assert.Single(_core.PublishedOfType(EventTypes.RestartFailed));
        Assert.Equal(RestartPlanner.ReasonHostOffline, failed.Details.Reason);
        Assert.StartsWith(Host + "@", failed.Details.HostIncidentId, StringComparison.Ordinal);
        Assert.Equal(CommandStatus.Expired, (await CommandAsync(requested)).Status);
        Assert.Equal(RestartPhase.Failed, (await _core.AgentAsync("orphan")).Restart.Phase);
    }

    [Fact]
    public async Task Agents_of_a_silent_host_are_not_restarted_and_share_one_host_incident()
    {
        var first = await GoDownAsync("silent-1");
        var second = await GoDownAsync("silent-2", pollFirst: false);
        _core.Time.Advance(TimeSpan.FromMinutes(1)); // 3 polls (5 s) + 10 s margin passed without a poll
        await Requester.HandleAsync(first, CancellationToken.None);
        await Requester.HandleAsync(second, CancellationToken.None);

        var suppressed = _core.PublishedOfType(EventTypes.RestartSuppressed);
        Assert.Equal(2, suppressed.Count);
        Assert.All(suppressed, e => Assert.Equal(RestartPlanner.ReasonHostOffline, e.Details.Reason));
        Assert.Single(suppressed.Select(e => e.Details.HostIncidentId).Distinct());
        Assert.Empty(_core.PublishedOfType(EventTypes.RestartRequested));
    }

    [Fact]
    public async Task Agent_back_before_any_restart_agent_took_the_command_is_not_restarted()
    {
        var outage = await GoDownAsync("flaky");
        await Requester.HandleAsync(outage, CancellationToken.None);
        var requested = Assert.Single(_core.PublishedOfType(EventTypes.RestartRequested));

        await BeatAsync("flaky");

        Assert.Equal(CommandStatus.Cancelled, (await CommandAsync(requested)).Status);
        Assert.Empty(_core.PublishedOfType(EventTypes.RestartSucceeded));
        Assert.Equal(RestartPhase.None, (await _core.AgentAsync("flaky")).Restart.Phase);
    }

    [Fact]
    public async Task Alert_only_agent_gets_no_command()
    {
        var outage = await GoDownAsync("batch-job", recoveryAction: RecoveryAction.AlertOnly);
        await Requester.HandleAsync(outage, CancellationToken.None);
        Assert.Empty(_core.PublishedOfType(EventTypes.RestartRequested));
        Assert.Empty(_core.PublishedOfType(EventTypes.RestartSuppressed));
    }

    [Fact]
    public async Task Steady_heartbeat_of_an_agent_with_restart_history_is_still_one_storage_round_trip()
    {
        var outage = await GoDownAsync("veteran");
        await Requester.HandleAsync(outage, CancellationToken.None);
        await BeatAsync("veteran"); // back (the pending command is withdrawn)
        await BeatAsync("veteran");

        _core.StorageRequests.Reset();
        await BeatAsync("veteran");
        Assert.Equal(1, _core.StorageRequests.Count);
        Assert.Single((await _core.AgentAsync("veteran")).Restart.History);
    }

    /// <summary>Registers the agent (with a container) on a host whose restart agent polls, lets it time out, and returns the outage event.</summary>
    private async Task<MonitorEvent> GoDownAsync(string agent, RecoveryPolicyOverrides? policy = null, RecoveryAction recoveryAction = RecoveryAction.Restart, bool pollFirst = true)
    {
        if (pollFirst)
        {
            await PollAsync();
        }
        await BeatAsync(agent, timeoutSeconds: 10);
        if (policy is not null || recoveryAction != RecoveryAction.Restart)
        {
            var stored = await _core.AgentAsync(agent);
            Assert.NotNull(await _core.Agents.TryReplaceAsync(stored with { Policy = policy, RecoveryAction = recoveryAction }, CancellationToken.None));
            _core.Services.GetRequiredService<AgentCache>().Forget(agent);
        }
        _core.Time.Advance(TimeSpan.FromSeconds(11));
        await PollAsync();
        await _core.Sweeper.SweepAsync(CancellationToken.None);
        return _core.PublishedOfType(EventTypes.AgentTimedOut).Single(e => e.Agent == agent);
    }

    private Task<HeartbeatResult> BeatAsync(string agent, int? timeoutSeconds = null) =>
        _core.Heartbeats.RecordAsync(new Heartbeat { Agent = agent, Host = Host, Container = "c-" + agent, TimeoutSeconds = timeoutSeconds }, CancellationToken.None);

    /// <summary>The host's restart agent polls (its liveness).</summary>
    private Task PollAsync() =>
        _core.Services.GetRequiredService<HostRepository>().RecordPollAsync(Host, _core.Time.GetUtcNow(), 5, "test", CancellationToken.None);

    private async Task<RestartCommand> CommandAsync(MonitorEvent requested) =>
        await Commands.GetAsync(requested.Host!, requested.Details.CommandId!, CancellationToken.None) ?? throw new InvalidOperationException("No command.");

    /// <summary>Leases the command as GET /api/hosts/{host}/commands does.</summary>
    private async Task<RestartCommand> LeaseAsync(MonitorEvent requested)
    {
        var command = await CommandAsync(requested);
        var now = _core.Time.GetUtcNow();
        return await Commands.TryReplaceAsync(command with { Status = CommandStatus.Leased, LeasedAt = now, LeaseExpiresAt = now.AddSeconds(20), Deliveries = 1 }, CancellationToken.None)
            ?? throw new InvalidOperationException("Lease lost.");
    }
}

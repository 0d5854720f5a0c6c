using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using ServerlessMonitor.Agents;
using ServerlessMonitor.Events;
using ServerlessMonitor.Heartbeats;
using ServerlessMonitor.Hosts;
using ServerlessMonitor.Sweeping;

namespace ServerlessMonitor.Restarts;

public enum CompletionOutcome
{
    Recorded,
    NotFound,
    Conflict,
}

public sealed record CommandCompletion(CompletionOutcome Outcome, RestartCommand? Command);

/// <summary>
/// The closed restart loop of a down agent, driven by four inputs: its outage event (decide: restart, wait for the
/// backoff, or suppress), the restart agent's result, the agent's first heartbeat after the restart, and the sweeper
/// when <see cref="RestartState.CheckAt"/> comes due (backoff over, command not picked up, start-up grace over).
/// Every step publishes its events first (ids derived from the command or incident) and then commits the agent row
/// under its ETag; a lost race re-reads and re-decides, so redeliveries and retries are harmless.
/// </summary>
public sealed partial class RestartLoop(
    AgentRepository agents,
    RestartCommandRepository commands,
    HostRepository hosts,
    DeadlineIndex index,
    IEventPublisher publisher,
    TimeProvider time,
    IOptions<MonitorOptions> monitorOptions,
    IOptions<RestartOptions> restartOptions,
    ILogger<RestartLoop> logger)
{
    private const int MaxAttempts = 5;

    public static string CommandIdFor(string incidentId, int attempt) => EventIds.For($"{incidentId}#{attempt}", "restart.command");

    /// <summary>An outage was announced: decide the first restart of the incident (once, however often the event arrives).</summary>
    public async Task HandleOutageAsync(string agentName, string incidentId, CancellationToken cancellationToken)
    {
        for (var attempt = 0; attempt < MaxAttempts; attempt++)
        {
            var agent = await agents.GetAsync(agentName, cancellationToken).ConfigureAwait(false);
            if (agent is null || agent.Status != AgentStatus.Down || agent.IncidentId != incidentId)
            {
                return; // the agent is back, or this is an older incident: nothing to restart
            }
            if (agent.Restart.Answers(incidentId) && agent.Restart.Phase != RestartPhase.None)
            {
                return; // decided before: a redelivered event
            }
            if (await AdvanceAsync(agent, time.GetUtcNow(), cancellationToken).ConfigureAwait(false) is not null)
            {
                return;
            }
        }
        throw new ConcurrencyException($"Agent {agentName} changed {MaxAttempts} times while its restart was being decided.");
    }

    /// <summary>
    /// The sweeper found the loop due (<see cref="RestartState.CheckAt"/> passed). Returns the stored agent, whose
    /// <see cref="RestartState.CheckAt"/> says when to look again (none: the index entry can go); <c>null</c> when the row changed meanwhile.
    /// </summary>
    public async Task<AgentRecord?> CheckAsync(AgentRecord agent, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var state = agent.Restart;
        if (agent.Status != AgentStatus.Down || !state.Answers(agent.IncidentId))
        {
            return await CommitAsync(agent, state with { CheckAt = null }, cancellationToken).ConfigureAwait(false);
        }
        switch (state.Phase)
        {
            case RestartPhase.Scheduled:
                return await AdvanceAsync(agent, now, cancellationToken).ConfigureAwait(false);

            case RestartPhase.Requested:
                return await CheckCommandAsync(agent, now, cancellationToken).ConfigureAwait(false);

            case RestartPhase.Restarted:
                // The start-up grace is over without a heartbeat: this restart failed; try the next within budget.
                var command = await commands.GetAsync(agent.Host!, state.CommandId!, cancellationToken).ConfigureAwait(false);
                var grace = RecoveryPolicy.For(agent, monitorOptions.Value).StartupGraceSeconds;
                if (command is not null)
                {
                    LogNoHeartbeat(agent.Name, command.Id, grace);
                    await publisher.PublishAsync(RestartEvents.Failed(agent, command, RestartEvents.ReasonNoHeartbeat,
                        $"no heartbeat within {grace} s of the restart", now), cancellationToken).ConfigureAwait(false);
                }
                return await AdvanceAsync(agent, now, cancellationToken).ConfigureAwait(false);

            default:
                return await CommitAsync(agent, state with { CheckAt = null }, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>The restart agent reports a command's result. Recording it twice is harmless; a different second result is a conflict.</summary>
    public async Task<CommandCompletion> CompleteAsync(string host, string commandId, CommandResult result, CancellationToken cancellationToken)
    {
        for (var attempt = 0; attempt < MaxAttempts; attempt++)
        {
            var now = time.GetUtcNow();
            var command = await commands.GetAsync(host, commandId, cancellationToken).ConfigureAwait(false);
            if (command is null)
            {
                return new CommandCompletion(CompletionOutcome.NotFound, null);
            }
            if (command.Status is CommandStatus.Succeeded or CommandStatus.Failed or CommandStatus.Skipped)
            {
                if (command.Result?.Outcome != result.Outcome)
                {
                    return new CommandCompletion(CompletionOutcome.Conflict, command);
                }
                // Already recorded (the agent repeats a report it is not sure arrived): make sure the loop saw it.
                await ApplyResultAsync(command, cancellationToken).ConfigureAwait(false);
                return new CommandCompletion(CompletionOutcome.Recorded, command);
            }
            if (command.Status != CommandStatus.Leased)
            {
                return new CommandCompletion(CompletionOutcome.Conflict, command);
            }
            var status = result.Outcome switch
            {
                CommandOutcome.Succeeded => CommandStatus.Succeeded,
                CommandOutcome.Skipped => CommandStatus.Skipped,
                _ => CommandStatus.Failed,
            };
            var completed = await commands.TryReplaceAsync(command with { Status = status, Result = result, CompletedAt = now }, cancellationToken).ConfigureAwait(false);
            if (completed is null)
            {
                continue;
            }
            LogCompleted(command.Agent, host, command.Id, result.Outcome, result.Reason);
            await ApplyResultAsync(completed, cancellationToken).ConfigureAwait(false);
            return new CommandCompletion(CompletionOutcome.Recorded, completed);
        }
        throw new ConcurrencyException($"Command {commandId} changed {MaxAttempts} times while its result was being recorded.");
    }

    /// <summary>
    /// A down agent heartbeats again (called by the heartbeat path on recovery, before it commits <paramref name="next"/>):
    /// closes the loop with <c>restart.succeeded</c> when a restart brought it back, or withdraws a command nobody took yet.
    /// </summary>
    public async Task<AgentRecord> OnRecoveryAsync(AgentRecord current, AgentRecord next, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var state = current.Restart;
        if (ReferenceEquals(state, RestartState.Initial))
        {
            return next; // never restarted: nothing to keep, and the row stays as small as before
        }
        var recovered = state with { Phase = RestartPhase.None, CheckAt = null, LastRecoveredAt = now };
        if (!state.Answers(current.IncidentId) || state.CommandId is null || current.Host is null)
        {
            return next with { Restart = recovered };
        }

        switch (state.Phase)
        {
            case RestartPhase.Restarted:
                var restarted = await commands.GetAsync(current.Host, state.CommandId, cancellationToken).ConfigureAwait(false);
                await PublishSucceededAsync(current, state, restarted, now, now, cancellationToken).ConfigureAwait(false);
                return next with { Restart = recovered };

            case RestartPhase.Requested:
                var command = await commands.GetAsync(current.Host, state.CommandId, cancellationToken).ConfigureAwait(false);
                if (command?.Status == CommandStatus.Pending)
                {
                    // Back before any restart agent took the command: withdraw it, so a healthy container is not restarted.
                    var cancelled = await commands.TryReplaceAsync(command with { Status = CommandStatus.Cancelled, CompletedAt = now }, cancellationToken).ConfigureAwait(false);
                    command = cancelled ?? await commands.GetAsync(current.Host, state.CommandId, cancellationToken).ConfigureAwait(false);
                }
                switch (command?.Status)
                {
                    case CommandStatus.Leased:
                        // The restart agent is at work; its result tells whether the restart brought the agent back.
                        return next with { Restart = recovered with { Phase = RestartPhase.AwaitingResult, RecoveredAt = now } };
                    case CommandStatus.Succeeded:
                        await PublishSucceededAsync(current, state, command, now, now, cancellationToken).ConfigureAwait(false);
                        return next with { Restart = recovered };
                    default:
                        LogBackByItself(current.Name, state.CommandId);
                        return next with { Restart = recovered };
                }

            default:
                return next with { Restart = recovered };
        }
    }

    /// <summary>Whether the host's restart agent polled recently enough to count as online.</summary>
    public async Task<HostLiveness> HostLivenessAsync(string host, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var record = await hosts.GetAsync(host, cancellationToken).ConfigureAwait(false);
        if (record?.LastSeenAt is not { } seen)
        {
            return new HostLiveness(host, null, Online: false);
        }
        var settings = restartOptions.Value;
        var poll = record.PollIntervalSeconds ?? settings.DefaultPollIntervalSeconds;
        var offlineAfter = TimeSpan.FromSeconds((double)poll * settings.HostOfflineAfterPolls + settings.HostOfflineMarginSeconds);
        return new HostLiveness(host, seen, Online: now - seen <= offlineAfter);
    }

    /// <summary>Decides the next step for a down agent and commits it: restart now, wait for the backoff, or stop and say why.</summary>
    private async Task<AgentRecord?> AdvanceAsync(AgentRecord agent, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var policy = RecoveryPolicy.For(agent, monitorOptions.Value);
        var host = agent.Host is null ? null : await HostLivenessAsync(agent.Host, now, cancellationToken).ConfigureAwait(false);
        var decision = RestartPlanner.Decide(agent, policy, host, now);
        var state = agent.Restart;
        switch (decision.Verdict)
        {
            case RestartVerdict.AlertOnly:
                if (state.CheckAt is null && (state.Phase == RestartPhase.None || !state.Answers(agent.IncidentId)))
                {
                    return agent; // nothing to do and nothing to remember
                }
                return await CommitAsync(agent, state with { Phase = RestartPhase.None, CheckAt = null }, cancellationToken).ConfigureAwait(false);

            case RestartVerdict.Suppress:
                LogSuppressed(agent.Name, agent.IncidentId!, decision.Reason!);
                await publisher.PublishAsync(RestartEvents.Suppressed(agent, decision, policy, host, now), cancellationToken).ConfigureAwait(false);
                return await CommitAsync(agent, state with { Phase = RestartPhase.Suppressed, IncidentId = agent.IncidentId, CheckAt = null }, cancellationToken).ConfigureAwait(false);

            case RestartVerdict.Wait:
                var notBefore = decision.NotBefore!.Value;
                LogBackoff(agent.Name, notBefore);
                await index.SetAsync(agent.Name, notBefore, cancellationToken).ConfigureAwait(false);
                return await CommitAsync(agent, state with { Phase = RestartPhase.Scheduled, IncidentId = agent.IncidentId, CheckAt = notBefore }, cancellationToken).ConfigureAwait(false);

            default:
                var attempt = RestartPlanner.NextAttempt(agent);
                var command = new RestartCommand
                {
                    Id = CommandIdFor(agent.IncidentId!, attempt),
                    Host = agent.Host!,
                    Agent = agent.Name,
                    Container = agent.Container,
                    IncidentId = agent.IncidentId!,
                    Attempt = attempt,
                    Status = CommandStatus.Pending,
                    CreatedAt = now,
                    ExpiresAt = now.AddSeconds(restartOptions.Value.CommandTtlSeconds),
                    SkipIfExitedCleanly = !policy.RestartOnCleanExit,
                };
                if (!await commands.TryAddAsync(command, cancellationToken).ConfigureAwait(false))
                {
                    // Written by an earlier try of this same step, which failed before committing: keep its expiry.
                    command = await commands.GetAsync(command.Host, command.Id, cancellationToken).ConfigureAwait(false) ?? command;
                }
                var requested = RestartPlanner.Requested(agent, policy, decision, command.Id, command.ExpiresAt, now);
                await publisher.PublishAsync(RestartEvents.Requested(agent, command, policy, requested.History.Count, now), cancellationToken).ConfigureAwait(false);
                await index.SetAsync(agent.Name, command.ExpiresAt, cancellationToken).ConfigureAwait(false);
                var stored = await CommitAsync(agent, requested, cancellationToken).ConfigureAwait(false);
                if (stored is null)
                {
                    return null;
                }
                LogRequested(agent.Name, command.Host, command.Id, attempt, requested.History.Count);
                // A fast restart agent may have leased and finished the command before this commit; its result then
                // found no loop waiting for it (CompleteAsync), so take it in here.
                var latest = await commands.GetAsync(command.Host, command.Id, cancellationToken).ConfigureAwait(false);
                if (latest?.Status is CommandStatus.Succeeded or CommandStatus.Failed or CommandStatus.Skipped)
                {
                    return await ApplyResultToAsync(stored, latest, now, cancellationToken).ConfigureAwait(false) ?? stored;
                }
                return stored;
        }
    }

    /// <summary>The command's expiry (or lease expiry) came due: see whether it was carried out, is still under way, or is lost.</summary>
    private async Task<AgentRecord?> CheckCommandAsync(AgentRecord agent, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var state = agent.Restart;
        var command = await commands.GetAsync(agent.Host!, state.CommandId!, cancellationToken).ConfigureAwait(false);
        if (command is null)
        {
            return await CommitAsync(agent, state with { Phase = RestartPhase.Failed, CheckAt = null }, cancellationToken).ConfigureAwait(false);
        }
        switch (command.Status)
        {
            case CommandStatus.Pending when command.ExpiresAt > now:
                return await CommitAsync(agent, state with { CheckAt = command.ExpiresAt }, cancellationToken).ConfigureAwait(false);

            case CommandStatus.Leased when command.LeaseExpiresAt > now:
                return await CommitAsync(agent, state with { CheckAt = command.LeaseExpiresAt }, cancellationToken).ConfigureAwait(false);

            case CommandStatus.Leased when command.ExpiresAt > now:
                // The lease ran out (the restart agent died mid-way); the command is offered again until it expires.
                return await CommitAsync(agent, state with { CheckAt = command.ExpiresAt }, cancellationToken).ConfigureAwait(false);

            case CommandStatus.Pending or CommandStatus.Leased:
                var expired = await commands.TryReplaceAsync(command with { Status = CommandStatus.Expired, CompletedAt = now }, cancellationToken).ConfigureAwait(false);
                if (expired is null)
                {
                    return null; // the restart agent took or finished it just now: look again
                }
                return await FailExpiredAsync(agent, expired, now, cancellationToken).ConfigureAwait(false);

            case CommandStatus.Expired:
                return await FailExpiredAsync(agent, command, now, cancellationToken).ConfigureAwait(false);

            case CommandStatus.Succeeded or CommandStatus.Failed or CommandStatus.Skipped:
                // The result was recorded but the loop did not take it in (a failure in between): take it in now.
                return await ApplyResultToAsync(agent, command, now, cancellationToken).ConfigureAwait(false);

            default:
                return await CommitAsync(agent, state with { Phase = RestartPhase.None, CheckAt = null }, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task<AgentRecord?> FailExpiredAsync(AgentRecord agent, RestartCommand command, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var host = await HostLivenessAsync(command.Host, now, cancellationToken).ConfigureAwait(false);
        var error = command.Deliveries == 0
            ? $"no restart agent picked the command up within {restartOptions.Value.CommandTtlSeconds} s"
            : "the restart agent stopped reporting while it held the command";
        LogExpired(agent.Name, command.Host, command.Id, error);
        await publisher.PublishAsync(RestartEvents.Failed(agent, command, RestartPlanner.ReasonHostOffline, error, now, host), cancellationToken).ConfigureAwait(false);
        return await CommitAsync(agent, agent.Restart with { Phase = RestartPhase.Failed, CheckAt = null }, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Takes a recorded result into the agent's loop, re-reading the agent on a lost race.</summary>
    private async Task ApplyResultAsync(RestartCommand command, CancellationToken cancellationToken)
    {
        for (var attempt = 0; attempt < MaxAttempts; attempt++)
        {
            var agent = await agents.GetAsync(command.Agent, cancellationToken).ConfigureAwait(false);
            if (agent is null || agent.Restart.CommandId != command.Id)
            {
                return;
            }
            if (await ApplyResultToAsync(agent, command, time.GetUtcNow(), cancellationToken).ConfigureAwait(false) is not null)
            {
                return;
            }
        }
        throw new ConcurrencyException($"Agent {command.Agent} changed {MaxAttempts} times while a restart result was being recorded.");
    }

    private async Task<AgentRecord?> ApplyResultToAsync(AgentRecord agent, RestartCommand command, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var state = agent.Restart;
        var result = command.Result ?? new CommandResult { Outcome = CommandOutcome.Failed, Reason = "no result" };
        switch (state.Phase)
        {
            case RestartPhase.Requested when command.Status == CommandStatus.Succeeded:
                var restartedAt = result.RestartedAt is { } at && at <= now ? at : now;
                var checkAt = restartedAt.AddSeconds(RecoveryPolicy.For(agent, monitorOptions.Value).StartupGraceSeconds);
                await index.SetAsync(agent.Name, checkAt, cancellationToken).ConfigureAwait(false);
                return await CommitAsync(agent, state with { Phase = RestartPhase.Restarted, RestartedAt = restartedAt, CheckAt = checkAt }, cancellationToken).ConfigureAwait(false);

            case RestartPhase.Requested when command.Status == CommandStatus.Skipped:
                var policy = RecoveryPolicy.For(agent, monitorOptions.Value);
                var decision = new RestartDecision(RestartVerdict.Suppress, result.Reason ?? RestartEvents.ReasonExitedCleanly, RestartsInWindow: RestartPlanner.RestartsInWindow(state, policy, now));
                await publisher.PublishAsync(RestartEvents.Suppressed(agent, decision, policy, null, now, result), cancellationToken).ConfigureAwait(false);
                return await CommitAsync(agent, state with { Phase = RestartPhase.Suppressed, CheckAt = null }, cancellationToken).ConfigureAwait(false);

            case RestartPhase.Requested:
                await publisher.PublishAsync(RestartEvents.Failed(agent, command, result.Reason ?? "restart failed", result.Error, now), cancellationToken).ConfigureAwait(false);
                return await CommitAsync(agent, state with { Phase = RestartPhase.Failed, CheckAt = null }, cancellationToken).ConfigureAwait(false);

            case RestartPhase.AwaitingResult when command.Status == CommandStatus.Succeeded:
                await PublishSucceededAsync(agent, state, command, state.RecoveredAt ?? now, now, cancellationToken).ConfigureAwait(false);
                return await CommitAsync(agent, state with { Phase = RestartPhase.None, CheckAt = null }, cancellationToken).ConfigureAwait(false);

            case RestartPhase.AwaitingResult:
                LogBackByItself(agent.Name, command.Id);
                return await CommitAsync(agent, state with { Phase = RestartPhase.None, CheckAt = null }, cancellationToken).ConfigureAwait(false);

            default:
                return agent;
        }
    }

    private async Task PublishSucceededAsync(AgentRecord agent, RestartState state, RestartCommand? command, DateTimeOffset firstHeartbeatAt, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var succeeded = RestartEvents.Succeeded(agent, state, command, firstHeartbeatAt, now);
        LogSucceeded(agent.Name, state.CommandId!, succeeded.Details.DowntimeSeconds ?? 0);
        await publisher.PublishAsync(succeeded, cancellationToken).ConfigureAwait(false);
    }

    private Task<AgentRecord?> CommitAsync(AgentRecord agent, RestartState state, CancellationToken cancellationToken) =>
        agents.TryReplaceAsync(agent with { Restart = state }, cancellationToken);

    [LoggerMessage(Level = LogLevel.Information, Message = "Restart {Attempt} of agent {Agent} requested on host {Host}: command {CommandId} ({RestartsInWindow} in the window)")]
    private partial void LogRequested(string agent, string host, string commandId, int attempt, int restartsInWindow);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Restart of agent {Agent} suppressed for incident {IncidentId}: {Reason}")]
    private partial void LogSuppressed(string agent, string incidentId, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Restart of agent {Agent} waits for its backoff until {NotBefore:o}")]
    private partial void LogBackoff(string agent, DateTimeOffset notBefore);

    [LoggerMessage(Level = LogLevel.Information, Message = "Restart command {CommandId} for agent {Agent} on host {Host}: {Outcome} {Reason}")]
    private partial void LogCompleted(string agent, string host, string commandId, CommandOutcome outcome, string? reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Restart command {CommandId} for agent {Agent} on host {Host} expired: {Error}")]
    private partial void LogExpired(string agent, string host, string commandId, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Agent {Agent} sent no heartbeat within {GraceSeconds} s of restart {CommandId}")]
    private partial void LogNoHeartbeat(string agent, string commandId, int graceSeconds);

    [LoggerMessage(Level = LogLevel.Information, Message = "Agent {Agent} is back after restart {CommandId}: {DowntimeSeconds} s of downtime")]
    private partial void LogSucceeded(string agent, string commandId, double downtimeSeconds);

    [LoggerMessage(Level = LogLevel.Information, Message = "Agent {Agent} came back without restart {CommandId}")]
    private partial void LogBackByItself(string agent, string commandId);
}

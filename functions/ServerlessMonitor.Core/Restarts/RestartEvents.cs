using System.Globalization;
using ServerlessMonitor.Agents;
using ServerlessMonitor.Events;

namespace ServerlessMonitor.Restarts;

/// <summary>
/// The <c>restart.*</c> events. Ids follow from the command (or, for a suppression, the incident), so a retried
/// handler republishes the same event rather than a second one.
/// </summary>
public static class RestartEvents
{
    public const string ReasonExitedCleanly = "exited cleanly";
    public const string ReasonNoHeartbeat = "no heartbeat within start-up grace";

    public static MonitorEvent Requested(AgentRecord agent, RestartCommand command, RecoveryPolicy policy, int restartsInWindow, DateTimeOffset now) => new()
    {
        Id = EventIds.For(command.Id, EventTypes.RestartRequested),
        Type = EventTypes.RestartRequested,
        Time = now,
        Agent = agent.Name,
        Host = command.Host,
        Container = command.Container,
        IncidentId = command.IncidentId,
        Details = new EventDetails
        {
            Summary = $"Restart {command.Attempt} of agent {agent.Name} requested on host {command.Host} " +
                $"(restart {restartsInWindow} of {policy.MaxRestarts} allowed in {AgentEvents.FormatDuration(policy.RestartWindowSeconds)}).",
            CommandId = command.Id,
            Attempt = command.Attempt,
            RestartsInWindow = restartsInWindow,
            RecoveryAction = "restart",
        },
    };

    public static MonitorEvent Suppressed(AgentRecord agent, RestartDecision decision, RecoveryPolicy policy, HostLiveness? host, DateTimeOffset now, CommandResult? result = null)
    {
        var incidentId = agent.IncidentId ?? agent.Restart.IncidentId ?? throw new ArgumentException("The agent has no incident.", nameof(agent));
        var reason = result?.Reason ?? decision.Reason ?? "suppressed";
        var summary = reason switch
        {
            RestartPlanner.ReasonBudgetExhausted =>
                $"Agent {agent.Name} was restarted {decision.RestartsInWindow} time(s) in the last {AgentEvents.FormatDuration(policy.RestartWindowSeconds)} " +
                $"(budget {policy.MaxRestarts}); it is not restarted again and stays down until someone looks.",
            RestartPlanner.ReasonHostOffline =>
                $"Host {host?.Host} is offline (its restart agent {(host?.LastSeenAt is { } seen ? "last polled at " + Stamp(seen) : "never polled")}); agent {agent.Name} is not restarted.",
            RestartPlanner.ReasonFailureReported => $"Agent {agent.Name} reported a failure and its policy is not to restart after failure reports.",
            RestartPlanner.ReasonNoHost => $"Agent {agent.Name} reports no host, so no restart agent can restart it.",
            ReasonExitedCleanly => $"The container of agent {agent.Name} exited with code 0 and its policy is not to restart clean exits.",
            _ => $"Agent {agent.Name} is not restarted: {reason}.",
        };
        return new MonitorEvent
        {
            Id = EventIds.For(incidentId, EventTypes.RestartSuppressed),
            Type = EventTypes.RestartSuppressed,
            Time = now,
            Agent = agent.Name,
            Host = agent.Host,
            Container = agent.Container,
            IncidentId = incidentId,
            Details = WithContext(new EventDetails
            {
                Summary = summary,
                Reason = reason,
                RestartsInWindow = decision.RestartsInWindow,
                HostIncidentId = reason == RestartPlanner.ReasonHostOffline ? host?.IncidentId : null,
                CommandId = agent.Restart.Answers(incidentId) ? agent.Restart.CommandId : null,
            }, result),
        };
    }

    public static MonitorEvent Failed(AgentRecord agent, RestartCommand command, string reason, string? error, DateTimeOffset now, HostLiveness? host = null)
    {
        var context = command.Result;
        var summary = $"Restart {command.Attempt} of agent {agent.Name} on host {command.Host} failed: {reason}" +
            (string.IsNullOrEmpty(error) ? "." : $" ({error}).") + DeathNote(context);
        return new MonitorEvent
        {
            Id = EventIds.For(command.Id, EventTypes.RestartFailed),
            Type = EventTypes.RestartFailed,
            Time = now,
            Agent = agent.Name,
            Host = command.Host,
            Container = context?.ContainerName ?? command.Container,
            IncidentId = command.IncidentId,
            Details = WithContext(new EventDetails
            {
                Summary = summary,
                Reason = reason,
                Error = error,
                CommandId = command.Id,
                Attempt = command.Attempt,
                RestartedAt = context?.RestartedAt,
                HostIncidentId = reason == RestartPlanner.ReasonHostOffline ? host?.IncidentId : null,
            }, context),
        };
    }

    /// <summary>The closed loop closed: the first heartbeat after the restart arrived within the start-up grace.</summary>
    public static MonitorEvent Succeeded(AgentRecord agent, RestartState state, RestartCommand? command, DateTimeOffset firstHeartbeatAt, DateTimeOffset now)
    {
        var context = command?.Result;
        var downSince = state.DownSince ?? firstHeartbeatAt;
        var downtime = Math.Max(0, (firstHeartbeatAt - downSince).TotalSeconds);
        var commandId = state.CommandId ?? command?.Id ?? throw new ArgumentException("The restart has no command.", nameof(state));
        return new MonitorEvent
        {
            Id = EventIds.For(commandId, EventTypes.RestartSucceeded),
            Type = EventTypes.RestartSucceeded,
            Time = now,
            Agent = agent.Name,
            Host = command?.Host ?? agent.Host,
            Container = context?.ContainerName ?? command?.Container ?? agent.Container,
            IncidentId = state.IncidentId,
            Details = WithContext(new EventDetails
            {
                Summary = $"Agent {agent.Name} is back after a restart: {AgentEvents.FormatDuration(downtime)} from its last heartbeat to its first after the restart." + DeathNote(context),
                CommandId = commandId,
                Attempt = state.Attempt,
                DownSince = downSince,
                RecoveredAt = firstHeartbeatAt,
                DowntimeSeconds = Math.Round(downtime, 3),
                RestartedAt = context?.RestartedAt ?? state.RestartedAt,
            }, context),
        };
    }

    private static EventDetails WithContext(EventDetails details, CommandResult? context) => context is null ? details : details with
    {
        ExitCode = context.ExitCode,
        OomKilled = context.OomKilled,
        HealthStatus = context.HealthStatus,
        HealthLog = context.HealthLog,
        LogTail = context.LogTail,
    };

    /// <summary>Why the container died, in one sentence, when the restart agent found out (an OOM kill above all).</summary>
    private static string DeathNote(CommandResult? context) => context switch
    {
        { OomKilled: true } => " The container had been OOM-killed (out of memory)" + (context.ExitCode is { } code ? $", exit code {code}." : "."),
        { ExitCode: { } code, HealthStatus: "unhealthy" } => $" The container was unhealthy (exit code {code}).",
        { HealthStatus: "unhealthy" } => " The container was unhealthy.",
        { ExitCode: { } code } when code != 0 => $" The container had exited with code {code}.",
        _ => "",
    };

    private static string Stamp(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss 'UTC'", CultureInfo.InvariantCulture);
}

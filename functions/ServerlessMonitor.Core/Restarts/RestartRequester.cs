using Microsoft.Extensions.Logging;
using ServerlessMonitor.Agents;
using ServerlessMonitor.Events;

namespace ServerlessMonitor.Restarts;

/// <summary>
/// The restarts subscription: for an outage of an agent whose policy is to restart, writes one restart command for
/// its host (the command id follows from the incident, so a redelivered event finds it written) and announces
/// <c>restart.requested</c>.
/// </summary>
public sealed partial class RestartRequester(
    AgentRepository agents,
    RestartCommandRepository commands,
    IEventPublisher publisher,
    TimeProvider time,
    ILogger<RestartRequester> logger) : ISubscriptionHandler
{
    public async Task HandleAsync(MonitorEvent monitorEvent, CancellationToken cancellationToken)
    {
        if (monitorEvent.Type is not (EventTypes.AgentTimedOut or EventTypes.AgentFailed) || monitorEvent.Agent is null || monitorEvent.IncidentId is null)
        {
            return;
        }
        var agent = await agents.GetAsync(monitorEvent.Agent, cancellationToken).ConfigureAwait(false);
        if (agent is null || agent.RecoveryAction == RecoveryAction.AlertOnly)
        {
            return;
        }
        var host = monitorEvent.Host ?? agent.Host;
        if (host is null)
        {
            LogNoHost(agent.Name, monitorEvent.IncidentId);
            return;
        }

        var command = new RestartCommand
        {
            Id = CommandIdFor(monitorEvent.IncidentId),
            Host = host,
            Agent = agent.Name,
            Container = monitorEvent.Container ?? agent.Container,
            IncidentId = monitorEvent.IncidentId,
            Status = CommandStatus.Pending,
            CreatedAt = time.GetUtcNow(),
        };
        if (await commands.TryAddAsync(command, cancellationToken).ConfigureAwait(false))
        {
            LogRequested(agent.Name, host, command.Id, command.IncidentId);
        }
        // Announced also when the command already existed: the first attempt may have failed right after writing it.
        await publisher.PublishAsync(new MonitorEvent
        {
            Id = EventIds.For(command.Id, EventTypes.RestartRequested),
            Type = EventTypes.RestartRequested,
            Time = command.CreatedAt,
            Agent = agent.Name,
            Host = host,
            Container = command.Container,
            IncidentId = command.IncidentId,
            Details = new EventDetails { Summary = $"Restart of agent {agent.Name} requested on host {host}.", CommandId = command.Id },
        }, cancellationToken).ConfigureAwait(false);
    }

    public static string CommandIdFor(string incidentId) => EventIds.For(incidentId, "restart.command");

    [LoggerMessage(Level = LogLevel.Information, Message = "Restart of agent {Agent} requested on host {Host}: command {CommandId} for incident {IncidentId}")]
    private partial void LogRequested(string agent, string host, string commandId, string incidentId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Agent {Agent} has no host, so incident {IncidentId} cannot be answered with a restart; alerting only")]
    private partial void LogNoHost(string agent, string incidentId);
}

using ServerlessMonitor.Events;

namespace ServerlessMonitor.Restarts;

/// <summary>
/// The restarts subscription: an outage (<c>agent.timed_out</c>, <c>agent.failed</c>) starts the agent's restart loop,
/// which applies its recovery policy and writes a restart command for its host (<see cref="RestartLoop"/>).
/// Other events are not this subscription's business.
/// </summary>
public sealed class RestartRequester(RestartLoop loop) : ISubscriptionHandler
{
    public Task HandleAsync(MonitorEvent monitorEvent, CancellationToken cancellationToken) =>
        monitorEvent.Type is EventTypes.AgentTimedOut or EventTypes.AgentFailed && monitorEvent.Agent is { } agent && monitorEvent.IncidentId is { } incident
            ? loop.HandleOutageAsync(agent, incident, cancellationToken)
            : Task.CompletedTask;
}

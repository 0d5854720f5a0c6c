namespace ServerlessMonitor.Events;

/// <summary>Publishes monitor events to every consumer (the alerts and restarts subscriptions). At least once; consumers are idempotent.</summary>
public interface IEventPublisher
{
    Task PublishAsync(MonitorEvent monitorEvent, CancellationToken cancellationToken);
}

/// <summary>Handles events of one subscription. Must be idempotent: every transport may deliver an event more than once.</summary>
public interface ISubscriptionHandler
{
    Task HandleAsync(MonitorEvent monitorEvent, CancellationToken cancellationToken);

    /// <summary>
    /// What the consumers call: the message as read, plus its body. A handler that also puts messages of its own on its
    /// subscription (the alerts side schedules retries there) reads the rest of such a body; the others need not care.
    /// </summary>
    Task HandleMessageAsync(MonitorEvent monitorEvent, BinaryData body, CancellationToken cancellationToken) => HandleAsync(monitorEvent, cancellationToken);
}

using Azure.Messaging.ServiceBus;
using Microsoft.Extensions.Options;

namespace ServerlessMonitor.Events;

/// <summary>Publishes to the events topic. MessageId is the event id, so the topic's duplicate detection drops a republish.</summary>
public sealed class ServiceBusEventPublisher(ServiceBusClient client, IOptions<EventBusOptions> options) : IEventPublisher, IAsyncDisposable
{
    private readonly ServiceBusSender _sender = client.CreateSender(options.Value.EventsTopic);

    public Task PublishAsync(MonitorEvent monitorEvent, CancellationToken cancellationToken) =>
        _sender.SendMessageAsync(ToMessage(monitorEvent), cancellationToken);

    public static ServiceBusMessage ToMessage(MonitorEvent monitorEvent)
    {
        var message = new ServiceBusMessage(EventSerializer.Serialize(monitorEvent))
        {
            MessageId = monitorEvent.Id,
            Subject = monitorEvent.Type,
            ContentType = "application/json",
        };
        message.ApplicationProperties["type"] = monitorEvent.Type;
        if (monitorEvent.Agent is not null)
        {
            message.ApplicationProperties["agent"] = monitorEvent.Agent;
        }
        return message;
    }

    public ValueTask DisposeAsync() => _sender.DisposeAsync();
}

using Microsoft.Azure.Functions.Worker;
using ServerlessMonitor.Alerts;
using ServerlessMonitor.Events;

namespace ServerlessMonitor.Functions.Alerts;

public sealed class AlertsFunction(AlertDispatcher alerts)
{
    /// <remarks>An exception abandons the message; Service Bus redelivers it and dead-letters it after the subscription's max delivery count.</remarks>
    [Function("Alerts")]
    public Task Run(
        [ServiceBusTrigger("%EventsTopic%", "%AlertsSubscription%", Connection = "ServiceBusConnection")] string message,
        CancellationToken cancellationToken) =>
        alerts.HandleAsync(EventSerializer.Deserialize(message), cancellationToken);
}

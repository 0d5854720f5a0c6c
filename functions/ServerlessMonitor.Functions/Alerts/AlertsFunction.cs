using Microsoft.Azure.Functions.Worker;
using ServerlessMonitor.Alerts;
using ServerlessMonitor.Events;

namespace ServerlessMonitor.Functions.Alerts;

public sealed class AlertsFunction(AlertDispatcher alerts)
{
    /// <remarks>
    /// Binds the body as a string (Service Bus extension 5.7.0 has no message actions). The body also says whether it is
    /// an event or one of the alerts side's own work items (type <c>alerts.work</c>: retries, grouped messages, reminders),
    /// so no application property is needed. An exception abandons the message; Service Bus redelivers it and
    /// dead-letters it after the subscription's max delivery count.
    /// </remarks>
    [Function("Alerts")]
    public Task Run(
        [ServiceBusTrigger("%EventsTopic%", "%AlertsSubscription%", Connection = "ServiceBusConnection")] string message,
        CancellationToken cancellationToken) =>
        alerts.HandleMessageAsync(EventSerializer.Deserialize(message), BinaryData.FromString(message), cancellationToken);
}

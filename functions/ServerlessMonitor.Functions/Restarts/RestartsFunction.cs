using Microsoft.Azure.Functions.Worker;
using ServerlessMonitor.Events;
using ServerlessMonitor.Restarts;

namespace ServerlessMonitor.Functions.Restarts;

public sealed class RestartsFunction(RestartRequester restarts)
{
    /// <remarks>An exception abandons the message; Service Bus redelivers it and dead-letters it after the subscription's max delivery count.</remarks>
    [Function("Restarts")]
    public Task Run(
        [ServiceBusTrigger("%EventsTopic%", "%RestartsSubscription%", Connection = "ServiceBusConnection")] string message,
        CancellationToken cancellationToken) =>
        restarts.HandleAsync(EventSerializer.Deserialize(message), cancellationToken);
}

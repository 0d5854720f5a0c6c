using Azure.Messaging.ServiceBus;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace ServerlessMonitor.Events;

/// <summary>
/// Consumes one topic subscription in a long-running host (the Functions app uses Service Bus triggers instead).
/// A handler failure abandons the message for redelivery; Service Bus dead-letters it after the subscription's max delivery count.
/// </summary>
public sealed partial class ServiceBusEventConsumer(ServiceBusClient client, string topic, string subscription, ISubscriptionHandler handler, ILogger<ServiceBusEventConsumer> logger)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await using var processor = client.CreateProcessor(topic, subscription, new ServiceBusProcessorOptions { AutoCompleteMessages = false, MaxConcurrentCalls = 8 });
        processor.ProcessMessageAsync += HandleAsync;
        processor.ProcessErrorAsync += args =>
        {
            LogTransportError(args.Exception, subscription, args.ErrorSource.ToString());
            return Task.CompletedTask;
        };
        await processor.StartProcessingAsync(stoppingToken).ConfigureAwait(false);
        try
        {
            await Task.Delay(Timeout.Infinite, stoppingToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
        await processor.StopProcessingAsync(CancellationToken.None).ConfigureAwait(false);
    }

    private async Task HandleAsync(ProcessMessageEventArgs args)
    {
        MonitorEvent monitorEvent;
        try
        {
            monitorEvent = EventSerializer.Deserialize(args.Message.Body.ToMemory().Span);
        }
        catch (InvalidEventException e)
        {
            LogInvalid(subscription, args.Message.MessageId, e.Message);
            await args.DeadLetterMessageAsync(args.Message, "InvalidEvent", e.Message, args.CancellationToken).ConfigureAwait(false);
            return;
        }
        await handler.HandleMessageAsync(monitorEvent, args.Message.Body, args.CancellationToken).ConfigureAwait(false);
        await args.CompleteMessageAsync(args.Message, args.CancellationToken).ConfigureAwait(false);
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Message {MessageId} on subscription {Subscription} is not a monitor event; dead-lettered: {Reason}")]
    private partial void LogInvalid(string subscription, string messageId, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Service Bus error on subscription {Subscription} ({Source})")]
    private partial void LogTransportError(Exception exception, string subscription, string source);
}

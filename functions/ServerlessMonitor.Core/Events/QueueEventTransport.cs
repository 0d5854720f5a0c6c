using Azure;
using Azure.Storage.Queues;
using Azure.Storage.Queues.Models;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using ServerlessMonitor.Storage;

namespace ServerlessMonitor.Events;

/// <summary>
/// Storage queues standing in for the topic where no Service Bus is configured (local runs, self-hosting):
/// one queue per subscription, each with a poison queue for messages that keep failing.
/// </summary>
public sealed class EventQueues(QueueServiceClient service, IOptions<EventBusOptions> bus, IOptions<StorageOptions> storage)
{
    public const string PoisonSuffix = "-poison";

    public QueueClient Alerts => Get(bus.Value.AlertsSubscription);
    public QueueClient Restarts => Get(bus.Value.RestartsSubscription);

    public IReadOnlyList<QueueClient> Subscriptions => [Alerts, Restarts];

    public QueueClient Get(string subscription) => service.GetQueueClient(storage.Value.TablePrefix + subscription);

    public QueueClient PoisonOf(QueueClient queue) => service.GetQueueClient(queue.Name + PoisonSuffix);

    public async Task CreateAllAsync(CancellationToken cancellationToken)
    {
        foreach (var queue in Subscriptions)
        {
            await queue.CreateIfNotExistsAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
            await PoisonOf(queue).CreateIfNotExistsAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
        }
    }
}

public sealed class QueueEventPublisher(EventQueues queues) : IEventPublisher
{
    public async Task PublishAsync(MonitorEvent monitorEvent, CancellationToken cancellationToken)
    {
        var body = BinaryData.FromBytes(EventSerializer.Serialize(monitorEvent));
        foreach (var queue in queues.Subscriptions)
        {
            await queue.SendMessageAsync(body, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
    }
}

public sealed class QueueConsumerOptions
{
    /// <summary>How long a message stays invisible while handled; a crash makes it visible again after this.</summary>
    public TimeSpan VisibilityTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Deliveries before a message is moved to the poison queue.</summary>
    public int MaxDeliveryCount { get; set; } = 5;

    /// <summary>The longest pause between polls of an empty queue.</summary>
    public TimeSpan MaxIdleDelay { get; set; } = TimeSpan.FromSeconds(1);
}

/// <summary>Consumes one subscription queue: handle, then delete; on failure the message reappears after the visibility timeout; after too many deliveries it moves to the poison queue.</summary>
public sealed partial class QueueEventConsumer(
    QueueClient queue,
    QueueClient poison,
    ISubscriptionHandler handler,
    QueueConsumerOptions options,
    TimeProvider time,
    ILogger<QueueEventConsumer> logger) : BackgroundService
{
    private static readonly TimeSpan MinIdleDelay = TimeSpan.FromMilliseconds(100);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var idle = MinIdleDelay;
        while (!stoppingToken.IsCancellationRequested)
        {
            QueueMessage[] messages;
            try
            {
                messages = (await queue.ReceiveMessagesAsync(16, options.VisibilityTimeout, stoppingToken).ConfigureAwait(false)).Value;
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                // Storage is unreachable or failing (the SDK gives up with an AggregateException after its retries):
                // keep polling, at the slowest idle pace, until it is back; the messages wait in the queue meanwhile.
                LogReceiveFailed(e, queue.Name, e.GetType().Name);
                messages = [];
                idle = options.MaxIdleDelay;
            }

            if (messages.Length == 0)
            {
                await Delay(idle, stoppingToken).ConfigureAwait(false);
                idle = TimeSpan.FromTicks(Math.Min(idle.Ticks * 2, options.MaxIdleDelay.Ticks));
                continue;
            }
            idle = MinIdleDelay;
            await Task.WhenAll(messages.Select(m => ProcessAsync(m, stoppingToken))).ConfigureAwait(false);
        }
    }

    internal async Task ProcessAsync(QueueMessage message, CancellationToken cancellationToken)
    {
        MonitorEvent monitorEvent;
        try
        {
            monitorEvent = EventSerializer.Deserialize(message.Body.ToMemory().Span);
        }
        catch (InvalidEventException e)
        {
            LogInvalidMessage(queue.Name, message.MessageId, e.Message);
            await MoveToPoisonAsync(message, cancellationToken).ConfigureAwait(false);
            return;
        }

        try
        {
            await handler.HandleMessageAsync(monitorEvent, message.Body, cancellationToken).ConfigureAwait(false);
            await queue.DeleteMessageAsync(message.MessageId, message.PopReceipt, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Shutting down: the message becomes visible again and is handled by the next run.
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            if (message.DequeueCount >= options.MaxDeliveryCount)
            {
                LogGivingUp(e, queue.Name, monitorEvent.Type, monitorEvent.Id, monitorEvent.Agent, message.DequeueCount);
                await MoveToPoisonAsync(message, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                LogHandlerFailed(e, queue.Name, monitorEvent.Type, monitorEvent.Id, monitorEvent.Agent, message.DequeueCount);
            }
        }
    }

    private async Task MoveToPoisonAsync(QueueMessage message, CancellationToken cancellationToken)
    {
        try
        {
            await poison.SendMessageAsync(message.Body, cancellationToken: cancellationToken).ConfigureAwait(false);
            await queue.DeleteMessageAsync(message.MessageId, message.PopReceipt, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OutOfMemoryException and not OperationCanceledException)
        {
            // The message stays in its queue and is tried again; nothing is lost.
            LogPoisonFailed(e, queue.Name, message.MessageId);
        }
    }

    private async Task Delay(TimeSpan delay, CancellationToken cancellationToken)
    {
        try
        {
            await Task.Delay(delay, time, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Receiving from queue {Queue} failed ({ExceptionType}); retrying")]
    private partial void LogReceiveFailed(Exception exception, string queue, string exceptionType);

    [LoggerMessage(Level = LogLevel.Error, Message = "Message {MessageId} in queue {Queue} is not a monitor event and was moved to the poison queue: {Reason}")]
    private partial void LogInvalidMessage(string queue, string messageId, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Handling {EventType} {EventId} for agent {Agent} from queue {Queue} failed (delivery {DeliveryCount}); it will be retried")]
    private partial void LogHandlerFailed(Exception exception, string queue, string eventType, string eventId, string? agent, long deliveryCount);

    [LoggerMessage(Level = LogLevel.Error, Message = "Handling {EventType} {EventId} for agent {Agent} from queue {Queue} failed {DeliveryCount} times; moved to the poison queue")]
    private partial void LogGivingUp(Exception exception, string queue, string eventType, string eventId, string? agent, long deliveryCount);

    [LoggerMessage(Level = LogLevel.Error, Message = "Moving message {MessageId} of queue {Queue} to its poison queue failed; it stays in its queue")]
    private partial void LogPoisonFailed(Exception exception, string queue, string messageId);

    /// <summary>Registers a consumer of <paramref name="subscription"/> that hands events to <typeparamref name="THandler"/>.</summary>
    public static void Register<THandler>(IServiceCollection services, Func<EventQueues, QueueClient> subscription) where THandler : class, ISubscriptionHandler
    {
        services.AddSingleton<IHostedService>(sp =>
        {
            var queues = sp.GetRequiredService<EventQueues>();
            var queue = subscription(queues);
            return new QueueEventConsumer(
                queue,
                queues.PoisonOf(queue),
                sp.GetRequiredService<THandler>(),
                sp.GetRequiredService<IOptions<QueueConsumerOptions>>().Value,
                sp.GetRequiredService<TimeProvider>(),
                sp.GetRequiredService<ILogger<QueueEventConsumer>>());
        });
    }
}

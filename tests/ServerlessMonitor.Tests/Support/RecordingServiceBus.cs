using System.Collections.Concurrent;
using Azure.Messaging.ServiceBus;

namespace ServerlessMonitor.Tests.Support;

/// <summary>
/// Service Bus cannot run here, so tests replace it at the SDK's own seam: <see cref="ServiceBusClient"/> and
/// <see cref="ServiceBusSender"/> have virtual members for exactly this. Records what was sent, and can fail on demand.
/// </summary>
public sealed class RecordingServiceBusClient : ServiceBusClient
{
    public RecordingSender Sender { get; } = new();

    public override ServiceBusSender CreateSender(string queueOrTopicName)
    {
        Sender.Topic = queueOrTopicName;
        return Sender;
    }

    // Nothing to close: no connection was ever opened.
#pragma warning disable CA2215
    public override ValueTask DisposeAsync() => ValueTask.CompletedTask;
#pragma warning restore CA2215
}

public sealed class RecordingSender : ServiceBusSender
{
    private readonly ConcurrentQueue<ServiceBusMessage> _sent = new();
    private int _failuresLeft;

    public string? Topic { get; set; }

    public IReadOnlyList<ServiceBusMessage> Sent => [.. _sent];

    /// <summary>The next <paramref name="count"/> sends throw, as a Service Bus outage would.</summary>
    public void FailNext(int count) => Interlocked.Exchange(ref _failuresLeft, count);

    public override Task SendMessageAsync(ServiceBusMessage message, CancellationToken cancellationToken = default)
    {
        ThrowIfFailing();
        _sent.Enqueue(message);
        return Task.CompletedTask;
    }

    /// <summary>Recorded like a send, with <see cref="ServiceBusMessage.ScheduledEnqueueTime"/> set as Service Bus would.</summary>
    public override Task<long> ScheduleMessageAsync(ServiceBusMessage message, DateTimeOffset scheduledEnqueueTime, CancellationToken cancellationToken = default)
    {
        ThrowIfFailing();
        message.ScheduledEnqueueTime = scheduledEnqueueTime;
        _sent.Enqueue(message);
        return Task.FromResult((long)_sent.Count);
    }

    private void ThrowIfFailing()
    {
        if (Interlocked.Decrement(ref _failuresLeft) >= 0)
        {
            throw new ServiceBusException("Simulated outage", ServiceBusFailureReason.ServiceTimeout);
        }
    }

    // Nothing to close: no connection was ever opened.
#pragma warning disable CA2215
    public override ValueTask DisposeAsync() => ValueTask.CompletedTask;
#pragma warning restore CA2215
}

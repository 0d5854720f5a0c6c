using System.Text.Json;
using System.Text.Json.Serialization;
using Azure.Messaging.ServiceBus;
using Microsoft.Extensions.Options;
using ServerlessMonitor.Events;
using ServerlessMonitor.Json;

namespace ServerlessMonitor.Alerts;

[JsonConverter(typeof(KebabCaseEnumConverter<AlertWorkKind>))]
public enum AlertWorkKind
{
    /// <summary>Attempt a delivery again (a retry).</summary>
    Deliver,
    /// <summary>Close a chat channel's grouping window and send what it collected.</summary>
    Flush,
    /// <summary>Remind the agent's channels that it is still down.</summary>
    Remind,
}

/// <summary>
/// Work the alerts side schedules for itself (retries, grouped chat messages, reminders), carried on the alerts
/// subscription. Its JSON reads as a monitor event of type <c>alerts.work</c>, so every event consumer can parse it and
/// the restarts side ignores it by type; the alerts side reads <see cref="Work"/> too.
/// </summary>
public sealed record AlertWorkItem
{
    public const string MessageType = "alerts.work";

    public int Version { get; init; } = MonitorEvent.CurrentVersion;

    /// <summary>Derived from what the work is (e.g. delivery + attempt number): a re-schedule of the same work keeps its id, so Service Bus duplicate detection drops it.</summary>
    public required string Id { get; init; }

    public string Type { get; init; } = MessageType;

    /// <summary>When the work is due.</summary>
    public required DateTimeOffset Time { get; init; }

    public required AlertWork Work { get; init; }

    /// <param name="copy">Distinguishes a deliberate second wake-up for the same work (one put back, a lease check) from a repeat, which must keep the id.</param>
    public static AlertWorkItem Create(AlertWork work, DateTimeOffset due, string? copy = null) => new()
    {
        Id = EventIds.For($"{work.Kind}|{work.DeliveryId}|{work.Channel}|{work.IncidentId}|{work.Number}|{copy}", MessageType),
        Time = due,
        Work = work,
    };

    public byte[] Serialize() => JsonSerializer.SerializeToUtf8Bytes(this, MonitorJsonContext.Default.AlertWorkItem);

    /// <summary>Reads a work item; throws <see cref="InvalidEventException"/> for anything else, which no retry can fix.</summary>
    public static AlertWorkItem Parse(BinaryData body)
    {
        AlertWorkItem? item;
        try
        {
            item = JsonSerializer.Deserialize(body.ToMemory().Span, MonitorJsonContext.Default.AlertWorkItem);
        }
        catch (JsonException e)
        {
            throw new InvalidEventException($"The message is not an alerts work item: {e.Message}", e);
        }
        if (item is null || item.Type != MessageType)
        {
            throw new InvalidEventException("The message is not an alerts work item.");
        }
        return item;
    }
}

/// <summary>What to do. Which fields are set depends on <see cref="Kind"/>.</summary>
public sealed record AlertWork
{
    public required AlertWorkKind Kind { get; init; }
    public string? Channel { get; init; }
    /// <summary>Deliver: the delivery's id (event id or group id). Flush: the group id.</summary>
    public string? DeliveryId { get; init; }
    public string? Agent { get; init; }
    public string? IncidentId { get; init; }
    /// <summary>Deliver: the attempt this is for. Remind: the reminder's number.</summary>
    public int? Number { get; init; }
}

/// <summary>Sends alerts-only work to be handled at (or soon after) its <see cref="AlertWorkItem.Time"/>. At least once.</summary>
public interface IAlertWorkScheduler
{
    Task ScheduleAsync(AlertWorkItem item, CancellationToken cancellationToken);
}

/// <summary>
/// Service Bus: a scheduled message on the events topic. The topic fans it out to every subscription; the body's type
/// (<c>alerts.work</c>) makes the restarts side ignore it, and the application property <c>audience=alerts</c> lets a
/// subscription rule filter it out before it gets there.
/// </summary>
public sealed class ServiceBusAlertWorkScheduler(ServiceBusClient client, IOptions<EventBusOptions> options, TimeProvider time) : IAlertWorkScheduler, IAsyncDisposable
{
    private readonly ServiceBusSender _sender = client.CreateSender(options.Value.EventsTopic);

    public async Task ScheduleAsync(AlertWorkItem item, CancellationToken cancellationToken)
    {
        var message = ToMessage(item);
        if (item.Time <= time.GetUtcNow())
        {
            await _sender.SendMessageAsync(message, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            await _sender.ScheduleMessageAsync(message, item.Time, cancellationToken).ConfigureAwait(false);
        }
    }

    public static ServiceBusMessage ToMessage(AlertWorkItem item)
    {
        var message = new ServiceBusMessage(item.Serialize())
        {
            MessageId = item.Id,
            Subject = AlertWorkItem.MessageType,
            ContentType = "application/json",
        };
        message.ApplicationProperties["type"] = AlertWorkItem.MessageType;
        message.ApplicationProperties["audience"] = "alerts";
        return message;
    }

    public ValueTask DisposeAsync() => _sender.DisposeAsync();
}

/// <summary>Storage queues: a message on the alerts queue that stays invisible until it is due.</summary>
public sealed class QueueAlertWorkScheduler(EventQueues queues, TimeProvider time) : IAlertWorkScheduler
{
    /// <summary>A queue message lives 7 days by default and cannot stay hidden longer than it lives.</summary>
    private static readonly TimeSpan MaxDelay = TimeSpan.FromDays(6);

    public async Task ScheduleAsync(AlertWorkItem item, CancellationToken cancellationToken)
    {
        // Visibility is set in whole seconds: round up, or the work would turn up before it is due.
        var delay = TimeSpan.FromSeconds(Math.Ceiling((item.Time - time.GetUtcNow()).TotalSeconds));
        delay = delay < TimeSpan.Zero ? TimeSpan.Zero : delay > MaxDelay ? MaxDelay : delay;
        await queues.Alerts.SendMessageAsync(BinaryData.FromBytes(item.Serialize()), visibilityTimeout: delay, cancellationToken: cancellationToken).ConfigureAwait(false);
    }
}

/// <summary>Stands in when the host wired no event transport, so that the first retry says so instead of vanishing.</summary>
internal sealed class MissingAlertWorkScheduler : IAlertWorkScheduler
{
    public Task ScheduleAsync(AlertWorkItem item, CancellationToken cancellationToken) =>
        throw new InvalidOperationException("No alerts work scheduler is registered: call AddEventTransport or AddServiceBusEventPublisher.");
}

using Microsoft.Extensions.Logging;
using ServerlessMonitor.Alerts.Channels;
using ServerlessMonitor.Events;

namespace ServerlessMonitor.Alerts;

/// <summary>
/// The alerts subscription. An event goes to each of its channels independently (in parallel): chats through a grouping
/// window, webhooks and PagerDuty straight to a delivery. A channel that fails is retried on its own schedule; only a
/// failure of the monitor's own storage or transport makes this handler throw, so the transport redelivers the event and
/// the deliveries table lets channels already handled skip it. Also handles the work items the alerts side schedules
/// for itself on the same subscription (retries, flushes, reminders).
/// </summary>
public sealed partial class AlertDispatcher(
    AlertRouter router,
    AlertDeliverer deliverer,
    ChatWindows windows,
    AlertReminders reminders,
    ILogger<AlertDispatcher> logger) : ISubscriptionHandler
{
    public Task HandleAsync(MonitorEvent monitorEvent, CancellationToken cancellationToken) =>
        monitorEvent.Type == AlertWorkItem.MessageType
            ? throw new InvalidEventException("An alerts work item needs its message body; hand it to HandleMessageAsync.")
            : DispatchAsync(monitorEvent, cancellationToken);

    public Task HandleMessageAsync(MonitorEvent monitorEvent, BinaryData body, CancellationToken cancellationToken) =>
        monitorEvent.Type == AlertWorkItem.MessageType
            ? HandleWorkAsync(AlertWorkItem.Parse(body), cancellationToken)
            : DispatchAsync(monitorEvent, cancellationToken);

    private async Task DispatchAsync(MonitorEvent monitorEvent, CancellationToken cancellationToken)
    {
        var channels = router.ChannelsFor(monitorEvent);
        var failures = await EachAsync(channels, channel => channel.IsChat && windows.Enabled
            ? windows.ParkAsync(monitorEvent, channel, cancellationToken)
            : deliverer.DeliverEventAsync(monitorEvent, channel, cancellationToken), monitorEvent, cancellationToken).ConfigureAwait(false);

        if (AlertEventTypes.IsOutage(monitorEvent.Type))
        {
            await reminders.ScheduleFirstAsync(monitorEvent, cancellationToken).ConfigureAwait(false);
        }
        if (failures.Count > 0)
        {
            throw new AlertDeliveryException($"Handling {monitorEvent.Type} {monitorEvent.Id} failed for channel(s) {string.Join(", ", failures.Select(f => f.Channel))}; it will be redelivered.",
                new AggregateException(failures.Select(f => f.Error)));
        }
    }

    private async Task HandleWorkAsync(AlertWorkItem item, CancellationToken cancellationToken)
    {
        var work = item.Work;
        switch (work.Kind)
        {
            case AlertWorkKind.Deliver when work is { DeliveryId: { } deliveryId, Channel: { } channel }:
                await deliverer.AttemptAsync(deliveryId, channel, work.Number, cancellationToken).ConfigureAwait(false);
                break;
            case AlertWorkKind.Flush when work is { DeliveryId: { } groupId, Channel: { } channel }:
                await windows.FlushAsync(channel, groupId, cancellationToken).ConfigureAwait(false);
                break;
            case AlertWorkKind.Remind:
                if (await reminders.DueReminderAsync(work, cancellationToken).ConfigureAwait(false) is { } reminder)
                {
                    await DispatchAsync(reminder, cancellationToken).ConfigureAwait(false);
                    await reminders.ScheduleNextAsync(item, cancellationToken).ConfigureAwait(false);
                }
                break;
            default:
                throw new InvalidEventException($"Alerts work item {item.Id} ({work.Kind}) lacks the fields it needs.");
        }
    }

    private async Task<List<(string Channel, Exception Error)>> EachAsync(IReadOnlyList<IAlertChannel> channels, Func<IAlertChannel, Task> handle, MonitorEvent monitorEvent, CancellationToken cancellationToken)
    {
        var failures = new List<(string, Exception)>();
        await Task.WhenAll(channels.Select(async channel =>
        {
            try
            {
                await handle(channel).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                LogChannelFailed(e, monitorEvent.Type, monitorEvent.Id, channel.Name);
                lock (failures)
                {
                    failures.Add((channel.Name, e));
                }
            }
        })).ConfigureAwait(false);
        return failures;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Handling {EventType} {EventId} for channel {Channel} failed; the event will be redelivered")]
    private partial void LogChannelFailed(Exception exception, string eventType, string eventId, string channel);
}

public sealed class AlertDeliveryException(string message, Exception? inner = null) : Exception(message, inner);

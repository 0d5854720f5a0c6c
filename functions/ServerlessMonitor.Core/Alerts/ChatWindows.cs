using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using ServerlessMonitor.Alerts.Channels;
using ServerlessMonitor.Events;

namespace ServerlessMonitor.Alerts;

/// <summary>
/// No alert storm in chats: alerts for a chat channel are parked in a short grouping window (<c>Alerts:GroupingSeconds</c>)
/// and sent as one message when it closes. The first alert opens the window and schedules its flush; the others join it.
/// Joining and closing are both guarded by the window row's ETag, so an alert either makes it into the message or finds
/// the window closed and opens the next one. The price is latency: every chat alert waits up to the window's length.
/// </summary>
public sealed partial class ChatWindows(
    DeliveryRepository deliveries,
    AlertDeliverer deliverer,
    IAlertWorkScheduler scheduler,
    IOptions<AlertOptions> options,
    TimeProvider time,
    ILogger<ChatWindows> logger)
{
    private const int MaxContendedTries = 8;
    private const string GroupIdPrefix = "grp-";

    private readonly TimeSpan _window = TimeSpan.FromSeconds(options.Value.GroupingSeconds);

    public bool Enabled => _window > TimeSpan.Zero;

    /// <summary>Parks the alert in the channel's open window (opening one if there is none).</summary>
    public async Task ParkAsync(MonitorEvent monitorEvent, IAlertChannel channel, CancellationToken cancellationToken)
    {
        var existing = await deliveries.GetAsync(monitorEvent.Id, channel.Name, cancellationToken).ConfigureAwait(false);
        if (existing is { Status: DeliveryStatus.Grouped, GroupId: { } parkedIn })
        {
            // A redelivery: the first handling may have died before scheduling the flush. Scheduling it again is harmless.
            await ScheduleFlushAsync(channel.Name, parkedIn, existing.NextAttemptAt ?? time.GetUtcNow(), cancellationToken).ConfigureAwait(false);
            return;
        }
        if (existing is not null)
        {
            // Delivered on its own before (grouping was off then): carry on with that delivery.
            await deliverer.AttemptAsync(monitorEvent.Id, channel.Name, scheduledAttempt: null, cancellationToken).ConfigureAwait(false);
            return;
        }

        for (var i = 0; i < MaxContendedTries; i++)
        {
            var now = time.GetUtcNow();
            var window = await deliveries.GetOpenWindowAsync(channel.Name, cancellationToken).ConfigureAwait(false);
            if (window is null)
            {
                var groupId = GroupIdPrefix + Guid.NewGuid().ToString("N");
                var closesAt = now + _window;
                if (await deliveries.TryOpenWindowAsync(channel.Name, groupId, now, closesAt, monitorEvent, cancellationToken).ConfigureAwait(false))
                {
                    await MarkGroupedAsync(monitorEvent, channel, groupId, closesAt, now, cancellationToken).ConfigureAwait(false);
                    await ScheduleFlushAsync(channel.Name, groupId, closesAt, cancellationToken).ConfigureAwait(false);
                    return;
                }
                continue;
            }

            var joined = await deliveries.TryJoinWindowAsync(window, monitorEvent, now, cancellationToken).ConfigureAwait(false);
            if (joined == WindowJoin.Contended)
            {
                continue;
            }
            await MarkGroupedAsync(monitorEvent, channel, window.GroupId, window.ClosesAt, now, cancellationToken).ConfigureAwait(false);
            if (joined == WindowJoin.AlreadyMember || window.ClosesAt <= now)
            {
                // The window's opener may have died before scheduling the flush, or the flush is late: make sure one comes.
                await ScheduleFlushAsync(channel.Name, window.GroupId, window.ClosesAt, cancellationToken).ConfigureAwait(false);
            }
            return;
        }
        throw new InvalidOperationException($"Could not park {monitorEvent.Id} in a grouping window of channel {channel.Name}: too much contention; the message will be retried.");
    }

    /// <summary>Closes the window of <paramref name="groupId"/> (if still open) and delivers what it collected as one message.</summary>
    public async Task FlushAsync(string channelName, string groupId, CancellationToken cancellationToken)
    {
        for (var i = 0; i < MaxContendedTries; i++)
        {
            var window = await deliveries.GetOpenWindowAsync(channelName, cancellationToken).ConfigureAwait(false);
            if (window?.GroupId != groupId)
            {
                // Closed already (this is a repeated flush); its delivery row was written before it closed.
                break;
            }
            var members = await deliveries.ListGroupMembersAsync(channelName, groupId, cancellationToken).ConfigureAwait(false);
            await deliveries.UpsertGroupAsync(new DeliveryRecord
            {
                DeliveryId = groupId,
                Channel = channelName,
                Kind = DeliveryKind.Group,
                EventType = string.Join(',', members.Select(m => m.Type).Distinct()),
                MemberEventIds = [.. members.Select(m => m.Id)],
                MemberAgents = [.. members.Select(m => m.Agent).OfType<string>().Distinct()],
                CreatedAt = window.OpenedAt,
            }, cancellationToken).ConfigureAwait(false);
            if (await deliveries.TryCloseWindowAsync(window, cancellationToken).ConfigureAwait(false))
            {
                LogFlushed(channelName, groupId, members.Count);
                break;
            }
            // An alert joined since the members were read: read them again.
        }
        await deliverer.AttemptAsync(groupId, channelName, scheduledAttempt: null, cancellationToken).ConfigureAwait(false);
    }

    private Task MarkGroupedAsync(MonitorEvent monitorEvent, IAlertChannel channel, string groupId, DateTimeOffset flushAt, DateTimeOffset now, CancellationToken cancellationToken) =>
        deliveries.SaveAsync(new DeliveryRecord
        {
            DeliveryId = monitorEvent.Id,
            Channel = channel.Name,
            Kind = DeliveryKind.Event,
            ChannelType = channel.Type,
            Status = DeliveryStatus.Grouped,
            GroupId = groupId,
            EventType = monitorEvent.Type,
            Agent = monitorEvent.Agent,
            IncidentId = monitorEvent.IncidentId,
            NextAttemptAt = flushAt,
            CreatedAt = now,
        }, cancellationToken);

    private Task ScheduleFlushAsync(string channel, string groupId, DateTimeOffset due, CancellationToken cancellationToken) =>
        scheduler.ScheduleAsync(AlertWorkItem.Create(new AlertWork { Kind = AlertWorkKind.Flush, Channel = channel, DeliveryId = groupId }, due), cancellationToken);

    [LoggerMessage(Level = LogLevel.Information, Message = "Channel {Channel}: grouping window {GroupId} closed with {Count} alert(s)")]
    private partial void LogFlushed(string channel, string groupId, int count);
}

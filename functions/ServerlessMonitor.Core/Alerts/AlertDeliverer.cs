using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using ServerlessMonitor.Alerts.Channels;
using ServerlessMonitor.Events;

namespace ServerlessMonitor.Alerts;

/// <summary>
/// Makes one attempt of one delivery and records its outcome: delivered; retry later (scheduled as alerts work, growing
/// delays, honouring <c>Retry-After</c>); or dead (rejected, gone, refused, or out of time), which the API lists.
/// An attempt first claims the delivery row under its ETag, so two copies of a message never send twice at once.
/// </summary>
public sealed partial class AlertDeliverer(
    DeliveryRepository deliveries,
    AlertChannels channels,
    IAlertWorkScheduler scheduler,
    IOptions<AlertOptions> options,
    TimeProvider time,
    ILogger<AlertDeliverer> logger)
{
    /// <summary>
    /// How long an attempt owns its delivery: the 15 s call plus margin. A crashed attempt's message comes back only after
    /// the queue's visibility timeout or the Service Bus lock (a minute), by which time the lease has run out and the
    /// redelivery takes over.
    /// </summary>
    internal static readonly TimeSpan Lease = AlertHttpSender.CallTimeout + TimeSpan.FromSeconds(30);

    /// <summary>A wake-up this much early still runs (clocks of queue and host differ a little); earlier ones are put back.</summary>
    private static readonly TimeSpan EarlyTolerance = TimeSpan.FromSeconds(1);

    private readonly RetrySchedule _schedule = RetrySchedule.From(options.Value);

    /// <summary>Records the delivery of one event to one channel (unless a previous delivery of the message did) and attempts it.</summary>
    public async Task DeliverEventAsync(MonitorEvent monitorEvent, IAlertChannel channel, CancellationToken cancellationToken)
    {
        var record = new DeliveryRecord
        {
            DeliveryId = monitorEvent.Id,
            Channel = channel.Name,
            Kind = DeliveryKind.Event,
            ChannelType = channel.Type,
            Status = DeliveryStatus.Pending,
            EventType = monitorEvent.Type,
            Agent = monitorEvent.Agent,
            IncidentId = monitorEvent.IncidentId,
            EventJson = DeliveryRepository.StoredEvent(monitorEvent),
            CreatedAt = time.GetUtcNow(),
        };
        // An existing row means this event was seen before: the attempt goes by what the row says.
        await deliveries.TryAddAsync(record, cancellationToken).ConfigureAwait(false);
        await AttemptAsync(monitorEvent.Id, channel.Name, scheduledAttempt: null, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Attempts a recorded delivery if it is due.</summary>
    /// <param name="scheduledAttempt">For retry wake-ups: the attempt they were scheduled for (a stale copy finds it made already).</param>
    public async Task AttemptAsync(string deliveryId, string channelName, int? scheduledAttempt, CancellationToken cancellationToken)
    {
        var record = await deliveries.GetAsync(deliveryId, channelName, cancellationToken).ConfigureAwait(false);
        if (record is null)
        {
            LogNothingToAttempt(deliveryId, channelName);
            return;
        }
        var now = time.GetUtcNow();
        switch (record.Status)
        {
            case DeliveryStatus.Delivered or DeliveryStatus.Dead or DeliveryStatus.Grouped:
                return;
            case DeliveryStatus.Sending when record.LeaseUntil is { } leaseUntil && leaseUntil > now:
                // Another attempt is under way, or one died without a trace after claiming (its message may already be
                // settled): look again when the lease runs out, and take over if it is still "sending" then.
                await scheduler.ScheduleAsync(RetryWork(record, leaseUntil, copy: $"lease-{leaseUntil.UtcTicks}"), cancellationToken).ConfigureAwait(false);
                return;
            case DeliveryStatus.Retrying when scheduledAttempt is null || scheduledAttempt <= record.Attempts:
                // A redelivered event, or a stale copy of a wake-up: the next attempt is scheduled already.
                return;
            case DeliveryStatus.Retrying when record.NextAttemptAt is { } due && due > now + EarlyTolerance:
                // Early: put it back under a new id (the topic's duplicate detection would drop a copy under the old one).
                await scheduler.ScheduleAsync(RetryWork(record, due, copy: $"early-{now.UtcTicks}"), cancellationToken).ConfigureAwait(false);
                return;
        }

        var channel = channels.Find(channelName);
        if (channel is null)
        {
            await MarkDeadAsync(record, "the channel is no longer configured", cancellationToken).ConfigureAwait(false);
            return;
        }
        var state = await deliveries.GetChannelStateAsync(channelName, cancellationToken).ConfigureAwait(false);
        if (state is { Disabled: true } && state.Fingerprint == channel.EndpointFingerprint)
        {
            await MarkDeadAsync(record, $"the channel is disabled since {AlertFormatter.Stamp(state.DisabledAt ?? now)} ({state.Reason}); change its settings to enable it again", cancellationToken).ConfigureAwait(false);
            return;
        }

        var claimed = await deliveries.TryReplaceAsync(record with
        {
            Status = DeliveryStatus.Sending,
            ChannelType = channel.Type,
            Attempts = record.Attempts + 1,
            FirstAttemptAt = record.FirstAttemptAt ?? now,
            LastAttemptAt = now,
            LeaseUntil = now + Lease,
        }, cancellationToken).ConfigureAwait(false);
        if (claimed is null)
        {
            // Someone else changed the row since it was read: they are attempting it.
            return;
        }

        IReadOnlyList<MonitorEvent> events = claimed.Kind == DeliveryKind.Group
            ? await deliveries.ListGroupMembersAsync(channelName, deliveryId, cancellationToken).ConfigureAwait(false)
            : claimed.Event is { } single ? [single] : [];
        if (events.Count == 0)
        {
            await MarkDeadAsync(claimed, "nothing to send: the delivery has no stored events", cancellationToken).ConfigureAwait(false);
            return;
        }

        SendResult result;
        try
        {
            result = await channel.SendAsync(new OutgoingAlert(deliveryId, events), cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            // A bug in formatting must not leave the delivery stuck in "sending": it goes through the retries to dead, visibly.
            LogSendCrashed(e, channelName, deliveryId);
            result = new SendResult(SendOutcome.RetryLater, Error: $"internal error ({e.GetType().Name})");
        }
        await RecordAsync(claimed, channel, result, cancellationToken).ConfigureAwait(false);
    }

    private async Task RecordAsync(DeliveryRecord claimed, IAlertChannel channel, SendResult result, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var attempted = claimed with { LastHttpStatus = result.HttpStatus, LastError = result.Error, LeaseUntil = null, NextAttemptAt = null };
        switch (result.Outcome)
        {
            case SendOutcome.Delivered:
                await deliveries.SaveAsync(attempted with { Status = DeliveryStatus.Delivered, CompletedAt = now }, cancellationToken).ConfigureAwait(false);
                LogDelivered(channel.Name, claimed.DeliveryId, claimed.EventType, claimed.Agent, claimed.Attempts);
                break;

            case SendOutcome.Gone:
                await deliveries.DisableChannelAsync(channel.Name, channel.EndpointFingerprint, now, $"HTTP {result.HttpStatus} Gone", cancellationToken).ConfigureAwait(false);
                LogChannelDisabled(channel.Name, result.HttpStatus);
                await MarkDeadAsync(attempted, "HTTP 410: the endpoint is gone; the channel is disabled until its settings change", cancellationToken).ConfigureAwait(false);
                break;

            case SendOutcome.Rejected:
                await MarkDeadAsync(attempted, result.Error ?? "rejected", cancellationToken).ConfigureAwait(false);
                break;

            default:
                var next = _schedule.NextAttempt(claimed.FirstAttemptAt ?? now, claimed.Attempts, now, result.RetryAfter);
                if (next is null)
                {
                    await MarkDeadAsync(attempted, $"gave up after {claimed.Attempts} attempts in {AgentEvents.FormatDuration((now - (claimed.FirstAttemptAt ?? now)).TotalSeconds)}: {result.Error}", cancellationToken).ConfigureAwait(false);
                    break;
                }
                var retrying = attempted with { Status = DeliveryStatus.Retrying, NextAttemptAt = next };
                // The wake-up first: should saving fail, the wake-up finds the row still "sending" with its lease run out and takes over.
                await scheduler.ScheduleAsync(RetryWork(retrying, next.Value), cancellationToken).ConfigureAwait(false);
                await deliveries.SaveAsync(retrying, cancellationToken).ConfigureAwait(false);
                LogRetrying(channel.Name, claimed.DeliveryId, claimed.Attempts, result.Error, (next.Value - now).TotalSeconds);
                break;
        }
    }

    private async Task MarkDeadAsync(DeliveryRecord record, string error, CancellationToken cancellationToken)
    {
        var dead = record with { Status = DeliveryStatus.Dead, LastError = error, CompletedAt = time.GetUtcNow(), LeaseUntil = null, NextAttemptAt = null };
        // Indexed first: a dead delivery must never be missing from GET /api/deliveries?status=dead.
        await deliveries.IndexDeadAsync(dead, cancellationToken).ConfigureAwait(false);
        await deliveries.SaveAsync(dead, cancellationToken).ConfigureAwait(false);
        LogDead(record.Channel, record.DeliveryId, record.EventType, record.Agent, record.Attempts, error);
    }

    private static AlertWorkItem RetryWork(DeliveryRecord record, DateTimeOffset due, string? copy = null) =>
        AlertWorkItem.Create(new AlertWork { Kind = AlertWorkKind.Deliver, DeliveryId = record.DeliveryId, Channel = record.Channel, Number = record.Attempts + 1 }, due, copy);

    [LoggerMessage(Level = LogLevel.Information, Message = "Delivered {DeliveryId} ({EventType}, agent {Agent}) to channel {Channel} on attempt {Attempt}")]
    private partial void LogDelivered(string channel, string deliveryId, string? eventType, string? agent, int attempt);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Delivering {DeliveryId} to channel {Channel} failed on attempt {Attempt} ({Error}); next attempt in {DelaySeconds:0.#} s")]
    private partial void LogRetrying(string channel, string deliveryId, int attempt, string? error, double delaySeconds);

    [LoggerMessage(Level = LogLevel.Error, Message = "Delivery {DeliveryId} ({EventType}, agent {Agent}) to channel {Channel} is dead after {Attempts} attempt(s): {Error}")]
    private partial void LogDead(string channel, string deliveryId, string? eventType, string? agent, int attempts, string error);

    [LoggerMessage(Level = LogLevel.Error, Message = "Channel {Channel} answered {Status}: its endpoint is gone, so the channel is disabled until its settings change")]
    private partial void LogChannelDisabled(string channel, int? status);

    [LoggerMessage(Level = LogLevel.Error, Message = "Sending {DeliveryId} to channel {Channel} threw; counted as a failed attempt")]
    private partial void LogSendCrashed(Exception exception, string channel, string deliveryId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "No delivery {DeliveryId} to channel {Channel} is recorded; nothing to attempt")]
    private partial void LogNothingToAttempt(string deliveryId, string channel);
}

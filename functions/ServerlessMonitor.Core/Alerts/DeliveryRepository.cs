using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Azure;
using Azure.Data.Tables;
using ServerlessMonitor.Events;
using ServerlessMonitor.Json;
using ServerlessMonitor.Storage;

namespace ServerlessMonitor.Alerts;

[JsonConverter(typeof(KebabCaseEnumConverter<DeliveryStatus>))]
public enum DeliveryStatus
{
    Pending,
    /// <summary>An attempt is under way (until <see cref="DeliveryRecord.LeaseUntil"/>; after that a crashed attempt may be taken over).</summary>
    Sending,
    Retrying,
    Delivered,
    /// <summary>Given up: rejected, gone, refused, or still failing after <c>Alerts:GiveUpAfter</c>. Listed by <c>GET /api/deliveries?status=dead</c>.</summary>
    Dead,
    /// <summary>A chat alert parked in a grouping window; the group's own delivery carries the outcome.</summary>
    Grouped,
}

[JsonConverter(typeof(KebabCaseEnumConverter<DeliveryKind>))]
public enum DeliveryKind
{
    /// <summary>One event to one channel; the id is the event id.</summary>
    Event,
    /// <summary>One chat message carrying several events that arrived together; the id is the group id.</summary>
    Group,
}

/// <summary>One delivery to one channel: row (<see cref="DeliveryId"/>, <see cref="Channel"/>) of the deliveries table.</summary>
public sealed record DeliveryRecord
{
    public required string DeliveryId { get; init; }
    public required string Channel { get; init; }
    public DeliveryKind Kind { get; init; }
    public string? ChannelType { get; init; }
    public DeliveryStatus Status { get; init; }
    public string? EventType { get; init; }
    public string? Agent { get; init; }
    public string? IncidentId { get; init; }
    /// <summary>The event as sent, so a retry hours later sends the same thing.</summary>
    public string? EventJson { get; init; }
    /// <summary>For <see cref="DeliveryStatus.Grouped"/> events: the group that carries them.</summary>
    public string? GroupId { get; init; }
    /// <summary>For groups: the events in the message, and their agents.</summary>
    public IReadOnlyList<string> MemberEventIds { get; init; } = [];
    public IReadOnlyList<string> MemberAgents { get; init; } = [];
    public int Attempts { get; init; }
    public DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset? FirstAttemptAt { get; init; }
    public DateTimeOffset? LastAttemptAt { get; init; }
    /// <summary>Retrying: when the next attempt is due. Grouped: when the group is flushed.</summary>
    public DateTimeOffset? NextAttemptAt { get; init; }
    public DateTimeOffset? LeaseUntil { get; init; }
    public DateTimeOffset? CompletedAt { get; init; }
    public int? LastHttpStatus { get; init; }
    public string? LastError { get; init; }
    public ETag ETag { get; init; }

    public MonitorEvent? Event => EventJson is null ? null : EventSerializer.Deserialize(EventJson);
}

/// <summary>A channel's stored state: disabled after HTTP 410 until its settings change.</summary>
public sealed record ChannelState(string Channel, bool Disabled, string? Fingerprint, DateTimeOffset? DisabledAt, string? Reason);

/// <summary>The open grouping window of a chat channel.</summary>
public sealed record GroupingWindow(string Channel, string GroupId, DateTimeOffset OpenedAt, DateTimeOffset ClosesAt, int Members, ETag ETag);

public enum WindowJoin
{
    Joined,
    AlreadyMember,
    /// <summary>The window changed or closed meanwhile; look again.</summary>
    Contended,
}

/// <summary>
/// The deliveries table. Rows keyed (delivery id, channel) track each delivery, so a redelivered event skips what it
/// already sent and a failing channel never holds up the others. Partitions starting with <c>~</c> (sorting after every
/// id) hold the alerts side's own state: channel states, the dead-letter index, grouping windows, reminder progress.
/// </summary>
public sealed class DeliveryRepository(MonitorTables tables)
{
    public const string ChannelStatePartition = "~channels";
    public const string DeadIndexPartition = "~dead";
    public const string ReminderPartition = "~reminders";
    private const string WindowPartitionPrefix = "~window|";
    private const string OpenWindowRow = "open";

    /// <summary>Table Storage holds at most 64 KiB per string property (32 K UTF-16 characters).</summary>
    private const int MaxStoredEventChars = 30_000;

    private TableClient Table => tables.Deliveries;

    public async Task<DeliveryRecord?> GetAsync(string deliveryId, string channel, CancellationToken cancellationToken)
    {
        var row = await Table.GetEntityIfExistsAsync<TableEntity>(deliveryId, channel, cancellationToken: cancellationToken).ConfigureAwait(false);
        return row.HasValue ? FromEntity(row.Value!) : null;
    }

    /// <summary>Adds the row unless it exists; <c>false</c> when it does (a redelivery, or another instance got there first).</summary>
    public async Task<bool> TryAddAsync(DeliveryRecord record, CancellationToken cancellationToken)
    {
        try
        {
            await Table.AddEntityAsync(ToEntity(record), cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (RequestFailedException e) when (e.IsConflict())
        {
            return false;
        }
    }

    /// <summary>Replaces the row if it is unchanged since read; null when someone else changed it.</summary>
    public async Task<DeliveryRecord?> TryReplaceAsync(DeliveryRecord record, CancellationToken cancellationToken)
    {
        try
        {
            var response = await Table.UpdateEntityAsync(ToEntity(record), record.ETag, TableUpdateMode.Replace, cancellationToken).ConfigureAwait(false);
            return record with { ETag = response.Headers.ETag ?? default };
        }
        catch (RequestFailedException e) when (e.IsPreconditionFailed() || e.IsNotFound())
        {
            return null;
        }
    }

    /// <summary>Writes the outcome of an attempt this instance owns (it holds the lease).</summary>
    public Task SaveAsync(DeliveryRecord record, CancellationToken cancellationToken) =>
        Table.UpsertEntityAsync(ToEntity(record), TableUpdateMode.Replace, cancellationToken);

    /// <summary>Creates a group's delivery row, or adds members to it; the status of an existing row is left alone.</summary>
    public Task UpsertGroupAsync(DeliveryRecord group, CancellationToken cancellationToken)
    {
        var entity = new TableEntity(group.DeliveryId, group.Channel)
        {
            ["Kind"] = WireNames.Name(DeliveryKind.Group),
            ["ChannelType"] = group.ChannelType,
            ["CreatedAt"] = group.CreatedAt,
            ["MemberEventIds"] = string.Join(',', group.MemberEventIds),
            ["MemberAgents"] = string.Join(',', group.MemberAgents),
            ["EventType"] = group.EventType,
        };
        return Table.UpsertEntityAsync(entity, TableUpdateMode.Merge, cancellationToken);
    }

    /// <summary>Lists the delivery in the dead-letter index (newest first); writing it again is harmless.</summary>
    public Task IndexDeadAsync(DeliveryRecord record, CancellationToken cancellationToken)
    {
        var entity = ToEntity(record with { EventJson = null });
        entity.PartitionKey = DeadIndexPartition;
        entity.RowKey = $"{DateTimeOffset.MaxValue.UtcTicks - record.CreatedAt.UtcTicks:D19}|{record.DeliveryId}|{record.Channel}";
        entity["DeliveryId"] = record.DeliveryId;
        entity["Channel"] = record.Channel;
        return Table.UpsertEntityAsync(entity, TableUpdateMode.Replace, cancellationToken);
    }

    /// <summary>Dead deliveries, newest first: one partition query, however large the table grows.</summary>
    public async IAsyncEnumerable<DeliveryRecord> ListDeadAsync(int max, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {DeadIndexPartition}");
        var count = 0;
        await foreach (var entity in Table.QueryAsync<TableEntity>(filter, maxPerPage: Math.Min(max, 1000), cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            var record = FromEntity(entity) with { DeliveryId = entity.GetString("DeliveryId") ?? "", Channel = entity.GetString("Channel") ?? "" };
            yield return record;
            if (++count >= max)
            {
                yield break;
            }
        }
    }

    /// <summary>Deliveries in <paramref name="status"/>; a filtered scan of the delivery rows, meant for troubleshooting.</summary>
    public async IAsyncEnumerable<DeliveryRecord> ListByStatusAsync(DeliveryStatus status, int max, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var name = WireNames.Name(status);
        var filter = TableClient.CreateQueryFilter($"PartitionKey lt {"~"} and Status eq {name}");
        var count = 0;
        await foreach (var entity in Table.QueryAsync<TableEntity>(filter, maxPerPage: Math.Min(max, 1000), cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            yield return FromEntity(entity);
            if (++count >= max)
            {
                yield break;
            }
        }
    }

    public async Task<ChannelState?> GetChannelStateAsync(string channel, CancellationToken cancellationToken)
    {
        var row = await Table.GetEntityIfExistsAsync<TableEntity>(ChannelStatePartition, channel, cancellationToken: cancellationToken).ConfigureAwait(false);
        return row.HasValue ? ToChannelState(row.Value!) : null;
    }

    public async Task<IReadOnlyList<ChannelState>> ListChannelStatesAsync(CancellationToken cancellationToken)
    {
        var states = new List<ChannelState>();
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {ChannelStatePartition}");
        await foreach (var entity in Table.QueryAsync<TableEntity>(filter, cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            states.Add(ToChannelState(entity));
        }
        return states;
    }

    public Task DisableChannelAsync(string channel, string fingerprint, DateTimeOffset at, string reason, CancellationToken cancellationToken) =>
        Table.UpsertEntityAsync(new TableEntity(ChannelStatePartition, channel)
        {
            ["Disabled"] = true,
            ["Fingerprint"] = fingerprint,
            ["DisabledAt"] = at,
            ["Reason"] = reason,
        }, TableUpdateMode.Replace, cancellationToken);

    public async Task<GroupingWindow?> GetOpenWindowAsync(string channel, CancellationToken cancellationToken)
    {
        var row = await Table.GetEntityIfExistsAsync<TableEntity>(WindowPartition(channel), OpenWindowRow, cancellationToken: cancellationToken).ConfigureAwait(false);
        if (!row.HasValue)
        {
            return null;
        }
        var entity = row.Value!;
        return new GroupingWindow(channel, entity.GetString("GroupId"), entity.GetDateTimeOffset("OpenedAt") ?? default,
            entity.GetDateTimeOffset("ClosesAt") ?? default, entity.GetInt32("Members") ?? 0, entity.ETag);
    }

    /// <summary>Opens a window with <paramref name="member"/> as its first alert, atomically; false when another window opened first.</summary>
    public async Task<bool> TryOpenWindowAsync(string channel, string groupId, DateTimeOffset openedAt, DateTimeOffset closesAt, MonitorEvent member, CancellationToken cancellationToken)
    {
        var header = new TableEntity(WindowPartition(channel), OpenWindowRow)
        {
            ["GroupId"] = groupId,
            ["OpenedAt"] = openedAt,
            ["ClosesAt"] = closesAt,
            ["Members"] = 1,
        };
        try
        {
            await Table.SubmitTransactionAsync(
                [new TableTransactionAction(TableTransactionActionType.Add, header), new TableTransactionAction(TableTransactionActionType.Add, MemberEntity(channel, groupId, member, openedAt))],
                cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (TableTransactionFailedException e) when (e.Status is StorageStatus.Conflict)
        {
            return false;
        }
    }

    /// <summary>
    /// Adds <paramref name="member"/> to the window, in one transaction with an ETag-guarded touch of the window row: a
    /// flush that closes the window in between makes the join fail, so no alert is parked in a window already sent.
    /// </summary>
    public async Task<WindowJoin> TryJoinWindowAsync(GroupingWindow window, MonitorEvent member, DateTimeOffset parkedAt, CancellationToken cancellationToken)
    {
        var header = new TableEntity(WindowPartition(window.Channel), OpenWindowRow) { ["Members"] = window.Members + 1 };
        try
        {
            await Table.SubmitTransactionAsync(
                [new TableTransactionAction(TableTransactionActionType.UpdateMerge, header, window.ETag), new TableTransactionAction(TableTransactionActionType.Add, MemberEntity(window.Channel, window.GroupId, member, parkedAt))],
                cancellationToken).ConfigureAwait(false);
            return WindowJoin.Joined;
        }
        catch (TableTransactionFailedException e) when (e.Status is StorageStatus.Conflict && e.FailedTransactionActionIndex == 1)
        {
            return WindowJoin.AlreadyMember;
        }
        catch (TableTransactionFailedException e) when (e.Status is StorageStatus.PreconditionFailed or StorageStatus.NotFound or StorageStatus.Conflict)
        {
            return WindowJoin.Contended;
        }
    }

    /// <summary>Closes the window if nobody joined since it was read; false when someone did (read the members again).</summary>
    public async Task<bool> TryCloseWindowAsync(GroupingWindow window, CancellationToken cancellationToken)
    {
        try
        {
            await Table.DeleteEntityAsync(WindowPartition(window.Channel), OpenWindowRow, window.ETag, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (RequestFailedException e) when (e.IsPreconditionFailed() || e.IsNotFound())
        {
            return false;
        }
    }

    /// <summary>The alerts parked in a group, in order of arrival at the window.</summary>
    public async Task<IReadOnlyList<MonitorEvent>> ListGroupMembersAsync(string channel, string groupId, CancellationToken cancellationToken)
    {
        var prefix = $"m|{groupId}|";
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {WindowPartition(channel)} and RowKey ge {prefix} and RowKey lt {prefix + "~"}");
        var members = new List<(DateTimeOffset At, MonitorEvent Event)>();
        await foreach (var entity in Table.QueryAsync<TableEntity>(filter, cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            members.Add((entity.GetDateTimeOffset("ParkedAt") ?? default, EventSerializer.Deserialize(entity.GetString("Event"))));
        }
        return [.. members.OrderBy(m => m.At).Select(m => m.Event)];
    }

    /// <summary>How many reminders of the incident have been scheduled so far.</summary>
    public async Task<int> GetRemindersScheduledAsync(string incidentId, CancellationToken cancellationToken)
    {
        var row = await Table.GetEntityIfExistsAsync<TableEntity>(ReminderPartition, incidentId, ["Scheduled"], cancellationToken).ConfigureAwait(false);
        return row.HasValue ? row.Value!.GetInt32("Scheduled") ?? 0 : 0;
    }

    public Task SetRemindersScheduledAsync(string incidentId, int scheduled, CancellationToken cancellationToken) =>
        Table.UpsertEntityAsync(new TableEntity(ReminderPartition, incidentId) { ["Scheduled"] = scheduled }, TableUpdateMode.Replace, cancellationToken);

    /// <summary>The event as JSON small enough for a table property: very long details (log tails) are cut to their end.</summary>
    public static string StoredEvent(MonitorEvent monitorEvent)
    {
        var json = System.Text.Encoding.UTF8.GetString(EventSerializer.Serialize(monitorEvent));
        if (json.Length <= MaxStoredEventChars || JsonNode.Parse(json) is not JsonObject root || root["details"] is not JsonObject details)
        {
            return json;
        }
        foreach (var (name, value) in details.Where(p => p.Value is JsonValue v && v.TryGetValue<string>(out _)).OrderByDescending(p => p.Value!.GetValue<string>().Length).ToList())
        {
            var text = value!.GetValue<string>();
            details[name] = text.Length > 4000 ? "…" + text[^3999..] : text;
            json = root.ToJsonString();
            if (json.Length <= MaxStoredEventChars)
            {
                break;
            }
        }
        return json;
    }

    private static string WindowPartition(string channel) => WindowPartitionPrefix + channel;

    private static TableEntity MemberEntity(string channel, string groupId, MonitorEvent member, DateTimeOffset parkedAt) => new(WindowPartition(channel), $"m|{groupId}|{member.Id}")
    {
        ["Event"] = StoredEvent(member),
        ["EventType"] = member.Type,
        ["Agent"] = member.Agent,
        ["ParkedAt"] = parkedAt,
    };

    private static ChannelState ToChannelState(TableEntity entity) =>
        new(entity.RowKey, entity.GetBoolean("Disabled") ?? false, entity.GetString("Fingerprint"), entity.GetDateTimeOffset("DisabledAt"), entity.GetString("Reason"));

    private static TableEntity ToEntity(DeliveryRecord r) => new(r.DeliveryId, r.Channel)
    {
        ["Kind"] = WireNames.Name(r.Kind),
        ["ChannelType"] = r.ChannelType,
        ["Status"] = WireNames.Name(r.Status),
        ["EventType"] = r.EventType,
        ["Agent"] = r.Agent,
        ["IncidentId"] = r.IncidentId,
        ["Event"] = r.EventJson,
        ["GroupId"] = r.GroupId,
        ["MemberEventIds"] = r.MemberEventIds.Count == 0 ? null : string.Join(',', r.MemberEventIds),
        ["MemberAgents"] = r.MemberAgents.Count == 0 ? null : string.Join(',', r.MemberAgents),
        ["Attempts"] = r.Attempts,
        ["CreatedAt"] = r.CreatedAt,
        ["FirstAttemptAt"] = r.FirstAttemptAt,
        ["LastAttemptAt"] = r.LastAttemptAt,
        ["NextAttemptAt"] = r.NextAttemptAt,
        ["LeaseUntil"] = r.LeaseUntil,
        ["CompletedAt"] = r.CompletedAt,
        ["LastHttpStatus"] = r.LastHttpStatus,
        ["LastError"] = r.LastError,
    };

    private static DeliveryRecord FromEntity(TableEntity e) => new()
    {
        DeliveryId = e.PartitionKey,
        Channel = e.RowKey,
        Kind = e.GetString("Kind") == WireNames.Name(DeliveryKind.Group) ? DeliveryKind.Group : DeliveryKind.Event,
        ChannelType = e.GetString("ChannelType"),
        // A group row created by a flush has no status until its first attempt.
        Status = ParseStatus(e.GetString("Status")),
        EventType = e.GetString("EventType"),
        Agent = e.GetString("Agent"),
        IncidentId = e.GetString("IncidentId"),
        EventJson = e.GetString("Event"),
        GroupId = e.GetString("GroupId"),
        MemberEventIds = SplitIds(e.GetString("MemberEventIds")),
        MemberAgents = SplitIds(e.GetString("MemberAgents")),
        Attempts = e.GetInt32("Attempts") ?? 0,
        CreatedAt = e.GetDateTimeOffset("CreatedAt") ?? e.Timestamp ?? default,
        FirstAttemptAt = e.GetDateTimeOffset("FirstAttemptAt"),
        LastAttemptAt = e.GetDateTimeOffset("LastAttemptAt"),
        NextAttemptAt = e.GetDateTimeOffset("NextAttemptAt"),
        LeaseUntil = e.GetDateTimeOffset("LeaseUntil"),
        CompletedAt = e.GetDateTimeOffset("CompletedAt"),
        LastHttpStatus = e.GetInt32("LastHttpStatus"),
        LastError = e.GetString("LastError"),
        ETag = e.ETag,
    };

    private static DeliveryStatus ParseStatus(string? value) =>
        Enum.GetValues<DeliveryStatus>().FirstOrDefault(s => WireNames.Name(s) == value, DeliveryStatus.Pending);

    private static string[] SplitIds(string? value) =>
        string.IsNullOrEmpty(value) ? [] : value.Split(',', StringSplitOptions.RemoveEmptyEntries);
}

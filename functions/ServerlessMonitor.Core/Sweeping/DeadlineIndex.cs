using System.Globalization;
using System.Runtime.CompilerServices;
using Azure;
using Azure.Data.Tables;
using ServerlessMonitor.Storage;

namespace ServerlessMonitor.Sweeping;

/// <summary>An entry of the deadline index: agent <see cref="Agent"/> must be looked at no later than <see cref="Deadline"/>.</summary>
public sealed record DeadlineEntry(string Agent, DateTimeOffset Deadline)
{
    internal string PartitionKey => DeadlineIndex.PartitionFor(Agent);
    internal string RowKey => DeadlineIndex.RowKeyFor(Agent, Deadline);
}

/// <summary>
/// The sweeper's to-do list, ordered by deadline: row key = zero-padded Unix milliseconds + agent name, so "due now"
/// is one range query per shard and reads only due entries. Agents are spread over <see cref="ShardCount"/>
/// partitions to stay far below the per-partition throughput limit.
/// The index is lazy: a steady heartbeat moves only the agent's row deadline; the entry is re-armed when it comes
/// due and the agent turns out to be alive. So heartbeats stay one write, and each agent costs the sweeper about one
/// look per timeout period rather than per heartbeat.
/// </summary>
public sealed class DeadlineIndex(MonitorTables tables)
{
    public const int ShardCount = 16;

    public Task SetAsync(string agent, DateTimeOffset deadline, CancellationToken cancellationToken)
    {
        var entry = new DeadlineEntry(agent, deadline);
        return tables.Deadlines.UpsertEntityAsync(ToEntity(entry), TableUpdateMode.Replace, cancellationToken);
    }

    /// <summary>Entries of <paramref name="shard"/> whose deadline is at or before <paramref name="now"/>, oldest first.</summary>
    public async IAsyncEnumerable<DeadlineEntry> QueryDueAsync(int shard, DateTimeOffset now, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var partition = ShardKey(shard);
        var upper = FormatMillis(now.ToUnixTimeMilliseconds() + 1);
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {partition} and RowKey lt {upper}");
        await foreach (var entity in tables.Deadlines.QueryAsync<TableEntity>(filter, maxPerPage: 1000, select: ["Agent", "Deadline"], cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            yield return new DeadlineEntry(entity.GetString("Agent"), entity.GetDateTimeOffset("Deadline") ?? default);
        }
    }

    /// <summary>Moves <paramref name="entry"/> to <paramref name="deadline"/> in one transaction (same partition: the shard follows the agent).</summary>
    public async Task MoveAsync(DeadlineEntry entry, DateTimeOffset deadline, CancellationToken cancellationToken)
    {
        var moved = entry with { Deadline = deadline };
        if (moved.RowKey == entry.RowKey)
        {
            return;
        }
        try
        {
            await tables.Deadlines.SubmitTransactionAsync(
            [
                new TableTransactionAction(TableTransactionActionType.Delete, new TableEntity(entry.PartitionKey, entry.RowKey), ETag.All),
                new TableTransactionAction(TableTransactionActionType.UpsertReplace, ToEntity(moved)),
            ], cancellationToken).ConfigureAwait(false);
        }
        catch (TableTransactionFailedException e) when (e.Status == StorageStatus.NotFound)
        {
            // Another sweep moved or removed the old entry first; the agent still needs its new one.
            await tables.Deadlines.UpsertEntityAsync(ToEntity(moved), TableUpdateMode.Replace, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Removes <paramref name="entry"/>; an entry already gone is fine (the Tables SDK answers 404 on delete without throwing).</summary>
    public Task RemoveAsync(DeadlineEntry entry, CancellationToken cancellationToken) =>
        tables.Deadlines.DeleteEntityAsync(entry.PartitionKey, entry.RowKey, ETag.All, cancellationToken);

    internal static TableEntity ToEntity(DeadlineEntry entry) => new(entry.PartitionKey, entry.RowKey)
    {
        ["Agent"] = entry.Agent,
        ["Deadline"] = entry.Deadline,
    };

    internal static string PartitionFor(string agent) => ShardKey(ShardOf(agent));

    internal static string RowKeyFor(string agent, DateTimeOffset deadline) => FormatMillis(deadline.ToUnixTimeMilliseconds()) + "_" + agent;

    /// <summary>FNV-1a of the name: stable across processes and .NET versions, unlike <see cref="string.GetHashCode()"/>.</summary>
    internal static int ShardOf(string agent)
    {
        var hash = 2166136261u;
        foreach (var c in agent)
        {
            hash = (hash ^ c) * 16777619u;
        }
        return (int)(hash % ShardCount);
    }

    private static string ShardKey(int shard) => "s" + shard.ToString("D2", CultureInfo.InvariantCulture);

    private static string FormatMillis(long millis) => Math.Max(0, millis).ToString("D15", CultureInfo.InvariantCulture);
}

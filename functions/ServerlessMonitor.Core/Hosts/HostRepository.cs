using Azure;
using Azure.Data.Tables;
using ServerlessMonitor.Storage;

namespace ServerlessMonitor.Hosts;

/// <summary>A Docker host as its restart agent shows it: when it last polled, and how often it polls.</summary>
public sealed record HostRecord(string Host, DateTimeOffset? LastSeenAt, int? PollIntervalSeconds, string? AgentVersion);

/// <summary>A host key as stored: only its SHA-256 hash, never the key.</summary>
public sealed record HostKeyRecord(string Host, string KeyId, byte[] Hash, DateTimeOffset CreatedAt);

/// <summary>
/// The <c>hosts</c> table, partitioned by host: row <c>host</c> holds the restart agent's liveness, rows
/// <c>key-{keyId}</c> its keys. A key is checked with one point read in the host's own partition.
/// </summary>
public sealed class HostRepository(MonitorTables tables)
{
    private const string HostRow = "host";
    private const string KeyRowPrefix = "key-";

    public async Task<HostRecord?> GetAsync(string host, CancellationToken cancellationToken)
    {
        var row = await tables.Hosts.GetEntityIfExistsAsync<TableEntity>(host, HostRow, cancellationToken: cancellationToken).ConfigureAwait(false);
        return row.HasValue
            ? new HostRecord(host, row.Value!.GetDateTimeOffset("LastSeenAt"), row.Value.GetInt32("PollIntervalSeconds"), row.Value.GetString("AgentVersion"))
            : null;
    }

    /// <summary>The restart agent's own heartbeat: every poll merges its time into the host row.</summary>
    public Task RecordPollAsync(string host, DateTimeOffset now, int pollIntervalSeconds, string? agentVersion, CancellationToken cancellationToken) =>
        tables.Hosts.UpsertEntityAsync(new TableEntity(host, HostRow)
        {
            ["LastSeenAt"] = now,
            ["PollIntervalSeconds"] = pollIntervalSeconds,
            ["AgentVersion"] = agentVersion,
        }, TableUpdateMode.Merge, cancellationToken);

    public Task AddKeyAsync(HostKeyRecord key, CancellationToken cancellationToken) =>
        tables.Hosts.AddEntityAsync(new TableEntity(key.Host, KeyRowPrefix + key.KeyId)
        {
            ["Hash"] = key.Hash,
            ["CreatedAt"] = key.CreatedAt,
        }, cancellationToken);

    public async Task<HostKeyRecord?> GetKeyAsync(string host, string keyId, CancellationToken cancellationToken)
    {
        var row = await tables.Hosts.GetEntityIfExistsAsync<TableEntity>(host, KeyRowPrefix + keyId, cancellationToken: cancellationToken).ConfigureAwait(false);
        return row.HasValue && row.Value!.GetBinary("Hash") is { } hash
            ? new HostKeyRecord(host, keyId, hash, row.Value.GetDateTimeOffset("CreatedAt") ?? default)
            : null;
    }

    /// <summary>Deletes a key; <c>false</c> when there was none.</summary>
    public async Task<bool> DeleteKeyAsync(string host, string keyId, CancellationToken cancellationToken)
    {
        try
        {
            // The SDK answers a missing entity with its 404 response rather than an exception.
            var response = await tables.Hosts.DeleteEntityAsync(host, KeyRowPrefix + keyId, ETag.All, cancellationToken).ConfigureAwait(false);
            return response.Status != StorageStatus.NotFound;
        }
        catch (RequestFailedException e) when (e.IsNotFound())
        {
            return false;
        }
    }
}

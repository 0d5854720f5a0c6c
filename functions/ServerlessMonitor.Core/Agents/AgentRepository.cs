using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Azure;
using Azure.Data.Tables;
using ServerlessMonitor.Json;
using ServerlessMonitor.Restarts;
using ServerlessMonitor.Storage;

namespace ServerlessMonitor.Agents;

/// <summary>
/// Agent rows in Table Storage (partition = agent name, so every agent scales on its own).
/// Writes are ETag-guarded: a lost race answers <c>null</c> and the caller re-reads and re-decides.
/// </summary>
public sealed class AgentRepository(MonitorTables tables)
{
    private const string RowKey = "agent";

    public async Task<AgentRecord?> GetAsync(string name, CancellationToken cancellationToken)
    {
        var response = await tables.Agents.GetEntityIfExistsAsync<TableEntity>(name, RowKey, cancellationToken: cancellationToken).ConfigureAwait(false);
        return response.HasValue ? FromEntity(response.Value!) : null;
    }

    /// <summary>Registers a new agent; <c>null</c> when another request registered it first.</summary>
    public async Task<AgentRecord?> TryAddAsync(AgentRecord record, CancellationToken cancellationToken)
    {
        try
        {
            var response = await tables.Agents.AddEntityAsync(ToEntity(record), cancellationToken).ConfigureAwait(false);
            return record with { ETag = response.Headers.ETag ?? default };
        }
        catch (RequestFailedException e) when (e.IsConflict())
        {
            return null;
        }
    }

    /// <summary>Writes <paramref name="record"/> if the stored row still has its ETag; <c>null</c> when it changed or vanished.</summary>
    public async Task<AgentRecord?> TryReplaceAsync(AgentRecord record, CancellationToken cancellationToken)
    {
        try
        {
            var response = await tables.Agents.UpdateEntityAsync(ToEntity(record), record.ETag, TableUpdateMode.Replace, cancellationToken).ConfigureAwait(false);
            return record with { ETag = response.Headers.ETag ?? default };
        }
        catch (RequestFailedException e) when (e.IsPreconditionFailed() || e.IsNotFound())
        {
            return null;
        }
    }

    public async IAsyncEnumerable<AgentRecord> ListAsync(int max, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var count = 0;
        await foreach (var entity in tables.Agents.QueryAsync<TableEntity>(filter: $"RowKey eq '{RowKey}'", maxPerPage: Math.Min(max, 1000), cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            if (count++ >= max)
            {
                yield break;
            }
            yield return FromEntity(entity);
        }
    }

    /// <summary>Keeps a finished day's usage beside the agent's row (same partition), written once per agent per day.</summary>
    public async Task SaveDailyUsageAsync(string name, DateOnly day, long tokens, decimal costUsd, CancellationToken cancellationToken)
    {
        var entity = new TableEntity(name, UsageRowKey(day))
        {
            ["Tokens"] = tokens,
            ["CostUsd"] = costUsd.ToString(CultureInfo.InvariantCulture),
        };
        await tables.Agents.UpsertEntityAsync(entity, TableUpdateMode.Replace, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The agent's finished days of usage from <paramref name="from"/> on, oldest first: one range query in its partition.</summary>
    public async IAsyncEnumerable<DailyUsage> ListDailyUsageAsync(string name, DateOnly from, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        // '.' sorts right after '-', so this bound ends the "usage-" rows.
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {name} and RowKey ge {UsageRowKey(from)} and RowKey lt {"usage."}");
        await foreach (var entity in tables.Agents.QueryAsync<TableEntity>(filter, cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            if (DateOnly.TryParseExact(entity.RowKey["usage-".Length..], "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day))
            {
                var cost = decimal.TryParse(entity.GetString("CostUsd"), NumberStyles.Number, CultureInfo.InvariantCulture, out var parsed) ? parsed : 0m;
                yield return new DailyUsage(day, entity.GetInt64("Tokens") ?? 0, cost);
            }
        }
    }

    internal static string UsageRowKey(DateOnly day) => "usage-" + day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    internal static TableEntity ToEntity(AgentRecord r) => new(r.Name, RowKey)
    {
        ["Status"] = r.Status.ToString(),
        ["Host"] = r.Host,
        ["Container"] = r.Container,
        ["RegisteredAt"] = r.RegisteredAt,
        ["LastHeartbeatAt"] = r.LastHeartbeatAt,
        ["Deadline"] = r.Deadline,
        ["IntervalSeconds"] = r.IntervalSeconds,
        ["TimeoutSeconds"] = r.TimeoutSeconds,
        ["RecoveryAction"] = r.RecoveryAction.ToString(),
        ["LastReportedStatus"] = r.LastReportedStatus?.ToString(),
        ["LastMessage"] = r.LastMessage,
        ["Progress"] = r.Progress,
        ["HeartbeatCount"] = r.HeartbeatCount,
        ["IncidentId"] = r.IncidentId,
        ["IncidentReason"] = r.IncidentReason?.ToString(),
        ["DownSince"] = r.DownSince,
        ["LastIncidentId"] = r.LastIncidentId,
        ["UsageDate"] = r.UsageDate?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
        ["UsageTokens"] = r.UsageTokens,
        // Table Storage has no decimal type; the invariant string keeps cents exact.
        ["UsageCostUsd"] = r.UsageCostUsd.ToString(CultureInfo.InvariantCulture),
        // Restart policy and loop as JSON: read and written with the row, never queried.
        ["Policy"] = r.Policy is { IsEmpty: false } policy ? JsonSerializer.Serialize(policy, MonitorJsonContext.Default.RecoveryPolicyOverrides) : null,
        ["Restart"] = ReferenceEquals(r.Restart, RestartState.Initial) ? null : JsonSerializer.Serialize(r.Restart, MonitorJsonContext.Default.RestartState),
    };

    internal static AgentRecord FromEntity(TableEntity e) => new()
    {
        Name = e.PartitionKey,
        Status = Enum.Parse<AgentStatus>(e.GetString("Status")),
        Host = e.GetString("Host"),
        Container = e.GetString("Container"),
        RegisteredAt = e.GetDateTimeOffset("RegisteredAt") ?? default,
        LastHeartbeatAt = e.GetDateTimeOffset("LastHeartbeatAt"),
        Deadline = e.GetDateTimeOffset("Deadline") ?? default,
        IntervalSeconds = e.GetInt32("IntervalSeconds") ?? 0,
        TimeoutSeconds = e.GetInt32("TimeoutSeconds") ?? 0,
        RecoveryAction = Enum.TryParse<RecoveryAction>(e.GetString("RecoveryAction"), out var action) ? action : RecoveryAction.Restart,
        LastReportedStatus = Enum.TryParse<ReportedStatus>(e.GetString("LastReportedStatus"), out var reported) ? reported : null,
        LastMessage = e.GetString("LastMessage"),
        Progress = e.GetInt64("Progress"),
        HeartbeatCount = e.GetInt64("HeartbeatCount") ?? 0,
        IncidentId = e.GetString("IncidentId"),
        IncidentReason = Enum.TryParse<IncidentReason>(e.GetString("IncidentReason"), out var reason) ? reason : null,
        DownSince = e.GetDateTimeOffset("DownSince"),
        LastIncidentId = e.GetString("LastIncidentId"),
        UsageDate = DateOnly.TryParseExact(e.GetString("UsageDate"), "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day) ? day : null,
        UsageTokens = e.GetInt64("UsageTokens") ?? 0,
        UsageCostUsd = decimal.TryParse(e.GetString("UsageCostUsd"), NumberStyles.Number, CultureInfo.InvariantCulture, out var cost) ? cost : 0m,
        Policy = e.GetString("Policy") is { Length: > 0 } policy ? JsonSerializer.Deserialize(policy, MonitorJsonContext.Default.RecoveryPolicyOverrides) : null,
        Restart = e.GetString("Restart") is { Length: > 0 } restart ? JsonSerializer.Deserialize(restart, MonitorJsonContext.Default.RestartState) ?? RestartState.Initial : RestartState.Initial,
        ETag = e.ETag,
    };
}

using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Serialization;
using Azure;
using Azure.Data.Tables;
using ServerlessMonitor.Json;
using ServerlessMonitor.Storage;

namespace ServerlessMonitor.Restarts;

[JsonConverter(typeof(KebabCaseEnumConverter<CommandStatus>))]
public enum CommandStatus
{
    /// <summary>Waiting for the host's restart agent.</summary>
    Pending,
    /// <summary>Handed to a restart agent until <see cref="RestartCommand.LeaseExpiresAt"/>; offered again after that.</summary>
    Leased,
    Succeeded,
    Failed,
    /// <summary>The restart agent did not restart on purpose (the container exited cleanly and the policy says so).</summary>
    Skipped,
    /// <summary>The agent came back by itself before any restart agent took the command.</summary>
    Cancelled,
    /// <summary>Not carried out within the command TTL: the host is offline.</summary>
    Expired,
}

/// <summary>What the restart agent reports about a command.</summary>
[JsonConverter(typeof(KebabCaseEnumConverter<CommandOutcome>))]
public enum CommandOutcome
{
    Succeeded,
    Failed,
    Skipped,
}

/// <summary>The restart agent's report: the outcome, and the container as it found it before the restart (why it died).</summary>
public sealed record CommandResult
{
    public CommandOutcome Outcome { get; init; }
    public string? Reason { get; init; }
    public string? Error { get; init; }
    public string? ContainerId { get; init; }
    public string? ContainerName { get; init; }
    public DateTimeOffset? RestartedAt { get; init; }
    public int? ExitCode { get; init; }
    public bool? OomKilled { get; init; }
    public string? HealthStatus { get; init; }
    public string? HealthLog { get; init; }
    public string? LogTail { get; init; }
}

/// <summary>A request to restart an agent's container, addressed to the restart agent of its Docker host.</summary>
public sealed record RestartCommand
{
    public required string Id { get; init; }
    public required string Host { get; init; }
    public required string Agent { get; init; }
    public string? Container { get; init; }
    public required string IncidentId { get; init; }
    public int Attempt { get; init; }
    public CommandStatus Status { get; init; }
    public DateTimeOffset CreatedAt { get; init; }
    /// <summary>Not carried out by then, the command fails with reason <c>host offline</c>.</summary>
    public DateTimeOffset ExpiresAt { get; init; }
    /// <summary>Tells the restart agent to leave a container alone that exited with code 0 (the agent's policy).</summary>
    public bool SkipIfExitedCleanly { get; init; }
    public DateTimeOffset? LeasedAt { get; init; }
    public DateTimeOffset? LeaseExpiresAt { get; init; }
    /// <summary>How many times the command was handed out; above 1 means a restart agent died holding it.</summary>
    public int Deliveries { get; init; }
    public DateTimeOffset? CompletedAt { get; init; }
    public CommandResult? Result { get; init; }
    public ETag ETag { get; init; }

    public bool IsOpen => Status is CommandStatus.Pending or CommandStatus.Leased;
}

/// <summary>Commands partitioned by host, so a restart agent's poll is a single-partition query. Changes are ETag-guarded.</summary>
public sealed class RestartCommandRepository(MonitorTables tables)
{
    /// <summary>Stores <paramref name="command"/> unless a command with its id exists; <c>false</c> when it did (a redelivered event).</summary>
    public async Task<bool> TryAddAsync(RestartCommand command, CancellationToken cancellationToken)
    {
        try
        {
            await tables.Commands.AddEntityAsync(ToEntity(command), cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (RequestFailedException e) when (e.IsConflict())
        {
            return false;
        }
    }

    public async Task<RestartCommand?> GetAsync(string host, string id, CancellationToken cancellationToken)
    {
        var row = await tables.Commands.GetEntityIfExistsAsync<TableEntity>(host, id, cancellationToken: cancellationToken).ConfigureAwait(false);
        return row.HasValue ? FromEntity(row.Value!) : null;
    }

    /// <summary>Writes <paramref name="command"/> if the stored one still has its ETag; <c>null</c> when it changed meanwhile.</summary>
    public async Task<RestartCommand?> TryReplaceAsync(RestartCommand command, CancellationToken cancellationToken)
    {
        try
        {
            var response = await tables.Commands.UpdateEntityAsync(ToEntity(command), command.ETag, TableUpdateMode.Replace, cancellationToken).ConfigureAwait(false);
            return command with { ETag = response.Headers.ETag ?? default };
        }
        catch (RequestFailedException e) when (e.IsPreconditionFailed() || e.IsNotFound())
        {
            return null;
        }
    }

    /// <summary>The host's commands that are pending or leased (finished ones are history).</summary>
    public async IAsyncEnumerable<RestartCommand> ListOpenAsync(string host, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {host} and (Status eq {nameof(CommandStatus.Pending)} or Status eq {nameof(CommandStatus.Leased)})");
        await foreach (var entity in tables.Commands.QueryAsync<TableEntity>(filter, cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            yield return FromEntity(entity);
        }
    }

    internal static TableEntity ToEntity(RestartCommand c) => new(c.Host, c.Id)
    {
        ["Agent"] = c.Agent,
        ["Container"] = c.Container,
        ["IncidentId"] = c.IncidentId,
        ["Attempt"] = c.Attempt,
        ["Status"] = c.Status.ToString(),
        ["CreatedAt"] = c.CreatedAt,
        ["ExpiresAt"] = c.ExpiresAt,
        ["SkipIfExitedCleanly"] = c.SkipIfExitedCleanly,
        ["LeasedAt"] = c.LeasedAt,
        ["LeaseExpiresAt"] = c.LeaseExpiresAt,
        ["Deliveries"] = c.Deliveries,
        ["CompletedAt"] = c.CompletedAt,
        // The log tail can be long; one JSON property keeps the row well under the 64 KiB property limit (see the API's caps).
        ["Result"] = c.Result is null ? null : JsonSerializer.Serialize(c.Result, MonitorJsonContext.Default.CommandResult),
    };

    internal static RestartCommand FromEntity(TableEntity e) => new()
    {
        Id = e.RowKey,
        Host = e.PartitionKey,
        Agent = e.GetString("Agent"),
        Container = e.GetString("Container"),
        IncidentId = e.GetString("IncidentId"),
        Attempt = e.GetInt32("Attempt") ?? 1,
        Status = Enum.TryParse<CommandStatus>(e.GetString("Status"), out var s) ? s : CommandStatus.Pending,
        CreatedAt = e.GetDateTimeOffset("CreatedAt") ?? default,
        ExpiresAt = e.GetDateTimeOffset("ExpiresAt") ?? DateTimeOffset.MaxValue,
        SkipIfExitedCleanly = e.GetBoolean("SkipIfExitedCleanly") ?? false,
        LeasedAt = e.GetDateTimeOffset("LeasedAt"),
        LeaseExpiresAt = e.GetDateTimeOffset("LeaseExpiresAt"),
        Deliveries = e.GetInt32("Deliveries") ?? 0,
        CompletedAt = e.GetDateTimeOffset("CompletedAt"),
        Result = e.GetString("Result") is { Length: > 0 } result ? JsonSerializer.Deserialize(result, MonitorJsonContext.Default.CommandResult) : null,
        ETag = e.ETag,
    };
}

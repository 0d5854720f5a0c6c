using Azure;
using Azure.Data.Tables;
using ServerlessMonitor.Storage;

namespace ServerlessMonitor.Restarts;

public enum CommandStatus
{
    Pending,
    Leased,
    Succeeded,
    Failed,
}

/// <summary>A request to restart an agent's container, addressed to the restart agent of its Docker host.</summary>
public sealed record RestartCommand
{
    public required string Id { get; init; }
    public required string Host { get; init; }
    public required string Agent { get; init; }
    public string? Container { get; init; }
    public required string IncidentId { get; init; }
    public CommandStatus Status { get; init; }
    public DateTimeOffset CreatedAt { get; init; }
    public ETag ETag { get; init; }
}

/// <summary>Commands partitioned by host, so a restart agent's poll is a single-partition query.</summary>
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

    internal static TableEntity ToEntity(RestartCommand c) => new(c.Host, c.Id)
    {
        ["Agent"] = c.Agent,
        ["Container"] = c.Container,
        ["IncidentId"] = c.IncidentId,
        ["Status"] = c.Status.ToString(),
        ["CreatedAt"] = c.CreatedAt,
    };

    internal static RestartCommand FromEntity(TableEntity e) => new()
    {
        Id = e.RowKey,
        Host = e.PartitionKey,
        Agent = e.GetString("Agent"),
        Container = e.GetString("Container"),
        IncidentId = e.GetString("IncidentId"),
        Status = Enum.TryParse<CommandStatus>(e.GetString("Status"), out var s) ? s : CommandStatus.Pending,
        CreatedAt = e.GetDateTimeOffset("CreatedAt") ?? default,
        ETag = e.ETag,
    };
}

using System.Runtime.CompilerServices;
using Azure.Data.Tables;
using ServerlessMonitor.Agents;
using ServerlessMonitor.Storage;

namespace ServerlessMonitor.Incidents;

/// <summary>One outage of one agent, kept as history after it closes.</summary>
public sealed record IncidentRecord
{
    public required string Id { get; init; }
    public required string Agent { get; init; }
    public IncidentReason Reason { get; init; }
    public DateTimeOffset DownSince { get; init; }
    public DateTimeOffset OpenedAt { get; init; }
    public string? Host { get; init; }
    public string? Container { get; init; }
    public string? LastMessage { get; init; }
    public DateTimeOffset? ClosedAt { get; init; }
    public double? DowntimeSeconds { get; init; }
}

/// <summary>Incidents partitioned by agent. Opening and closing are merges, so each is safe to repeat and they commute.</summary>
public sealed class IncidentRepository(MonitorTables tables)
{
    public Task OpenAsync(IncidentRecord incident, CancellationToken cancellationToken)
    {
        var entity = new TableEntity(incident.Agent, incident.Id)
        {
            ["Reason"] = incident.Reason.ToString(),
            ["DownSince"] = incident.DownSince,
            ["OpenedAt"] = incident.OpenedAt,
            ["Host"] = incident.Host,
            ["Container"] = incident.Container,
            ["LastMessage"] = incident.LastMessage,
        };
        return tables.Incidents.UpsertEntityAsync(entity, TableUpdateMode.Merge, cancellationToken);
    }

    public Task CloseAsync(string agent, string incidentId, DateTimeOffset closedAt, double downtimeSeconds, CancellationToken cancellationToken)
    {
        var entity = new TableEntity(agent, incidentId)
        {
            ["ClosedAt"] = closedAt,
            ["DowntimeSeconds"] = downtimeSeconds,
        };
        return tables.Incidents.UpsertEntityAsync(entity, TableUpdateMode.Merge, cancellationToken);
    }

    public async Task<IncidentRecord?> GetAsync(string agent, string incidentId, CancellationToken cancellationToken)
    {
        var response = await tables.Incidents.GetEntityIfExistsAsync<TableEntity>(agent, incidentId, cancellationToken: cancellationToken).ConfigureAwait(false);
        return response.HasValue ? FromEntity(response.Value!) : null;
    }

    /// <summary>The agent's incidents, newest first.</summary>
    public async IAsyncEnumerable<IncidentRecord> ListAsync(string agent, int max, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var all = new List<IncidentRecord>();
        await foreach (var entity in tables.Incidents.QueryAsync<TableEntity>(e => e.PartitionKey == agent, cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            all.Add(FromEntity(entity));
        }
        foreach (var incident in all.OrderByDescending(i => i.DownSince).Take(max))
        {
            yield return incident;
        }
    }

    private static IncidentRecord FromEntity(TableEntity e) => new()
    {
        Id = e.RowKey,
        Agent = e.PartitionKey,
        Reason = Enum.TryParse<IncidentReason>(e.GetString("Reason"), out var reason) ? reason : IncidentReason.TimedOut,
        DownSince = e.GetDateTimeOffset("DownSince") ?? default,
        OpenedAt = e.GetDateTimeOffset("OpenedAt") ?? default,
        Host = e.GetString("Host"),
        Container = e.GetString("Container"),
        LastMessage = e.GetString("LastMessage"),
        ClosedAt = e.GetDateTimeOffset("ClosedAt"),
        DowntimeSeconds = e.GetDouble("DowntimeSeconds"),
    };
}

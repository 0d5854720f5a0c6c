using Azure;
using Azure.Data.Tables;
using ServerlessMonitor.Storage;

namespace ServerlessMonitor.Alerts;

/// <summary>One row per (event, channel): what makes a redelivered event skip the channels it already reached.</summary>
public sealed class DeliveryRepository(MonitorTables tables)
{
    public async Task<bool> IsDeliveredAsync(string eventId, string channel, CancellationToken cancellationToken)
    {
        var row = await tables.Deliveries.GetEntityIfExistsAsync<TableEntity>(eventId, channel, ["Status"], cancellationToken).ConfigureAwait(false);
        return row.HasValue && row.Value!.GetString("Status") == "delivered";
    }

    public Task RecordAsync(string eventId, string channel, string status, int? httpStatus, string? error, DateTimeOffset at, CancellationToken cancellationToken)
    {
        var entity = new TableEntity(eventId, channel)
        {
            ["Status"] = status,
            ["HttpStatus"] = httpStatus,
            ["LastError"] = error,
            ["UpdatedAt"] = at,
        };
        return tables.Deliveries.UpsertEntityAsync(entity, TableUpdateMode.Merge, cancellationToken);
    }
}

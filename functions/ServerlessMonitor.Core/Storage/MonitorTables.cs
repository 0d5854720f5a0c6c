using Azure;
using Azure.Data.Tables;
using Microsoft.Extensions.Options;

namespace ServerlessMonitor.Storage;

/// <summary>The monitor's tables, named with the configured prefix.</summary>
public sealed class MonitorTables(TableServiceClient service, IOptions<StorageOptions> options)
{
    private readonly string _prefix = options.Value.TablePrefix;

    public TableClient Agents => Get(TableNames.Agents);
    public TableClient Deadlines => Get(TableNames.Deadlines);
    public TableClient Incidents => Get(TableNames.Incidents);
    public TableClient Commands => Get(TableNames.Commands);
    public TableClient Deliveries => Get(TableNames.Deliveries);
    public TableClient Hosts => Get(TableNames.Hosts);
    public TableClient Sweeper => Get(TableNames.Sweeper);

    public TableClient Get(string table) => service.GetTableClient(_prefix + table);

    public async Task CreateAllAsync(CancellationToken cancellationToken)
    {
        foreach (var table in TableNames.All)
        {
            await Get(table).CreateIfNotExistsAsync(cancellationToken).ConfigureAwait(false);
        }
    }
}

/// <summary>How storage answers map onto the monitor's optimistic concurrency.</summary>
internal static class StorageStatus
{
    public const int NotFound = 404;
    public const int Conflict = 409;
    public const int PreconditionFailed = 412;

    public static bool IsNotFound(this RequestFailedException e) => e.Status == NotFound;
    public static bool IsConflict(this RequestFailedException e) => e.Status == Conflict;
    public static bool IsPreconditionFailed(this RequestFailedException e) => e.Status == PreconditionFailed;
}

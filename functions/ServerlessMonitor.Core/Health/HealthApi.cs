using Microsoft.AspNetCore.Http;
using ServerlessMonitor.Http;
using ServerlessMonitor.Json;
using ServerlessMonitor.Storage;

namespace ServerlessMonitor.Health;

public sealed record HealthReport(string Status, string Storage, DateTimeOffset Time);

/// <summary><c>GET /api/health</c>: the monitor's own liveness and whether it can reach its storage. Anonymous, for probes.</summary>
public sealed class HealthApi(MonitorTables tables, TimeProvider time)
{
    private static readonly TimeSpan StorageProbeTimeout = TimeSpan.FromSeconds(3);

    public async Task<ApiResponse> CheckAsync(CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(StorageProbeTimeout);
        var reachable = true;
        try
        {
            await foreach (var _ in tables.Agents.QueryAsync<Azure.Data.Tables.TableEntity>(maxPerPage: 1, select: ["PartitionKey"], cancellationToken: timeout.Token).AsPages().ConfigureAwait(false))
            {
                break;
            }
        }
        catch (Exception e) when (ApiErrors.IsDependencyFailure(e, cancellationToken))
        {
            reachable = false;
        }
        var report = new HealthReport(reachable ? "healthy" : "unhealthy", reachable ? "reachable" : "unreachable", time.GetUtcNow());
        return ApiResponse.Json(reachable ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable, report, MonitorJsonContext.Default.HealthReport);
    }
}
